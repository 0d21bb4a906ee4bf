"""Project pages: drafting, publishing against the rules, the public list and page, the workspace, revisions."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Department, Project, ProjectRevision, ProjectTransition, Role
from tests.factories import make_project, make_user

TODAY = date.today()


def _dept(name="環境課") -> int:
    return db.session.scalar(select(Department.id).where(Department.name == name))


def _staff(name="環境課"):
    return make_user(Role.STAFF, department_id=_dept(name))


def _text(response) -> str:
    return response.get_data(as_text=True)


COMPLETE = {
    "kind": "project", "title": "公園のごみ拾い", "summary": "中池公園をきれいにします。",
    "beneficiaries": "公園で遊ぶ子どもたち", "purpose": "安心して遊べる公園にするため",
    "domain": "cooperation", "method": "joint_project", "city_role": "ごみ袋の支給と回収",
    "partner_role": "清掃の企画と参加者の募集", "selection_method": "open_call",
    "selection_criteria": "地域で清掃活動をしていること",
    "recruit_from": TODAY.isoformat(), "recruit_until": (TODAY + timedelta(days=30)).isoformat(),
    "period_start": (TODAY + timedelta(days=40)).isoformat(),
    "period_end": (TODAY + timedelta(days=200)).isoformat(),
    "needed_individuals": "10", "needed_groups": "1", "place": "中池公園", "budget_total": "50000",
}


def test_staff_drafts_is_refused_publication_by_rule_then_fills_in_and_publishes(client, login):
    staff = _staff()
    login(staff)
    draft = client.post("/issues/new", data={"kind": "project", "title": "公園のごみ拾い",
                                             "selection_method": "open_call"})
    assert draft.status_code == 303
    project = db.session.scalar(select(Project).where(Project.title == "公園のごみ拾い"))
    assert project.status == "draft" and project.department_id == staff.department_id

    refused = client.post(f"/issues/{project.id}/transition", data={"target": "recruiting"})
    assert refused.status_code == 422
    page = _text(refused)
    assert "ルール2 目的や地域課題の共有: 「誰のために」協働するのかを書いてください。" in page
    assert "ルール4 公平な機会: " in page and "ルール5 期限の明確化: " in page
    assert "ルール6 役割分担の明確化: 市（担当課）の役割を書いてください。" in page
    db.session.refresh(project)
    assert project.status == "draft"
    fragment = client.post(f"/issues/{project.id}/transition", data={"target": "recruiting"},
                           headers={"HX-Request": "true"})
    assert fragment.status_code == 422 and "<html" not in _text(fragment)
    assert "ルール2 目的や地域課題の共有: " in _text(fragment) and "HX-Request" in fragment.headers["Vary"]

    assert client.post(f"/issues/{project.id}/edit", data=COMPLETE).status_code == 303
    published = client.post(f"/issues/{project.id}/transition", data={"target": "recruiting"})
    assert published.status_code == 303
    db.session.refresh(project)
    assert project.status == "recruiting" and project.published_at is not None
    assert project.budget_total == 50000

    client.post("/logout")
    listing = _text(client.get("/issues/"))
    assert "公園のごみ拾い" in listing
    assert "公園のごみ拾い" in _text(client.get("/issues/?q=ゴミ拾い"))
    assert "公園のごみ拾い" not in _text(client.get("/issues/?q=草刈り大会"))


def test_a_draft_saves_without_the_rules_but_bad_input_is_422_beside_the_field(client, login):
    login(_staff())
    response = client.post("/issues/new", data={"kind": "project", "title": "", "budget_total": "-5",
                                                 "period_end": "来年", "selection_method": "open_call"})
    assert response.status_code == 422
    page = _text(response)
    assert 'id="title-error"' in page and 'id="budget_total-error"' in page and 'id="period_end-error"' in page
    assert db.session.scalar(select(Project.id)) is None


def test_staff_of_another_department_cannot_edit(client, login):
    project = make_project("環境課")
    login(_staff("秘書課"))
    assert client.get(f"/issues/{project.id}/edit").status_code == 403
    assert client.post(f"/issues/{project.id}/edit", data=COMPLETE).status_code == 403
    assert client.post(f"/issues/{project.id}/transition", data={"target": "recruiting"}).status_code == 403
    db.session.refresh(project)
    assert project.title != "公園のごみ拾い" and project.status == "draft"


def test_volunteer_cannot_open_new(client, login_as):
    login_as(Role.VOLUNTEER)
    assert client.get("/issues/new").status_code == 403
    assert client.get("/issues/mine").status_code == 403


def test_anonymous_sees_a_published_project_but_not_a_draft(client):
    published = make_project(status="recruiting", title="河川敷の清掃")
    draft = make_project(title="まだ内緒の事業")
    page = client.get(f"/issues/{published.id}")
    assert page.status_code == 200
    text = _text(page)
    assert "河川敷の清掃" in text and "ルール2" in text and "ルール6" in text and "環境課" in text
    assert "公開後の変更の記録" not in text and "事業を進める" not in text
    assert client.get(f"/issues/{draft.id}").status_code == 404
    assert "まだ内緒の事業" not in _text(client.get("/issues/"))


def test_department_staff_sees_its_draft_and_the_transition_buttons(client, login):
    draft = make_project(title="担当課の下書き")
    login(_staff())
    text = _text(client.get(f"/issues/{draft.id}"))
    assert "担当課の下書き" in text and "公開して募集を始める" in text and "中止する" in text
    assert 'name="comment"' in text


def test_illegal_transition_is_409(client, login):
    project = make_project()
    login(_staff())
    response = client.post(f"/issues/{project.id}/transition", data={"target": "closed"})
    assert response.status_code == 409
    db.session.refresh(project)
    assert project.status == "draft"


def test_cancel_needs_a_comment_and_is_shown_on_the_timeline(client, login):
    project = make_project(status="recruiting")
    staff = _staff()
    login(staff)
    assert client.post(f"/issues/{project.id}/transition", data={"target": "cancelled"}).status_code == 422
    ok = client.post(f"/issues/{project.id}/transition",
                     data={"target": "cancelled", "comment": "予算がつかなかったため"})
    assert ok.status_code == 303
    step = db.session.scalar(select(ProjectTransition).where(ProjectTransition.project_id == project.id))
    assert (step.from_status, step.to_status, step.actor_id) == ("recruiting", "cancelled", staff.id)
    text = _text(client.get(f"/issues/{project.id}"))
    assert "予算がつかなかったため" in text and staff.display_name in text


def test_edit_after_publication_records_a_revision(client, login):
    project = make_project(status="recruiting", title="古い題名")
    login(_staff())
    data = dict(COMPLETE, title="新しい題名")
    assert client.post(f"/issues/{project.id}/edit", data=data).status_code == 303
    revision = db.session.scalar(select(ProjectRevision).where(ProjectRevision.project_id == project.id))
    assert revision is not None
    assert revision.changes["title"] == ["古い題名", "新しい題名"]
    assert revision.changes["period_end"][1] == COMPLETE["period_end"]
    text = _text(client.get(f"/issues/{project.id}"))
    assert "公開後の変更の記録" in text and "題名" in text


def test_editing_a_draft_records_no_revision(client, login):
    project = make_project(title="下書き")
    login(_staff())
    assert client.post(f"/issues/{project.id}/edit", data=COMPLETE).status_code == 303
    assert db.session.scalar(select(ProjectRevision.id)) is None


def test_issue_list_is_a_page_or_an_htmx_fragment(client):
    make_project(status="recruiting", title="公開中の事業")
    full = client.get("/issues/")
    fragment = client.get("/issues/", headers={"HX-Request": "true"})
    assert "<html" in _text(full) and 'id="issue-results"' in _text(full)
    assert "<html" not in _text(fragment) and 'id="issue-results"' in _text(fragment)
    assert "公開中の事業" in _text(fragment)
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]


def test_workspace_groups_the_departments_projects_by_status(client, login):
    make_project(title="環境課の下書き")
    make_project(status="recruiting", title="環境課の公募")
    make_project("秘書課", title="秘書課の事業")
    login(_staff())
    text = _text(client.get("/issues/mine"))
    assert "環境課の下書き" in text and "環境課の公募" in text and "秘書課の事業" not in text
    assert "検討中" in text and "公募中" in text and "/issues/new" in text


def test_coordinator_sees_every_department_and_creates_for_one(client, login_as):
    make_project("秘書課", title="秘書課の事業")
    login_as(Role.COORDINATOR)
    assert "秘書課の事業" in _text(client.get("/issues/mine"))
    response = client.post("/issues/new", data={"department_id": str(_dept("秘書課")), "kind": "issue",
                                                 "title": "空き家の活用", "selection_method": "open_call"})
    assert response.status_code == 303
    project = db.session.scalar(select(Project).where(Project.title == "空き家の活用"))
    assert project.department_id == _dept("秘書課")
