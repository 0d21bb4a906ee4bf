"""The department workspace: one-click lifecycle steps swap the workspace in place; refusals show beside the card."""

from __future__ import annotations

from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Department, ProjectPartner, Role
from tests.factories import make_group, make_project, make_user


def _staff(name="環境課"):
    return make_user(Role.STAFF, department_id=db.session.scalar(select(Department.id).where(Department.name == name)))


def _text(response) -> str:
    return response.get_data(as_text=True)


def test_staff_publishes_from_the_workspace_and_the_card_moves_to_recruiting(client, login):
    project = make_project(title="すぐ公開できる事業")
    login(_staff())
    page = _text(client.get("/issues/mine"))
    assert f'hx-post="/issues/mine/{project.id}/transition"' in page and "公開して募集を始める" in page
    response = client.post(f"/issues/mine/{project.id}/transition", data={"target": "recruiting"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = _text(response)
    assert "<html" not in text and 'id="project-workspace"' in text and "HX-Request" in response.headers["Vary"]
    assert "公募中（1件）" in text and "検討中（" not in text
    assert "「すぐ公開できる事業」を「公募中」にしました。" in text  # the flash travels out of band
    db.session.refresh(project)
    assert project.status == "recruiting"


def test_a_refused_publication_lists_the_rules_beside_its_card_with_422(client, login):
    project = make_project(title="目的のない事業", purpose="", city_role="")
    login(_staff())
    response = client.post(f"/issues/mine/{project.id}/transition", data={"target": "recruiting"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    text = _text(response)
    assert "ルール2 目的や地域課題の共有" in text and "ルール6 役割分担の明確化" in text
    assert f'href="/issues/{project.id}/edit"' in text
    db.session.refresh(project)
    assert project.status == "draft"


def test_without_htmx_the_step_redirects_back_to_the_workspace(client, login):
    project = make_project()
    login(_staff())
    response = client.post(f"/issues/mine/{project.id}/transition", data={"target": "recruiting"})
    assert response.status_code == 303 and response.headers["Location"].endswith("/issues/mine")


def test_an_illegal_step_is_409_and_changes_nothing(client, login):
    project = make_project(status="recruiting")
    login(_staff())
    response = client.post(f"/issues/mine/{project.id}/transition", data={"target": "closed"})
    assert response.status_code == 409
    db.session.refresh(project)
    assert project.status == "recruiting"


def test_steps_that_need_a_reason_are_not_offered_as_one_click_buttons(client, login):
    project = make_project(status="selecting")
    login(_staff())
    text = _text(client.get("/issues/mine"))
    assert "協定の確認に進む" in text and "募集を再開する" not in text and "中止する" not in text
    assert client.post(f"/issues/mine/{project.id}/transition", data={"target": "cancelled"}).status_code == 422


def test_another_departments_staff_gets_403_from_the_workspace_step(client, login):
    project = make_project("環境課")
    login(_staff("秘書課"))
    assert client.post(f"/issues/mine/{project.id}/transition", data={"target": "recruiting"}).status_code == 403
    db.session.refresh(project)
    assert project.status == "draft"


def test_the_workspace_counts_partners_per_project(client, login):
    project = make_project(status="selecting", title="団体を選んだ事業")
    for name in ("NPO法人 ひだまり", "自治会 さくら"):
        db.session.add(ProjectPartner(project_id=project.id, group_id=make_group(name).id, reason="経験がある"))
    db.session.commit()
    login(_staff())
    assert "パートナー: 2" in _text(client.get("/issues/mine"))


def test_partners_are_told_of_an_edit_after_publication(client, login):
    from kyodo_match.models import Notification

    rep = make_user(Role.GROUP_REP)
    group = make_group("NPO法人 かわせみ", representative=rep)
    project = make_project(status="selecting", title="河川の見守り")
    db.session.add(ProjectPartner(project_id=project.id, group_id=group.id, reason="川の活動の経験"))
    db.session.commit()
    login(_staff())
    data = {"kind": "project", "title": "河川の見守り", "selection_method": "open_call",
            "place": "津保川の河川敷", "needed_individuals": "5", "needed_groups": "1"}
    assert client.post(f"/issues/{project.id}/edit", data=data).status_code == 303
    notice = db.session.scalar(select(Notification).where(Notification.user_id == rep.id))
    assert notice is not None and notice.kind == "project_revised" and notice.link == f"/issues/{project.id}"
    assert "「河川の見守り」の内容が変更されました" in notice.message and "場所" in notice.message


def test_changing_the_role_split_during_the_agreement_asks_both_sides_to_confirm_again(client, login):
    from kyodo_match.models import Notification, utcnow

    rep = make_user(Role.GROUP_REP)
    group = make_group("自治会 つばき", representative=rep)
    project = make_project(status="agreement", title="公園の花壇づくり", agreement_city_at=utcnow(),
                           agreement_partner_at=utcnow())
    db.session.add(ProjectPartner(project_id=project.id, group_id=group.id, reason="花壇の経験"))
    db.session.commit()
    login(_staff())
    unchanged = {"kind": "project", "title": "公園の花壇づくり", "selection_method": "open_call",
                 "city_role": project.city_role, "partner_role": project.partner_role,
                 "period_start": project.period_start.isoformat(), "period_end": project.period_end.isoformat(),
                 "needed_individuals": "5", "needed_groups": "1", "place": "中池公園"}
    assert client.post(f"/issues/{project.id}/edit", data=unchanged).status_code == 303
    db.session.refresh(project)
    assert project.agreement_city_at is not None  # a change outside the agreement keeps the confirmations
    changed = dict(unchanged, city_role="花の苗と土の支給のみ")
    assert client.post(f"/issues/{project.id}/edit", data=changed).status_code == 303
    db.session.refresh(project)
    assert project.agreement_city_at is None and project.agreement_partner_at is None
    notices = db.session.scalars(select(Notification.message).where(Notification.user_id == rep.id)).all()
    assert any("もう一度確認" in m for m in notices)
