"""Issue 6 end to end in a real browser, under the strict CSP (no bypass in any context), with axe and phone/desktop
screenshots on every page visited: a volunteer applies from the project page (htmx form) → the centre approves in
/applications/queue (htmx row swap) → the department confirms on /issues/<id>/applicants (htmx row swap) → both sides
see each other's contact data on /applications/<id>, which neither saw before."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Application, Department, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 422\b")


def _setup(live_server):
    """A recruiting project of 環境課 with its contact person, a coordinator, and a volunteer with a current
    registration (real name and phone only the department may see, once confirmed)."""
    from tests.factories import make_project, make_user, make_volunteer_profile

    tag = uuid.uuid4().hex[:6]
    who = {"staff": live_server.unique_email("staff"), "centre": live_server.unique_email("centre"),
           "volunteer": live_server.unique_email("volunteer")}
    phone = f"0575-{int(tag[:4], 16) % 90 + 10}-{int(tag[2:], 16) % 9000 + 1000}"
    with live_server.app.app_context():
        dept = db.session.scalar(select(Department).where(Department.name == "環境課"))
        staff = make_user(Role.STAFF, email=who["staff"], department_id=dept.id, display_name=f"環境課 担当{tag}")
        make_user(Role.COORDINATOR, email=who["centre"])
        volunteer = make_user(Role.VOLUNTEER, email=who["volunteer"], display_name=f"せきのボランティア{tag}")
        make_volunteer_profile(volunteer, phone=phone, real_name=f"関 花子{tag}")
        project = make_project(status="recruiting", title=f"河川敷の清掃 {tag}", needed_individuals=2,
                               needed_groups=0, contact_user_id=staff.id)
        ids = {"project": project.id}
        db.session.remove()
    return who, ids, phone, tag


def _application_id(live_server, project_id: int) -> int:
    with live_server.app.app_context():
        app_id = db.session.scalar(select(Application.id).where(Application.project_id == project_id))
        db.session.remove()
    return app_id


def test_apply_approve_confirm_contacts(open_page, check_page, expect, live_server):
    who, ids, phone, tag = _setup(live_server)
    project_id = ids["project"]

    # 応募: the volunteer opens the form on the project's page (htmx) and applies.
    volunteer, volunteer_log = open_page(bypass_csp=False)
    sign_in(volunteer, who["volunteer"])
    volunteer.goto(f"/issues/{project_id}")
    check_page(volunteer, "project-page")
    volunteer.evaluate("window.__marker = 1")
    with volunteer.expect_response(lambda r: f"/issues/{project_id}/apply" in r.url) as answer:
        volunteer.locator("#apply-panel").get_by_role("link", name="応募する").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    form = volunteer.locator("#apply-form form")
    expect(form).to_be_visible()
    assert volunteer.evaluate("window.__marker") == 1, "the apply form reloaded the page instead of swapping in"
    volunteer.fill("#message", "週末の清掃なら毎回参加できます。")
    check_page(volunteer, "apply-form")
    with volunteer.expect_response(lambda r: r.request.method == "POST") as answer:
        form.get_by_role("button", name="この内容で応募する").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    volunteer.wait_for_url(re.compile(r"/applications/\d+$"))
    app_id = _application_id(live_server, project_id)
    assert volunteer.url.endswith(f"/applications/{app_id}")
    state = volunteer.locator(f"#application-{app_id}")
    expect(state).to_contain_text("応募")
    expect(state).to_contain_text("連絡先は、参加が確定すると表示されます")
    expect(state).not_to_contain_text(who["staff"])  # the department's address: not before confirmation
    check_page(volunteer, "application-applied")

    # 承認: the centre approves in its queue; only the row is swapped.
    centre, centre_log = open_page(bypass_csp=False)
    sign_in(centre, who["centre"])
    centre.goto("/applications/queue")
    row = centre.locator(f"#application-row-{app_id}")
    expect(row).to_contain_text(f"せきのボランティア{tag}")
    expect(row).not_to_contain_text(f"関 花子{tag}")  # the public name only, never the real name
    check_page(centre, "queue")
    centre.evaluate("window.__marker = 1")
    with centre.expect_response(lambda r: r.request.method == "POST" and "/step" in r.url) as answer:
        row.get_by_role("button", name="承認する").click()
    assert answer.value.status == 200 and answer.value.request.headers.get("hx-request") == "true"
    expect(centre.locator(f"#application-row-{app_id} .app-status")).to_have_text("承認")
    assert centre.evaluate("window.__marker") == 1, "approving reloaded the page instead of swapping the row"
    check_page(centre, "queue-approved")

    # The department, before confirming: no phone number, no real name on the application's page.
    staff, staff_log = open_page(bypass_csp=False)
    sign_in(staff, who["staff"])
    staff.goto(f"/applications/{app_id}")
    expect(staff.locator(f"#application-{app_id}")).to_contain_text("承認")
    expect(staff.locator("main")).not_to_contain_text(phone)
    expect(staff.locator("main")).not_to_contain_text(f"関 花子{tag}")
    check_page(staff, "application-approved-department")

    # 確定: on the applicants page, the row is swapped and the places counter follows.
    staff.goto(f"/issues/{project_id}/applicants")
    expect(staff.locator("#applicant-capacity")).to_contain_text("確定 0 / 募集 2")
    check_page(staff, "applicants")
    staff.evaluate("window.__marker = 1")
    with staff.expect_response(lambda r: r.request.method == "POST" and "/step" in r.url) as answer:
        staff.locator(f"#application-row-{app_id}").get_by_role("button", name="参加を確定する").click()
    assert answer.value.status == 200 and answer.value.request.headers.get("hx-request") == "true"
    expect(staff.locator(f"#application-row-{app_id} .app-status")).to_have_text("確定")
    expect(staff.locator("#applicant-capacity")).to_contain_text("確定 1 / 募集 2")
    assert staff.evaluate("window.__marker") == 1, "confirming reloaded the page instead of swapping the row"
    check_page(staff, "applicants-confirmed")

    # Both sides now see each other's contact data.
    staff.goto(f"/applications/{app_id}")
    contacts = staff.locator(f"#application-{app_id} .app-contacts")
    expect(contacts).to_contain_text(phone)
    expect(contacts).to_contain_text(f"関 花子{tag}")
    expect(contacts).to_contain_text(who["volunteer"])
    check_page(staff, "application-confirmed-department")

    volunteer.goto(f"/applications/{app_id}")
    contacts = volunteer.locator(f"#application-{app_id} .app-contacts")
    expect(contacts).to_contain_text("環境課")
    expect(contacts).to_contain_text(who["staff"])
    expect(volunteer.locator("main")).not_to_contain_text(phone)  # their own phone is not shown back as a contact
    check_page(volunteer, "application-confirmed-volunteer")

    # And the volunteer heard of each step in お知らせ.
    volunteer.goto("/account/notifications")
    notices = volunteer.locator(".notification-list")
    expect(notices).to_contain_text("参加が確定しました")
    expect(notices).to_contain_text("承認しました")
    check_page(volunteer, "notifications")

    for side, log in (("volunteer", volunteer_log), ("centre", centre_log), ("department", staff_log)):
        _assert_clean(side, log)


def _assert_clean(side: str, log) -> None:
    assert not log.csp_messages(), f"CSP refused something for the {side}: {log.csp_messages()}"
    assert not log.page_errors, log.page_errors
    assert not [m for m in log.console_errors if not EXPECTED_CONSOLE.match(m)], log.console_errors
    assert not log.blocked_requests, log.blocked_requests


def test_notification_settings(open_page, check_page, expect, live_server, live_user):
    """From お知らせ to メールでのお知らせの設定; saving through htmx comes back with the choice kept."""
    page, log = open_page(bypass_csp=False)
    sign_in(page, live_user(Role.VOLUNTEER))
    page.goto("/account/notifications")
    page.get_by_role("link", name=re.compile("メールでのお知らせの設定")).click()
    page.wait_for_url("**/account/notifications/settings")
    expect(page.locator("#mode-application-instant")).to_be_checked()
    check_page(page, "settings")
    page.get_by_label("1日1回まとめて").first.check()
    page.locator("#mode-proposal-off").check()
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="設定を保存する").click()
    assert answer.value.status == 204 and answer.value.headers.get("hx-redirect")
    expect(page.locator(".flash-region, main").first).to_contain_text("設定を保存しました")
    expect(page.locator("#mode-application-digest")).to_be_checked()
    expect(page.locator("#mode-proposal-off")).to_be_checked()
    expect(page.locator("#mode-evaluation-instant")).to_be_checked()
    check_page(page, "settings-saved")
    _assert_clean("volunteer", log)
