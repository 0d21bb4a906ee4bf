"""市民活動団体 in a real browser: a representative registers a group (申請中), a coordinator confirms it in the
queue with the htmx button (the row is swapped, no reload), and the directory's active search finds it by a
word of its description with the query in the URL; and HTML typed into every text field of a group stays text
on the owner's pages, the public page, the directory's htmx results and the coordinator's pages."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

import pytest

from kyodo_match.models import Role
from tests.browser.conftest import assert_inert, register, sign_in

pytestmark = pytest.mark.browser

EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 422\b")
PAYLOAD = "<img src=x onerror=alert(1)><script>alert(1)</script>"


def _is_post(path: str):
    return lambda r: r.request.method == "POST" and path in r.url


def _search_directory(page, word: str) -> None:
    """Type into the directory's search box and wait for htmx to bring the results."""
    with page.expect_response(lambda r: "/groups/?" in r.url and "q=" in r.url) as answer:
        page.fill("#group-q", word)
    assert answer.value.request.headers.get("hx-request") == "true", "the search was not sent by htmx"


def _verify_in_queue(page, expect, name: str) -> None:
    """確認済みにする on the group's row of the queue: the row is swapped in place, the page stays."""
    page.goto("/groups/queue")
    row = page.locator("tr", has=page.locator("th", has_text=name))
    expect(row).to_have_count(1)
    row_id = row.get_attribute("id")
    page.evaluate("window.__marker = 1")
    with page.expect_response(_is_post("/status")) as answer:
        row.get_by_role("button", name=re.compile("^確認済みにする")).click()
    assert answer.value.status == 200
    assert answer.value.request.headers.get("hx-request") == "true", "the button was not sent by htmx"
    swapped = page.locator(f"#{row_id}")
    expect(swapped.locator(".badge")).to_have_text("確認済")
    expect(swapped.get_by_role("button", name=re.compile("^確認済みにする"))).to_have_count(0)
    expect(page.locator("#flash-region")).to_contain_text("確認済")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapping the row"
    assert page.url.endswith("/groups/queue")


def test_group_is_registered_confirmed_in_the_queue_and_found_by_the_directory_search(
        open_page, check_page, expect, live_server, live_user):
    word = f"ひまわり迷路{uuid.uuid4().hex[:4]}"
    name = "せきの花壇をつくる会"
    rep, log = open_page(bypass_csp=False)
    register(rep, role="group_rep", name="花壇の代表", email=live_server.unique_email("group-rep"))

    rep.goto("/groups/new")
    expect(rep.locator("main h1")).to_have_text("団体の登録")
    check_page(rep, "group-form")
    rep.fill("#name", name)
    rep.fill("#name_kana", "せきのかだんをつくるかい")
    rep.check("input[name=group_type][value=volunteer]")
    rep.fill("#description", f"季節の花を植える花壇づくりをしています。夏は{word}もつくります。")
    rep.fill("#contact_email", live_server.unique_email("kadan"))
    rep.get_by_role("button", name="団体を登録する").click()
    expect(rep).to_have_url(live_server.url + "/groups/mine")
    row = rep.locator("tr", has_text=name)
    expect(row.locator(".badge")).to_have_text("申請中")
    check_page(rep, "my-groups")

    # Not in the directory while 申請中.
    rep.goto("/groups/")
    _search_directory(rep, word)
    expect(rep.locator("#group-results")).not_to_contain_text(name)

    # The coordinator confirms it, in a second browser context.
    coordinator, coordinator_log = open_page(bypass_csp=False)
    sign_in(coordinator, live_user(Role.COORDINATOR))
    coordinator.goto("/groups/queue")
    check_page(coordinator, "queue")
    _verify_in_queue(coordinator, expect, name)
    check_page(coordinator, "queue-after-verify")

    # Now the directory's active search finds it by a word of its description; the URL holds the query.
    rep.goto("/groups/")
    rep.evaluate("window.__marker = 2")
    _search_directory(rep, word)
    card = rep.locator("#group-results .group-card", has_text=name)
    expect(card).to_have_count(1)
    expect(rep).to_have_url(re.compile(re.escape("q=" + quote(word))))
    assert rep.evaluate("window.__marker") == 2, "the search reloaded the page instead of swapping the results"
    check_page(rep, "directory-search")
    card.get_by_role("link", name=name).click()
    expect(rep.locator("main h1")).to_have_text(name)
    check_page(rep, "group-page")

    for who, page_log in (("representative", log), ("coordinator", coordinator_log)):
        assert not page_log.csp_messages(), f"CSP refused something for the {who}: {page_log.csp_messages()}"
        assert not page_log.page_errors, page_log.page_errors
        assert not [m for m in page_log.console_errors if not EXPECTED_CONSOLE.match(m)], page_log.console_errors
        assert not page_log.blocked_requests, page_log.blocked_requests
        assert not page_log.dialogs


