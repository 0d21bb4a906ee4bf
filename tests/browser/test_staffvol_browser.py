"""1課1ボランティア in a real browser at phone size (390×844), under the strict CSP (no bypass), with axe and
phone/desktop screenshots: a staff member signs up on an activity's page and cancels again — the seat panel is
swapped by htmx, never by reloading the page — and joins the waiting list of a full activity; the list page /ikka/
passes axe too."""

from __future__ import annotations

import uuid

import pytest

from kyodo_match.extensions import db
from kyodo_match.models import Role
from tests.browser.conftest import VIEWPORTS, sign_in

pytestmark = pytest.mark.browser


def _setup(live_server, *, capacity: int, taken_by_others: int) -> tuple[str, int, str]:
    """A staff member of 税務課 (returns their e-mail), and an activity of 環境課 for all staff with ``capacity``
    seats of which ``taken_by_others`` are already taken by other staff members."""
    from kyodo_match.staffvol import signups
    from tests.factories import department_id, make_staff_activity, make_user

    tag = uuid.uuid4().hex[:6]
    email = live_server.unique_email("staff")
    with live_server.app.app_context():
        make_user(Role.STAFF, email=email, department_id=department_id("税務課"), display_name=f"税務課 職員{tag}")
        activity = make_staff_activity("環境課", capacity=capacity, title=f"長良川河川敷の清掃 {tag}",
                                       meeting_point="関市役所 正面玄関前", bring="軍手、帽子、飲み物",
                                       description="河川敷のごみを拾います。雨天の場合は中止します。")
        for _ in range(taken_by_others):
            signups.sign_up(activity, make_user(Role.STAFF, department_id=department_id("環境課")))
            db.session.commit()
        activity_id, title = activity.id, activity.title
        db.session.remove()
    return email, activity_id, title


def _phone_page(open_page):
    page, log = open_page(bypass_csp=False)
    page.set_viewport_size(VIEWPORTS["phone"])
    return page, log


def _click_in_panel(page, activity_id: int, button: str, action: str):
    """Click a button of the seat panel; return the answer (an htmx POST to …/<action>)."""
    with page.expect_response(lambda r: r.request.method == "POST" and r.url.endswith(f"/ikka/{activity_id}/{action}")
                              ) as answer:
        page.locator("#seat-panel").get_by_role("button", name=button).click()
    return answer.value


def _assert_htmx_swap(page, response) -> None:
    assert response.status == 200, response.status
    assert response.request.headers.get("hx-request") == "true", "the button posted the page instead of htmx"
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the seat panel"


def _assert_clean(log) -> None:
    assert not log.csp_messages(), f"CSP refused something: {log.csp_messages()}"
    assert not log.page_errors, log.page_errors
    assert not log.console_errors, log.console_errors
    assert not log.blocked_requests, log.blocked_requests


def test_sign_up_and_cancel_swap_the_seat_panel_at_phone_size(open_page, check_page, expect, live_server):
    email, activity_id, title = _setup(live_server, capacity=2, taken_by_others=1)
    page, log = _phone_page(open_page)
    sign_in(page, email)

    page.goto(f"/ikka/{activity_id}")
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    panel = page.locator("#seat-panel")
    expect(panel).to_contain_text("残り1席")
    expect(panel.get_by_role("button", name="参加する（残り1席）")).to_be_visible()
    check_page(page, "activity")

    page.evaluate("window.__marker = 1")
    answer = _click_in_panel(page, activity_id, "参加する（残り1席）", "signup")
    expect(panel).to_contain_text("参加を申し込んでいます")
    expect(panel.get_by_role("button", name="参加を取り消す")).to_be_visible()
    expect(panel).to_contain_text("満席です")
    _assert_htmx_swap(page, answer)
    check_page(page, "activity-signed-up")

    page.evaluate("window.__marker = 1")
    answer = _click_in_panel(page, activity_id, "参加を取り消す", "cancel")
    expect(panel.get_by_role("button", name="参加する（残り1席）")).to_be_visible()
    expect(panel).to_contain_text("残り1席")
    expect(panel).not_to_contain_text("参加を申し込んでいます")
    _assert_htmx_swap(page, answer)
    check_page(page, "activity-cancelled")
    _assert_clean(log)


def test_a_full_activity_offers_the_waiting_list_at_phone_size(open_page, check_page, expect, live_server):
    email, activity_id, _title = _setup(live_server, capacity=1, taken_by_others=1)
    page, log = _phone_page(open_page)
    sign_in(page, email)

    page.goto(f"/ikka/{activity_id}")
    panel = page.locator("#seat-panel")
    expect(panel).to_contain_text("満席です")
    expect(panel.get_by_role("button", name="参加する", exact=False)).to_have_count(0)
    check_page(page, "activity-full")

    page.evaluate("window.__marker = 1")
    answer = _click_in_panel(page, activity_id, "キャンセル待ちに登録する", "signup")
    expect(panel).to_contain_text("キャンセル待ちの1番目です")
    expect(panel).to_contain_text("（キャンセル待ち1人）")
    expect(panel.get_by_role("button", name="キャンセル待ちをやめる")).to_be_visible()
    _assert_htmx_swap(page, answer)
    check_page(page, "activity-waiting")
    _assert_clean(log)


def test_the_activity_list_for_staff_at_phone_size(open_page, check_page, expect, live_server):
    email, activity_id, title = _setup(live_server, capacity=2, taken_by_others=1)
    page, log = _phone_page(open_page)
    sign_in(page, email)

    page.goto("/ikka/")
    expect(page.get_by_role("heading", level=1)).to_have_text("1課1ボランティア")
    card = page.locator(".staffvol-card", has=page.get_by_role("link", name=title))
    expect(card).to_contain_text("残り1席（定員2人）")
    check_page(page, "list")
    card.get_by_role("link", name=title).click()
    page.wait_for_url(f"**/ikka/{activity_id}")
    expect(page.locator("#seat-panel")).to_contain_text("残り1席")
    _assert_clean(log)
