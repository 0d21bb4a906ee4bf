"""個人ボランティア in a real browser: the profile editor on a phone under the real CSP (skill picker, the
availability grid, the inline 422 check, saving, the talent bank), and HTML typed into every text field
staying text everywhere it is shown — the owner's page, the public card, the talent bank's htmx results and
the coordinator's pages."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from kyodo_match.models import Role
from tests.browser.conftest import VIEWPORTS, assert_inert, register, sign_in

pytestmark = pytest.mark.browser

# Chromium logs every 4xx answer to an htmx request as a console error; the 422s are expected here.
EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 422\b")
PAYLOAD = "<img src=x onerror=alert(1)><script>alert(1)</script>"
SHORT_PAYLOAD = "<img src=x>"  # a free tag may have 20 characters at most


def _is_post(path: str):
    return lambda r: r.request.method == "POST" and path in r.url


def _check_consent(page) -> None:
    """The consent box is only there when the account has not yet agreed to the current notice."""
    if page.locator("#consent").count():
        page.check("#consent")


def test_volunteer_fills_the_editor_on_a_phone_and_appears_in_the_talent_bank_under_csp(
        open_page, check_page, expect, live_server):
    page, log = open_page(bypass_csp=False)
    page.set_viewport_size(VIEWPORTS["phone"])
    base = live_server.url
    name = f"草刈りの好きな関さん{live_server.unique_email('x')[2:8]}"
    register(page, role="volunteer", name=name, email=live_server.unique_email("phone-volunteer"))

    page.goto("/volunteers/me/edit")
    expect(page.locator("main h1")).to_have_text("ボランティア登録の編集")
    expect(page.locator("#display_name")).to_have_value(name)
    check_page(page, "editor")
    page.evaluate("window.__marker = 1")

    # The skill picker: くさかり finds 草刈り; its button adds a checked chip.
    page.fill("#skill-q", "くさかり")
    page.get_by_role("button", name="草刈りを追加").click()
    chip = page.locator("#skill-chips li", has_text="草刈り")
    expect(chip).to_have_count(1)
    expect(chip.locator("input[name=skills]")).to_be_checked()

    # Two cells of the availability grid.
    for slot in ("sat_am", "sun_pm"):
        page.check(f"#availability-{slot}")
        expect(page.locator(f"#availability-{slot}")).to_be_checked()

    page.fill("#real_name", "関 一郎")
    page.fill("#real_name_kana", "せき いちろう")

    # A bad phone number: the field is checked as it changes, and the message appears beside it (422, htmx).
    with page.expect_response(_is_post("/volunteers/me/validate/phone")) as answer:
        page.fill("#phone", "0575-12")
        page.locator("#phone").press("Tab")
    assert answer.value.status == 422
    assert answer.value.request.headers.get("hx-request") == "true", "the check was not sent by htmx"
    phone_field = page.locator("#phone-field")
    expect(phone_field.locator(".field__error")).to_contain_text("電話番号")
    expect(page.locator("#phone")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#phone")).to_have_value("0575-12")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapping the field"
    assert page.url == base + "/volunteers/me/edit"
    check_page(page, "editor-phone-error")

    # Fixed: the message goes away.
    with page.expect_response(_is_post("/volunteers/me/validate/phone")) as answer:
        page.fill("#phone", "0575-24-1234")
        page.locator("#phone").press("Tab")
    assert answer.value.status == 200
    expect(phone_field.locator(".field__error")).to_have_count(0)
    expect(page.locator("#phone")).not_to_have_attribute("aria-invalid", "true")
    # What was chosen before the check is still there (the check swaps only its own field).
    expect(chip.locator("input[name=skills]")).to_be_checked()
    expect(page.locator("#availability-sat_am")).to_be_checked()

    page.check("#public_card")
    _check_consent(page)
    page.get_by_role("button", name="登録内容を保存する").click()
    expect(page).to_have_url(base + "/volunteers/me")
    expect(page.locator("#flash-region")).to_contain_text("保存しました")
    main = page.locator("main")
    expect(main).to_contain_text("関 一郎")
    expect(main).to_contain_text("0575-24-1234")
    expect(main).to_contain_text("土曜日 午前")
    expect(main).to_contain_text("日曜日 午後")
    expect(main).to_contain_text("公開している")
    check_page(page, "me")

    # The talent bank lists the card, and the search box finds it by the skill (htmx swap, URL kept).
    page.goto("/volunteers/")
    card = page.locator(".vol-card", has_text=name)
    expect(card).to_have_count(1)
    expect(card).to_contain_text("草刈り")
    expect(card).not_to_contain_text("関 一郎")
    page.evaluate("window.__marker = 2")
    with page.expect_response(lambda r: "/volunteers/?" in r.url and "q=" in r.url) as answer:
        page.fill("#q", "草刈り")
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(page.locator("#volunteer-results .vol-card", has_text=name)).to_have_count(1)
    expect(page).to_have_url(re.compile(re.escape("q=" + quote("草刈り"))))
    assert page.evaluate("window.__marker") == 2, "the search reloaded the page instead of swapping the results"
    check_page(page, "talent-bank")

    assert not log.csp_messages(), "Content Security Policy refused something:\n" + "\n".join(log.csp_messages())
    assert not log.page_errors, log.page_errors
    assert not [m for m in log.console_errors if not EXPECTED_CONSOLE.match(m)], log.console_errors
    assert not log.blocked_requests, log.blocked_requests
    assert not log.dialogs


def test_html_in_every_volunteer_text_field_stays_text(open_page, expect, live_server, live_user):
    """CSP bypassed: only escaping stands between the payload and a running script."""
    page, log = open_page(bypass_csp=True)
    base = live_server.url
    register(page, role="volunteer", name="いたずら 確認", email=live_server.unique_email("xss-volunteer"))

    page.goto("/volunteers/me/edit")
    texts = {"#display_name": PAYLOAD, "#real_name": PAYLOAD, "#real_name_kana": PAYLOAD,
             "#free_tags": PAYLOAD, "#qualifications-0-name": PAYLOAD, "#availability_note": PAYLOAD,
             "#bio": PAYLOAD, "#guardian_name": PAYLOAD}
    page.check("#is_minor")
    page.check("#guardian_consent")
    for selector, value in texts.items():
        page.fill(selector, value)
    page.check("#public_card")
    _check_consent(page)

    # ふりがな refuses it, and a free tag may not be that long: the 422 swap carries every value back, inert.
    with page.expect_response(_is_post("/volunteers/me/edit")) as answer:
        page.get_by_role("button", name="登録内容を保存する").click()
    assert answer.value.status == 422
    for refused in ("#real_name_kana-field", "#free_tags-field"):
        expect(page.locator(f"{refused} .field__error")).to_be_visible()
    for selector, value in texts.items():
        expect(page.locator(selector)).to_have_value(value)
    expect(page.locator(".notice--error")).to_be_visible()
    assert_inert(page, "the editor's 422 swap")

    page.fill("#real_name_kana", "いたずら かくにん")
    page.fill("#free_tags", f"{SHORT_PAYLOAD}、いたずら検査")
    page.get_by_role("button", name="登録内容を保存する").click()
    expect(page).to_have_url(base + "/volunteers/me")

    # The owner's own page: display name, real name, guardian, qualification, note and self-introduction.
    main = page.locator("main")
    expect(main).to_contain_text(PAYLOAD)
    expect(main).to_contain_text(SHORT_PAYLOAD)
    assert main.inner_text().count(PAYLOAD) >= 6, main.inner_text()
    assert_inert(page, "/volunteers/me")

    # The public card: display name and free tags only.
    page.get_by_role("link", name="公開されているカードを見る").click()
    expect(page).to_have_url(re.compile(re.escape(base) + r"/volunteers/\d+$"))
    card_url = page.url
    user_id = card_url.rsplit("/", 1)[1]
    expect(page.locator("main h1")).to_have_text(PAYLOAD)
    expect(page.locator(".vol-card")).to_contain_text(SHORT_PAYLOAD)
    assert_inert(page, card_url)

    # The talent bank's results, swapped in by htmx after typing.
    page.goto("/volunteers/")
    with page.expect_response(lambda r: "/volunteers/?" in r.url and "q=" in r.url):
        page.fill("#q", "いたずら検査")
    result = page.locator("#volunteer-results .vol-card", has_text=SHORT_PAYLOAD)
    expect(result).to_have_count(1)
    expect(result.locator(".vol-card__name")).to_have_text(PAYLOAD)
    assert_inert(page, "the talent bank's htmx results")

    # The coordinator sees everything: the list of people and the person's page.
    coordinator, coordinator_log = open_page(bypass_csp=True)
    sign_in(coordinator, live_user(Role.COORDINATOR))
    coordinator.goto("/coordination/people")
    expect(coordinator.locator("main")).to_contain_text(PAYLOAD)
    assert_inert(coordinator, "/coordination/people")
    coordinator.goto(f"/coordination/people/{user_id}")
    person = coordinator.locator("main")
    expect(person).to_contain_text(PAYLOAD)
    expect(person).to_contain_text(SHORT_PAYLOAD)
    assert person.inner_text().count(PAYLOAD) >= 4, person.inner_text()
    assert_inert(coordinator, f"/coordination/people/{user_id}")

    assert not log.dialogs and not coordinator_log.dialogs, \
        f"a script ran from a profile field: {log.dialogs + coordinator_log.dialogs}"
    assert not log.page_errors and not coordinator_log.page_errors, log.page_errors + coordinator_log.page_errors


CAPTION_ABOVE_HEADER = """() => {
    const table = document.querySelector('.availability-grid__table');
    const caption = table.querySelector('caption').getBoundingClientRect();
    const head = table.querySelector('thead').getBoundingClientRect();
    return caption.bottom <= head.top + 1;
}"""


def test_availability_grid_caption_sits_above_the_table(open_page, live_server):
    """A caption styled display: block is laid out as a cell under the header row, and column 1 then grows to
    its width, squeezing 午前/午後/夜間 on a phone (seen once; app.css keeps it display: table-caption)."""
    page, _log = open_page(bypass_csp=False)
    page.set_viewport_size(VIEWPORTS["phone"])
    register(page, role="volunteer", name="時間の表を見る人", email=live_server.unique_email("grid"))
    page.goto("/volunteers/me/edit")
    assert page.evaluate(CAPTION_ABOVE_HEADER), "the grid's caption is drawn inside the table, not above it"
    # Nothing in a row is wider than it needs: each daypart header stays on one line.
    heights = page.eval_on_selector_all(".availability-grid__table thead th", "ths => ths.map(t => t.clientHeight)")
    assert max(heights) < 2 * min(heights) + 1, heights
