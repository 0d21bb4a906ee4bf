"""おすすめ in a real browser, with axe and screenshots at phone and desktop width: a department's staff member opens
a recruiting project, the panel of suggested people and groups arrives by htmx, and one suggestion marked
「合っていない」 leaves the list in place (row swap); a volunteer finds あなたにおすすめの事業 on わたしの登録."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Department, District, Role, Skill
from tests.browser.conftest import assert_inert, sign_in

pytestmark = pytest.mark.browser


def _setup(live_server):
    """A recruiting 草刈り issue of 環境課 in 板取 on Saturday mornings, its staff member, two volunteers and a group
    that fit (the group's name carries an HTML payload), all indexed."""
    from kyodo_match import search
    from tests.factories import make_group, make_project, make_user, make_volunteer_profile

    tag = uuid.uuid4().hex[:4]
    emails = {"staff": live_server.unique_email("staff"), "volunteer": live_server.unique_email("volunteer")}
    with live_server.app.app_context():
        dept = db.session.scalar(select(Department).where(Department.name == "環境課"))
        make_user(Role.STAFF, email=emails["staff"], department_id=dept.id)
        volunteer = make_user(Role.VOLUNTEER, email=emails["volunteer"], display_name=f"草むしり好き{tag}")
        make_volunteer_profile(volunteer, public=True, skills=["草刈り"], districts=["板取"], availability=["sat_am"],
                               bio="休日に河川敷の除草をしています。")
        other = make_user(Role.VOLUNTEER, display_name=f"土曜の助っ人{tag}")
        make_volunteer_profile(other, public=False, skills=["草刈り", "河川清掃"], districts=["板取"],
                               availability=["sat_am", "sun_am"])
        make_group(f"<img src=x onerror=alert(1)>板取草刈り隊{tag}", skills=["草刈り"], districts=["板取"],
                   availability=["sat_am"], description="<script>alert(1)</script>板取川の河川敷で草刈りをしています。")
        project = make_project(status="recruiting", title=f"板取川沿いの草刈り {tag}", schedule_slots=["sat_am"],
                               summary="河川敷の草刈りを手伝ってください。", commit=False)
        project.skills = list(db.session.scalars(select(Skill).where(Skill.name == "草刈り")))
        project.districts = list(db.session.scalars(select(District).where(District.name == "板取")))
        db.session.commit()
        project_id, title = project.id, project.title
        search.rebuild()
        db.session.remove()
    return emails, project_id, title, tag


def test_staff_marks_a_suggestion_wrong_and_a_volunteer_sees_recommendations(
        open_page, check_page, expect, live_server):
    emails, project_id, title, tag = _setup(live_server)
    staff, log = open_page(bypass_csp=False)
    sign_in(staff, emails["staff"])

    with staff.expect_response(lambda r: r.url.endswith(f"/issues/{project_id}/suggestions")) as answer:
        staff.goto(f"/issues/{project_id}")
    assert answer.value.request.headers.get("hx-request") == "true", "the panel was not loaded by htmx"
    panel = staff.locator("#suggestion-panel")
    rows = panel.locator(".suggest-item")
    expect(rows).to_have_count(3)
    expect(panel.locator("mark").first).to_be_visible()
    expect(panel).to_contain_text("同じ地域委員会（板取）")
    expect(panel).to_contain_text("都合の合う時間：土曜 午前")
    assert_inert(staff, "the suggestion panel")
    check_page(staff, "project-suggestions")

    # 「この提案は合っていない」: the reason, then the row leaves the list without a page load.
    staff.evaluate("window.__marker = 1")
    row = rows.filter(has_text=f"土曜の助っ人{tag}")
    row.get_by_label("合っていない理由").select_option("consulted")
    with staff.expect_response(lambda r: r.request.method == "POST" and "/suggestions/feedback" in r.url) as posted:
        row.get_by_role("button", name="この提案は合っていない").click()
    assert posted.value.status == 200 and posted.value.request.headers.get("hx-request") == "true"
    expect(panel.locator(".suggest-status")).to_contain_text(f"「土曜の助っ人{tag}」を提案から外しました。")
    expect(rows).to_have_count(2)
    expect(panel.locator(".suggest-list")).not_to_contain_text(f"土曜の助っ人{tag}")
    expect(panel).to_contain_text("「合っていない」とした提案: 1件")
    assert staff.evaluate("window.__marker") == 1, "marking reloaded the page instead of swapping the panel"
    assert_inert(staff, "the swapped suggestion panel")
    check_page(staff, "suggestion-marked")
    assert not log.page_errors and not log.csp_messages()

    volunteer, vlog = open_page(bypass_csp=False)
    sign_in(volunteer, emails["volunteer"])
    volunteer.goto("/volunteers/me")
    recommendations = volunteer.locator("#recommendations-volunteer")
    expect(recommendations.locator(".suggest-item")).to_have_count(1)
    expect(recommendations).to_contain_text(title)
    expect(recommendations.locator("mark", has_text="草刈り").first).to_be_visible()
    check_page(volunteer, "volunteer-recommendations")
    recommendations.get_by_role("link", name=title).click()
    expect(volunteer.locator("main h1")).to_have_text(title)
    assert not vlog.page_errors and not vlog.csp_messages()
