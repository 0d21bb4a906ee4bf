"""わたしの応募 in a real browser: the 「終わったもの」 pager swaps only its own section through htmx (no reload),
pushes an address that keeps the history's page, and the history pager then keeps the ended section's page — the
out-of-band pager at work; axe and screenshots at phone and desktop widths."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from kyodo_match.extensions import db
from kyodo_match.models import ActivityRecord, Application, Role, utcnow
from tests.browser.conftest import VIEWPORTS, sign_in

pytestmark = pytest.mark.browser


def _setup(live_server) -> str:
    """A volunteer with 14 ended applications (two pages) and 25 activity records (two pages)."""
    from tests.factories import make_project, make_user, make_volunteer_profile

    tag = uuid.uuid4().hex[:6]
    email = live_server.unique_email("mine")
    with live_server.app.app_context():
        user = make_user(Role.VOLUNTEER, email=email, display_name=f"関 ゆき{tag}")
        make_volunteer_profile(user)
        base = utcnow() - timedelta(days=30)
        made = []
        for i in range(14):
            project = make_project(status="recruiting", title=f"終わった事業{tag}-{i:02d}", commit=False)
            made.append(Application(project_id=project.id, volunteer_user_id=user.id, status="completed",
                                    last_action_at=base + timedelta(minutes=i)))
        db.session.add_all(made)
        db.session.flush()
        db.session.add_all(ActivityRecord(application_id=made[0].id, activity_date=date(2025, 4, 1) + timedelta(days=i),
                                          attended=True, minutes=90) for i in range(25))
        db.session.commit()
        db.session.remove()
    return email


def test_each_pager_swaps_its_own_section_and_keeps_the_others_page(open_page, check_page, expect, live_server):
    page, log = open_page(bypass_csp=False)
    sign_in(page, _setup(live_server))
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto("/applications/mine")
    ended, history = page.locator("#mine-ended"), page.locator("#mine-history")
    expect(ended.locator(".app-row")).to_have_count(10)
    expect(ended.get_by_role("heading", level=2)).to_contain_text("14件")
    expect(history.locator("tbody tr")).to_have_count(20)
    expect(history).to_contain_text("37.5時間")  # 25 × 1.5 h: the total covers every record, not the page shown
    check_page(page, "mine-page-1")
    page.evaluate("window.__marker = 1")

    with page.expect_response(lambda r: "ended_page=2" in r.url) as answer:
        ended.get_by_role("navigation").get_by_role("link", name="次へ").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(ended.locator(".app-row")).to_have_count(4)
    assert page.evaluate("window.__marker") == 1, "the pager reloaded the page instead of swapping the section"
    expect(page).to_have_url(live_server.url + "/applications/mine?ended_page=2")
    expect(history.locator("tbody tr")).to_have_count(20)  # the other section stayed as it was

    with page.expect_response(lambda r: "history_page=2" in r.url) as answer:
        history.get_by_role("navigation").get_by_role("link", name="次へ").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(history.locator("tbody tr")).to_have_count(5)
    expect(ended.locator(".app-row")).to_have_count(4)  # still page 2 of 終わったもの
    assert page.evaluate("window.__marker") == 1
    expect(page).to_have_url(live_server.url + "/applications/mine?ended_page=2&history_page=2")
    check_page(page, "mine-page-2")
    assert not log.page_errors and not log.console_errors, log


def test_a_long_thread_opens_its_earlier_messages_in_place(open_page, check_page, expect, live_server):
    from kyodo_match.models import ApplicationMessage
    from tests.factories import make_project, make_user, make_volunteer_profile

    email = live_server.unique_email("thread")
    with live_server.app.app_context():
        user = make_user(Role.VOLUNTEER, email=email)
        make_volunteer_profile(user)
        project = make_project(status="recruiting", title=f"長いやりとりの事業{uuid.uuid4().hex[:6]}", commit=False)
        application = Application(project_id=project.id, volunteer_user_id=user.id, status="applied",
                                  last_action_at=utcnow())
        db.session.add(application)
        db.session.flush()
        db.session.add_all(ApplicationMessage(application_id=application.id, author_id=user.id,
                                              body=f"日程の相談{i:02d}") for i in range(35))
        db.session.commit()
        app_id = application.id
        db.session.remove()
    page, log = open_page(bypass_csp=False)
    sign_in(page, email)
    page.goto(f"/applications/{app_id}")
    thread = page.locator(f"#application-{app_id}-thread")
    expect(thread.locator(".app-message")).to_have_count(30)
    expect(thread).not_to_contain_text("日程の相談04")
    page.evaluate("window.__marker = 1")
    with page.expect_response(lambda r: "messages=all" in r.url) as answer:
        thread.get_by_role("link", name="以前のメッセージも表示する（ほかに5件）").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(thread.locator(".app-message")).to_have_count(35)
    expect(thread).to_contain_text("日程の相談00")
    assert page.evaluate("window.__marker") == 1, "the link reloaded the page instead of swapping the thread"
    check_page(page, "thread-whole")
    assert not log.page_errors and not log.console_errors, log
