"""1課1ボランティア in a real browser (strict CSP, axe, phone and desktop screenshots): a department posts an
activity through the form (a rule refused beside its field first), 市民協働課 reads the yearly picture and switches
the year by htmx, and a staff member makes the calendar address on わたしの参加."""

from __future__ import annotations

from datetime import timedelta

import pytest

from kyodo_match.extensions import db
from kyodo_match.models import Role, StaffActivity, utcnow
from tests.browser.conftest import VIEWPORTS, sign_in

pytestmark = pytest.mark.browser


def _phone(open_page):
    page, log = open_page(bypass_csp=False)
    page.set_viewport_size(VIEWPORTS["phone"])
    return page, log


def test_a_department_posts_an_activity_at_phone_size(open_page, check_page, expect, live_server, live_user):
    from tests.factories import department_id

    with live_server.app.app_context():
        dept = department_id("環境課")
    email = live_user(Role.STAFF, department_id=dept)
    page, log = _phone(open_page)
    sign_in(page, email)
    page.goto("/ikka/new")
    check_page(page, "activity-form")
    day = (utcnow() + timedelta(days=21)).date().isoformat()
    page.locator("#title").fill("津保川の水辺清掃")
    page.locator("#day").fill(day)
    page.locator("#start_time").fill("09:00")
    page.locator("#end_time").fill("08:00")  # before the start: refused beside the field
    page.locator("#place").fill("津保川河川敷")
    page.locator("#deadline_day").fill(day)
    page.locator("#deadline_time").fill("08:00")
    page.get_by_role("button", name="登録して申し込みを受け付ける").click()
    expect(page.locator("#end_time-error")).to_contain_text("終了の日時は、開始の日時より後に")
    check_page(page, "activity-form-refused")
    page.locator("#end_time").fill("11:30")
    page.get_by_role("button", name="登録して申し込みを受け付ける").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("津保川の水辺清掃")
    expect(page.locator("#seat-panel")).to_contain_text("残り10席")
    expect(page.get_by_role("heading", name="主催課の方へ")).to_be_visible()
    check_page(page, "activity-posted")
    with live_server.app.app_context():
        made = db.session.query(StaffActivity).filter_by(title="津保川の水辺清掃").one()
        assert made.department_id == dept and (made.ends_at - made.starts_at) == timedelta(hours=2, minutes=30)
        db.session.remove()
    assert not log.page_errors and not log.csp_messages()


def test_the_yearly_picture_switches_year_by_htmx(open_page, check_page, expect, live_server, live_user):
    from kyodo_match.i18n import fiscal_year, jst_date
    from tests.factories import department_id, make_staff_activity

    with live_server.app.app_context():
        now = utcnow()
        this_year = fiscal_year(jst_date(now))
        make_staff_activity("環境課", starts_at=now - timedelta(days=400), deadline=now - timedelta(days=401),
                            title="前の年度の活動")
        email = live_user(Role.STAFF, department_id=department_id("市民協働課"))
        db.session.remove()
    page, log = _phone(open_page)
    sign_in(page, email)
    page.goto("/ikka/overview")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("svg[role=img]")).to_have_count(1)
    expect(page.locator("table caption")).not_to_have_count(0)
    check_page(page, "overview")
    page.evaluate("window.__marker = 1")
    year_select = page.locator("select[name=year]")
    previous = str(fiscal_year(jst_date(now - timedelta(days=400))))
    assert previous != str(this_year)
    year_select.select_option(previous)
    page.get_by_role("button", name="表示する").click()
    page.wait_for_url(f"**/ikka/overview?year={previous}")
    expect(page.locator("table").first).to_contain_text("環境課")
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the picture"
    check_page(page, "overview-previous-year")
    assert not log.page_errors and not log.csp_messages()


def test_my_calendar_address_is_made_on_my_page(open_page, check_page, expect, live_server, live_user):
    from tests.factories import department_id

    with live_server.app.app_context():
        email = live_user(Role.STAFF, department_id=department_id("税務課"))
        db.session.remove()
    page, log = _phone(open_page)
    sign_in(page, email)
    page.goto("/ikka/mine")
    check_page(page, "mine")
    section = page.locator("#staffvol-calendar")
    page.evaluate("window.__marker = 1")
    section.get_by_role("button", name="URLを作る").click()
    url = page.get_by_label("カレンダー用のURL")
    expect(url).to_have_value(__import__("re").compile(r"/ikka/calendar/[A-Za-z0-9_-]{40,}\.ics$"))
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the calendar section"
    feed = page.request.get(url.input_value())
    assert feed.status == 200 and feed.headers["content-type"].startswith("text/calendar")
    check_page(page, "mine-calendar")
    assert not log.page_errors and not log.csp_messages()