def test_html_in_every_group_text_field_stays_text(open_page, expect, live_server, live_user):
    """CSP bypassed: only escaping stands between the payload and a running script."""
    word = f"無花果迷路{uuid.uuid4().hex[:4]}"
    page, log = open_page(bypass_csp=True)
    register(page, role="group_rep", name="いたずら団体の代表", email=live_server.unique_email("xss-rep"))

    page.goto("/groups/new")
    texts = {"#name": PAYLOAD, "#name_kana": PAYLOAD, "#representative_name": PAYLOAD, "#equipment": PAYLOAD,
             "#facilities": PAYLOAD, "#description": f"{PAYLOAD} {word}", "#public_contact": PAYLOAD,
             "#address": PAYLOAD, "#availability_note": PAYLOAD}
    for selector, value in texts.items():
        page.fill(selector, value)
    page.check("input[name=group_type][value=volunteer]")
    page.fill("#contact_email", live_server.unique_email("xss-group"))

    # ふりがな refuses it: the 422 swap carries every value back, inert.
    with page.expect_response(_is_post("/groups/new")) as answer:
        page.get_by_role("button", name="団体を登録する").click()
    assert answer.value.status == 422
    expect(page.locator("#name_kana-field .field__error")).to_be_visible()
    for selector, value in texts.items():
        expect(page.locator(selector)).to_have_value(value)
    assert_inert(page, "the group form's 422 swap")

    page.fill("#name_kana", "いたずらのかい")
    page.get_by_role("button", name="団体を登録する").click()
    expect(page).to_have_url(live_server.url + "/groups/mine")
    expect(page.locator("main table")).to_contain_text(PAYLOAD)
    assert_inert(page, "/groups/mine")

    # The owner's view of the group page (申請中) and the edit form.
    page.locator("main table").get_by_role("link", name=PAYLOAD, exact=True).click()
    expect(page.locator("main h1")).to_have_text(PAYLOAD)
    group_id = page.url.rstrip("/").rsplit("/", 1)[1]
    assert page.locator("main").inner_text().count(PAYLOAD) >= 5  # name, description, equipment, facilities, contact
    assert_inert(page, f"/groups/{group_id} (owner)")
    page.goto(f"/groups/{group_id}/edit")
    for selector, value in texts.items():
        if selector != "#name_kana":
            expect(page.locator(selector)).to_have_value(value)
    assert_inert(page, f"/groups/{group_id}/edit")

    # The coordinator: the queue (and its htmx row swap and flash), the list of groups and the group's page.
    coordinator, coordinator_log = open_page(bypass_csp=True)
    sign_in(coordinator, live_user(Role.COORDINATOR))
    _verify_in_queue(coordinator, expect, PAYLOAD)
    expect(coordinator.locator("#flash-region")).to_contain_text(PAYLOAD)
    assert_inert(coordinator, "the queue after the row swap")
    coordinator.goto("/coordination/groups")
    expect(coordinator.locator("main")).to_contain_text(PAYLOAD)
    assert_inert(coordinator, "/coordination/groups")
    coordinator.goto(f"/coordination/groups/{group_id}")
    expect(coordinator.locator("main")).to_contain_text(PAYLOAD)
    assert coordinator.locator("main").inner_text().count(PAYLOAD) >= 3
    assert_inert(coordinator, f"/coordination/groups/{group_id}")

    # Anyone: the directory's htmx results and the public page.
    visitor, visitor_log = open_page(bypass_csp=True)
    visitor.goto("/groups/")
    _search_directory(visitor, word)
    card = visitor.locator("#group-results .group-card", has_text=word)
    expect(card).to_have_count(1)
    expect(card.locator(".group-card__name")).to_have_text(PAYLOAD)
    assert_inert(visitor, "the directory's htmx results")
    visitor.goto(f"/groups/{group_id}")
    expect(visitor.locator("main h1")).to_have_text(PAYLOAD)
    assert_inert(visitor, f"/groups/{group_id} (public)")

    logs = (log, coordinator_log, visitor_log)
    assert not [d for one in logs for d in one.dialogs], "a script ran from a group field"
    assert not [e for one in logs for e in one.page_errors], [e for one in logs for e in one.page_errors]
