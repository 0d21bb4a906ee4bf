"""The rest of a project's life in a real browser, with axe and screenshots on every page: the department chooses a
partner through the htmx candidate search, both sides confirm the agreement (協定書), the partner hears of it in
お知らせ, both answer the evaluation sheet and the outcome is public on the results page; and a citizen's proposal
goes from the form through the centre's queue (htmx row swap) to the department, which accepts it."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Department, Project, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 422\b")


def _setup(live_server, live_user):
    """A project in 選定 of 環境課, its staff member, and a verified group with its representative."""
    from tests.factories import make_group, make_project, make_user

    staff_email = live_server.unique_email("staff")
    rep_email = live_server.unique_email("rep")
    group_name = f"清流クラブ{uuid.uuid4().hex[:4]}"
    with live_server.app.app_context():
        dept = db.session.scalar(select(Department).where(Department.name == "環境課"))
        make_user(Role.STAFF, email=staff_email, department_id=dept.id)
        rep = make_user(Role.GROUP_REP, email=rep_email)
        make_group(group_name, representative=rep, districts=["富岡"])
        project = make_project(status="selecting", title=f"川辺の清掃 {group_name}")
        project_id = project.id
        db.session.remove()
    return staff_email, rep_email, group_name, project_id


def _step(page, expect, label: str, status: str) -> None:
    page.get_by_role("button", name=label).click()
    expect(page.locator(".project-page__meta .badge")).to_have_text(status)


def test_partner_agreement_evaluation_and_results(open_page, check_page, expect, live_server, live_user):
    staff_email, rep_email, group_name, project_id = _setup(live_server, live_user)
    staff, staff_log = open_page(bypass_csp=False)
    sign_in(staff, staff_email)

    # 選定: the htmx candidate search, then the choice with its public reason.
    staff.goto(f"/issues/{project_id}/partners")
    with staff.expect_response(lambda r: "/partners?" in r.url and "q=" in r.url) as answer:
        staff.fill("#partner-q", group_name[:4])
    assert answer.value.request.headers.get("hx-request") == "true"
    candidate = staff.locator("#partner-candidates li", has_text=group_name)
    expect(candidate).to_have_count(1)
    check_page(staff, "partner-candidates")
    candidate.locator("textarea[name=reason]").fill("河川清掃を10年続けている団体のため")
    candidate.get_by_role("button", name="パートナーに選ぶ").click()
    expect(staff.locator("main")).to_contain_text("河川清掃を10年続けている団体のため")

    # 協定: the city confirms on the agreement sheet.
    staff.goto(f"/issues/{project_id}")
    _step(staff, expect, "協定の確認に進む", "協定")
    staff.goto(f"/issues/{project_id}/agreement")
    check_page(staff, "agreement-sheet")
    staff.get_by_role("button", name=re.compile("この内容で協定を確認する（市として）")).click()
    expect(staff.locator("main")).not_to_contain_text("この内容で協定を確認する（市として）")

    # The partner was told, and confirms from わたしの協働事業.
    rep, rep_log = open_page(bypass_csp=False)
    sign_in(rep, rep_email)
    expect(rep.locator("#site-nav-list .nav-badge")).to_be_visible()
    rep.goto("/account/notifications")
    expect(rep.locator(".notification-list")).to_contain_text("川辺の清掃")
    check_page(rep, "notifications")
    rep.goto("/issues/partnered")
    check_page(rep, "partnered")
    rep.goto(f"/issues/{project_id}/agreement")
    rep.get_by_role("button", name=re.compile("この内容で協定を確認する（パートナーとして）")).click()
    expect(rep.locator("main")).not_to_contain_text("この内容で協定を確認する（パートナーとして）")

    staff.goto(f"/issues/{project_id}")
    _step(staff, expect, "事業の実施を始める", "実施中")
    _step(staff, expect, "事業を終え、評価に進む", "評価中")

    # 評価: each side answers all 25 items (the department finds one missing first: 422 in place).
    for page, side, who in ((staff, "department", "staff"), (rep, "partner", "rep")):
        page.goto(f"/issues/{project_id}/evaluation/{side}")
        radios = page.locator("input[type=radio][value=yes]")
        assert radios.count() == 25
        for i in range(24):
            radios.nth(i).check()
        if side == "department":
            check_page(page, "evaluation-sheet")
            with page.expect_response(lambda r: r.request.method == "POST") as answer:
                page.get_by_role("button", name="評価シートを保存する").click()
            assert answer.value.status == 422
            expect(page.locator(".field__error").first).to_be_visible()
            page.locator("input[type=radio][value=no]").nth(24).check()
        else:
            radios.nth(24).check()
        with page.expect_response(lambda r: r.request.method == "POST") as answer:
            page.get_by_role("button", name="評価シートを保存する").click()
        assert answer.value.status in (200, 204, 303), f"the {who}'s sheet was not saved"
        page.wait_for_url(re.compile(r"/evaluation$"))  # htmx follows HX-Redirect: let it land before moving on
        page.wait_for_load_state("load")
    staff.goto(f"/issues/{project_id}/evaluation")
    expect(staff.locator("main")).to_contain_text("回答が異なります")
    check_page(staff, "evaluation-comparison")

    staff.goto(f"/issues/{project_id}/outcome")
    staff.fill("#outcome_achieved", "河川敷のごみが前年の半分になりました。")
    staff.fill("#outcome_figures", "清掃4回、参加のべ120人、ごみ袋80袋")
    staff.fill("#improvement_notes", "夏の回は早朝に開きます。")
    check_page(staff, "outcome-form")
    # HX-Redirect leads back to this same URL, so wait_for_url would return at once and the next goto would
    # abort htmx's navigation (net::ERR_ABORTED): wait for the navigation itself to finish loading.
    with staff.expect_navigation(url=re.compile(r"/outcome$"), wait_until="load"):
        with staff.expect_response(lambda r: r.request.method == "POST") as answer:
            staff.get_by_role("button", name=re.compile("保存")).first.click()
    assert answer.value.status in (200, 204, 303)
    staff.goto(f"/issues/{project_id}")
    _step(staff, expect, "評価と改善を記録して完了する", "完了")

    visitor, visitor_log = open_page(bypass_csp=False)
    visitor.goto("/issues/results")
    expect(visitor.locator("main")).to_contain_text("川辺の清掃")
    check_page(visitor, "results")
    visitor.goto(f"/issues/{project_id}")
    expect(visitor.locator("main")).to_contain_text("河川敷のごみが前年の半分になりました。")
    expect(visitor.locator("main")).to_contain_text(group_name)
    check_page(visitor, "closed-project")

    for who, log in (("staff", staff_log), ("representative", rep_log), ("visitor", visitor_log)):
        assert not log.csp_messages(), f"CSP refused something for the {who}: {log.csp_messages()}"
        assert not log.page_errors, log.page_errors
        assert not [m for m in log.console_errors if not EXPECTED_CONSOLE.match(m)], log.console_errors
        assert not log.blocked_requests, log.blocked_requests


def test_a_citizen_proposal_is_routed_and_accepted(open_page, check_page, expect, live_server, live_user):
    title = f"空き家を子どもの居場所に {uuid.uuid4().hex[:4]}"
    with live_server.app.app_context():
        dept_id = db.session.scalar(select(Department.id).where(Department.name == "子ども家庭課"))
        db.session.remove()
    citizen, citizen_log = open_page(bypass_csp=False)
    sign_in(citizen, live_user(Role.VOLUNTEER))
    citizen.goto("/proposals/")
    check_page(citizen, "proposals-public")
    citizen.goto("/proposals/new")
    citizen.fill("#title", title)
    citizen.fill("#problem", "放課後に一人で過ごす子どもが増えています。")
    citizen.fill("#idea", "地域の空き家を借りて、宿題や遊びの場にします。")
    check_page(citizen, "proposal-form")
    citizen.get_by_role("button", name="提案を送る").click()
    expect(citizen.locator("main")).to_contain_text(title)

    coordinator, coordinator_log = open_page(bypass_csp=False)
    sign_in(coordinator, live_user(Role.COORDINATOR))
    coordinator.goto("/proposals/queue")
    row = coordinator.locator(".proposal-item", has_text=title)
    row.locator("select[name=department_id]").select_option(str(dept_id))
    coordinator.evaluate("window.__marker = 1")
    with coordinator.expect_response(lambda r: r.request.method == "POST" and "/route" in r.url) as answer:
        row.get_by_role("button", name=re.compile("^担当課に振り分ける")).click()
    assert answer.value.request.headers.get("hx-request") == "true"
    expect(coordinator.locator(".proposal-item", has_text=title)).to_contain_text("子ども家庭課")
    assert coordinator.evaluate("window.__marker") == 1, "routing reloaded the page instead of swapping the row"
    check_page(coordinator, "proposal-queue")

    staff, staff_log = open_page(bypass_csp=False)
    sign_in(staff, live_user(Role.STAFF, department_id=dept_id))
    staff.goto("/proposals/department")
    check_page(staff, "proposals-department")
    with staff.expect_response(lambda r: r.request.method == "POST" and "/accept" in r.url) as answer:
        staff.locator(".proposal-item", has_text=title).get_by_role(
            "button", name=re.compile("^採用して事業の下書きをつくる")).first.click()
    assert answer.value.status in (200, 204, 303)
    with live_server.app.app_context():
        project = db.session.scalar(select(Project).where(Project.title == title))
        assert project is not None and project.status == "draft" and project.proposal_id is not None
        db.session.remove()

    citizen.goto("/account/notifications")
    expect(citizen.locator(".notification-list")).to_contain_text("採用")
    for who, log in (("citizen", citizen_log), ("coordinator", coordinator_log), ("staff", staff_log)):
        assert not log.csp_messages(), f"CSP refused something for the {who}: {log.csp_messages()}"
        assert not log.page_errors, log.page_errors
        assert not [m for m in log.console_errors if not EXPECTED_CONSOLE.match(m)], log.console_errors
        assert not log.blocked_requests, log.blocked_requests
