"""Partner selection (V-2 協働のパートナーの選定) and the agreement (V-3 協定): services, pages and fragments."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import false, func, select

from kyodo_match.errors import Conflict, FieldRefused, NotAllowed, RuleViolation
from kyodo_match.extensions import db
from kyodo_match.models import Department, Notification, Project, ProjectPartner, Role
from kyodo_match.projects import agreement, lifecycle, partners
from tests.factories import make_group, make_project, make_user, make_volunteer_profile

TODAY = date.today()
PRIVATE = ("関 太郎", "せき たろう", "0575-22-3131", "private-vol@example.jp", "group-private@example.jp",
           "0575-23-4567")


def _staff(department_name="環境課"):
    dept = db.session.scalar(select(Department).where(Department.name == department_name))
    return make_user(Role.STAFF, department_id=dept.id)


def _text(response) -> str:
    return response.get_data(as_text=True)


def _notices(user) -> list[Notification]:
    return list(db.session.scalars(select(Notification).where(Notification.user_id == user.id)))


def _volunteer(display_name="かわせみ", **extra):
    user = make_user(Role.VOLUNTEER, display_name=display_name, email=extra.pop("email", None))
    return make_volunteer_profile(user, **extra)


def _agreed_setup():
    """A project in 協定 with one group partner; returns (project, staff, representative)."""
    staff, rep = _staff(), make_user(Role.GROUP_REP)
    group = make_group(representative=rep)
    project = make_project(status="selecting")
    partners.select_partner(project, staff, group_id=group.id, reason="河川清掃の実績がある")
    lifecycle.transition(project, "agreement", staff, today=TODAY)
    db.session.commit()
    return project, staff, rep


# --- services -------------------------------------------------------------------------------------------------

def test_department_staff_selects_a_verified_group_and_its_representative_is_notified(app):
    staff, rep = _staff(), make_user(Role.GROUP_REP)
    group = make_group(representative=rep)
    project = make_project(status="selecting")
    assert partners.can_select_partners(staff, project)
    partner = partners.select_partner(project, staff, group_id=group.id, reason="河川清掃の実績がある")
    db.session.commit()
    assert partner.group_id == group.id and partner.selected_by_id == staff.id and partner.reason
    notices = _notices(rep)
    assert [n.kind for n in notices] == ["project_partner_selected"]
    assert project.title in notices[0].message and notices[0].link == f"/issues/{project.id}/agreement"
    assert lifecycle.is_partner(rep, project)


def test_an_unverified_group_is_refused(app):
    group = make_group(status="pending")
    project = make_project(status="selecting")
    with pytest.raises(RuleViolation, match="確認が済んでいない") as refused:
        partners.select_partner(project, _staff(), group_id=group.id, reason="熱心だから")
    assert refused.value.status == 422
    assert db.session.scalar(select(ProjectPartner.id)) is None


def test_a_volunteer_whose_registration_lapsed_is_refused(app):
    profile = _volunteer(expires_on=TODAY - timedelta(days=1))
    project = make_project(status="selecting")
    with pytest.raises(RuleViolation, match="有効期限が切れている"):
        partners.select_partner(project, _staff(), volunteer_user_id=profile.user_id, reason="近所に住んでいる")


def test_a_volunteer_with_a_current_registration_is_selected_and_notified(app):
    profile = _volunteer()
    project = make_project(status="selecting")
    partners.select_partner(project, _staff(), volunteer_user_id=profile.user_id, reason="草刈りの経験がある")
    db.session.commit()
    assert [n.kind for n in _notices(profile.user)] == ["project_partner_selected"]


def test_a_user_without_a_volunteer_registration_is_refused(app):
    project = make_project(status="selecting")
    with pytest.raises(RuleViolation, match="人材バンクに登録"):
        partners.select_partner(project, _staff(), volunteer_user_id=make_user(Role.VOLUNTEER).id, reason="元気")


def test_selecting_the_same_group_twice_is_a_conflict(app):
    staff, group = _staff(), make_group()
    project = make_project(status="selecting", needed_groups=3)
    partners.select_partner(project, staff, group_id=group.id, reason="実績がある")
    db.session.commit()
    with pytest.raises(Conflict, match="すでにパートナー"):
        partners.select_partner(project, staff, group_id=group.id, reason="もう一度")


def test_a_duplicate_that_slips_past_the_check_is_still_a_conflict(app, monkeypatch):
    staff, group = _staff(), make_group()
    project = make_project(status="selecting", needed_groups=3)
    partners.select_partner(project, staff, group_id=group.id, reason="実績がある")
    db.session.commit()

    class _RaceLost:  # as if another request inserted the same partner between the check and the insert
        def where(self, *criteria):
            return false()

    monkeypatch.setattr(partners, "exists", _RaceLost)
    with pytest.raises(Conflict, match="すでにパートナー"):
        partners.select_partner(project, staff, group_id=group.id, reason="もう一度")
    db.session.commit()  # the session is still usable: only the savepoint was rolled back
    assert db.session.scalar(select(func.count()).select_from(ProjectPartner)) == 1


@pytest.mark.parametrize("status", ["draft", "recruiting", "agreement", "running", "closed"])
def test_selecting_outside_the_selection_step_is_a_conflict(app, status):
    project = make_project(status=status)
    with pytest.raises(Conflict, match="選定中"):
        partners.select_partner(project, _staff(), group_id=make_group().id, reason="実績がある")


def test_a_reason_is_required_because_it_is_published(app):
    project = make_project(status="selecting")
    with pytest.raises(FieldRefused) as refused:
        partners.select_partner(project, _staff(), group_id=make_group().id, reason="   ")
    assert refused.value.field == "reason"


def test_no_more_partners_than_the_project_asks_for(app):
    staff = _staff()
    project = make_project(status="selecting", needed_groups=1, needed_individuals=0)
    partners.select_partner(project, staff, group_id=make_group("第一の会").id, reason="実績がある")
    db.session.commit()
    with pytest.raises(Conflict, match="1団体"):
        partners.select_partner(project, staff, group_id=make_group("第二の会").id, reason="実績がある")
    with pytest.raises(Conflict, match="個人の参加者を募集していません"):
        partners.select_partner(project, staff, volunteer_user_id=_volunteer().user_id, reason="元気")


def test_staff_of_another_department_cannot_select(app):
    project = make_project(status="selecting")
    with pytest.raises(NotAllowed):
        partners.select_partner(project, _staff("土木課"), group_id=make_group().id, reason="実績がある")


def test_removing_a_partner_in_selection_notifies_them_and_is_refused_later(app):
    staff, rep = _staff(), make_user(Role.GROUP_REP)
    project = make_project(status="selecting")
    partner = partners.select_partner(project, staff, group_id=make_group(representative=rep).id, reason="実績")
    db.session.commit()
    with pytest.raises(FieldRefused):
        partners.remove_partner(project, staff, partner.id, "")
    partners.remove_partner(project, staff, partner.id, "辞退の申し出があったため")
    db.session.commit()
    assert not project.partners
    assert "project_partner_removed" in [n.kind for n in _notices(rep)]
    with pytest.raises(Conflict):
        partners.remove_partner(project, staff, partner.id, "もう一度")


def test_city_and_partner_confirm_then_the_project_may_start(app):
    project, staff, rep = _agreed_setup()
    with pytest.raises(Conflict, match="双方が協定"):
        lifecycle.transition(project, "running", staff, today=TODAY)
    agreement.confirm_agreement(project, staff, "city")
    db.session.commit()
    assert "project_agreement_confirmed" in [n.kind for n in _notices(rep)]
    with pytest.raises(Conflict, match="双方が協定"):
        lifecycle.transition(project, "running", staff, today=TODAY)
    with pytest.raises(Conflict, match="確認済み"):
        agreement.confirm_agreement(project, staff, "city")
    agreement.confirm_agreement(project, rep, "partner")
    db.session.commit()
    assert agreement.confirmers(project) == {"city": staff, "partner": rep}
    lifecycle.transition(project, "running", staff, today=TODAY)
    assert project.status == "running"


def test_a_non_partner_cannot_confirm_the_partner_side(app):
    project, staff, _rep = _agreed_setup()
    for outsider in (make_user(Role.GROUP_REP), make_user(Role.VOLUNTEER), staff):
        with pytest.raises(NotAllowed):
            agreement.confirm_agreement(project, outsider, "partner")
    with pytest.raises(NotAllowed):
        agreement.confirm_agreement(project, _rep, "city")
    assert project.agreement_partner_at is None and project.agreement_city_at is None


def test_confirming_outside_the_agreement_step_is_a_conflict(app):
    project = make_project(status="selecting")
    with pytest.raises(Conflict, match="協定"):
        agreement.confirm_agreement(project, _staff(), "city")


def test_reset_agreement_clears_both_confirmations(app):
    project, staff, rep = _agreed_setup()
    assert agreement.reset_agreement(project) is False
    agreement.confirm_agreement(project, staff, "city")
    agreement.confirm_agreement(project, rep, "partner")
    assert agreement.reset_agreement(project) is True
    assert project.agreement_city_at is None and project.agreement_partner_at is None
    assert agreement.confirmers(project) == {"city": None, "partner": None}
    agreement.confirm_agreement(project, staff, "city")  # may confirm again after a reset


def test_partnered_projects_lists_the_volunteers_and_the_representatives_projects(app, queries):
    staff, rep = _staff(), make_user(Role.GROUP_REP)
    profile = _volunteer()
    mine = [make_project(status="selecting", title=f"事業{i}") for i in range(3)]
    other = make_project(status="selecting", title="ほかの事業")
    group = make_group(representative=rep)
    for p in mine:
        partners.select_partner(p, staff, group_id=group.id, reason="実績")
    partners.select_partner(mine[0], staff, volunteer_user_id=profile.user_id, reason="経験")
    partners.select_partner(other, staff, group_id=make_group("別の会").id, reason="実績")
    db.session.commit()
    db.session.expire_all()
    assert rep.id and rep.role_names  # loaded before counting
    with queries() as q:
        listed = partners.partnered_projects(rep)
        names = [(p.department.name, [partners.partner_name(x) for x in p.partners]) for p in listed]
    assert {p.id for p in listed} == {p.id for p in mine} and len(names) == 3
    # projects, departments, partners, groups, volunteers (+ their roles): the same for 3 projects as for 1
    assert q.count <= 6
    assert [p.id for p in partners.partnered_projects(profile.user)] == [mine[0].id]


# --- pages ----------------------------------------------------------------------------------------------------

def test_staff_selects_a_group_through_the_partners_page(client, login):
    staff, rep = _staff(), make_user(Role.GROUP_REP)
    group = make_group("せきまち川の会", representative=rep)
    project = make_project(status="selecting")
    login(staff)
    page = client.get(f"/issues/{project.id}/partners")
    assert page.status_code == 200 and "せきまち川の会" in _text(page) and 'id="partner-candidates"' in _text(page)
    assert 'hx-trigger="input changed delay:400ms' in _text(page)
    done = client.post(f"/issues/{project.id}/partners",
                       data={"group_id": str(group.id), "reason": "川の清掃を10年続けている"})
    assert done.status_code == 303
    assert [p.group_id for p in db.session.get(Project, project.id).partners] == [group.id]
    assert "川の清掃を10年続けている" in _text(client.get(f"/issues/{project.id}/partners"))


def test_the_partners_page_refuses_a_missing_reason_with_422_and_selects_nothing(client, login):
    project, group = make_project(status="selecting"), make_group("せきまち川の会")
    login(_staff())
    refused = client.post(f"/issues/{project.id}/partners", data={"group_id": str(group.id), "reason": " "})
    assert refused.status_code == 422 and "選定理由を入力してください" in _text(refused)
    assert db.session.scalar(select(ProjectPartner.id)) is None


def test_selecting_twice_through_the_page_is_409(client, login):
    project, group = make_project(status="selecting", needed_groups=2), make_group()
    login(_staff())
    data = {"group_id": str(group.id), "reason": "実績がある"}
    assert client.post(f"/issues/{project.id}/partners", data=data).status_code == 303
    again = client.post(f"/issues/{project.id}/partners", data=data)
    assert again.status_code == 409 and "すでにパートナー" in _text(again)


def test_selecting_an_unverified_group_through_the_page_is_422(client, login):
    project, group = make_project(status="selecting"), make_group("申請中の会", status="pending")
    login(_staff())
    refused = client.post(f"/issues/{project.id}/partners", data={"group_id": str(group.id), "reason": "熱心"})
    assert refused.status_code == 422 and "確認が済んでいない" in _text(refused)


def test_selecting_through_the_page_outside_selection_is_409(client, login):
    project = make_project(status="recruiting")
    login(_staff())
    response = client.post(f"/issues/{project.id}/partners", data={"group_id": str(make_group().id), "reason": "実績"})
    assert response.status_code == 409


def test_the_candidate_search_is_a_fragment_for_htmx_and_a_page_otherwise(client, login):
    make_group("せきまち川の会")
    make_group("小瀬子ども会")
    project = make_project(status="selecting")
    login(_staff())
    url = f"/issues/{project.id}/partners?q=川の"
    full = client.get(url)
    assert full.status_code == 200 and "<html" in _text(full) and "HX-Request" in full.headers["Vary"]
    fragment = client.get(url, headers={"HX-Request": "true"})
    body = _text(fragment)
    assert fragment.status_code == 200 and "<html" not in body and "HX-Request" in fragment.headers["Vary"]
    assert body.lstrip().startswith('<div id="partner-candidates"')
    assert "せきまち川の会" in body and "小瀬子ども会" not in body and "パートナーに選ぶ" in body
    wildcard = client.get(f"/issues/{project.id}/partners?q=%25", headers={"HX-Request": "true"})
    assert wildcard.status_code == 200 and "せきまち川の会" not in _text(wildcard)


def test_volunteers_private_data_never_reaches_the_candidate_search(client, login):
    _volunteer("かわせみ", email="private-vol@example.jp")
    make_group("せきまち川の会")
    project = make_project(status="selecting")
    login(_staff())
    for headers in ({}, {"HX-Request": "true"}):
        for q in ("", "かわせみ", "せき"):
            body = _text(client.get(f"/issues/{project.id}/partners", query_string={"q": q}, headers=headers))
            assert not any(secret in body for secret in PRIVATE), (q, headers)
        assert "かわせみ" in _text(client.get(f"/issues/{project.id}/partners?q=かわせみ", headers=headers))
    # the real name finds no one: matching is by display name only (and the fragment does not echo the query)
    by_real_name = _text(client.get(f"/issues/{project.id}/partners", query_string={"q": "関 太郎"},
                                    headers={"HX-Request": "true"}))
    assert "かわせみ" not in by_real_name and "関 太郎" not in by_real_name


def test_the_project_page_shows_group_names_and_reasons_but_volunteers_only_as_a_count(client, login):
    staff = _staff()
    profile = _volunteer("かわせみ", email="private-vol@example.jp")
    project = make_project(status="selecting")
    partners.select_partner(project, staff, group_id=make_group("せきまち川の会").id, reason="10年の実績がある")
    partners.select_partner(project, staff, volunteer_user_id=profile.user_id, reason="近所に住んでいる")
    db.session.commit()
    public = _text(client.get(f"/issues/{project.id}"))
    assert "せきまち川の会" in public and "10年の実績がある" in public and "個人の参加者 1名" in public
    assert "かわせみ" not in public and "近所に住んでいる" not in public
    assert not any(secret in public for secret in PRIVATE)
    assert f"/issues/{project.id}/partners" not in public and f"/issues/{project.id}/agreement" not in public
    login(staff)
    managed = _text(client.get(f"/issues/{project.id}"))
    assert "かわせみ" in managed and f"/issues/{project.id}/partners" in managed
    assert not any(secret in managed for secret in PRIVATE)


def test_a_partner_sees_display_names_and_the_agreement_link_on_the_project_page(client, login):
    project, staff, rep = _agreed_setup()
    login(rep)
    page = _text(client.get(f"/issues/{project.id}"))
    assert f"/issues/{project.id}/agreement" in page and f"/issues/{project.id}/partners\"" not in page


@pytest.mark.parametrize(("method", "path"), [
    ("GET", "/partners"), ("GET", "/partners?q=会"), ("POST", "/partners"), ("POST", "/partners/{pid}/remove"),
    ("GET", "/agreement"), ("POST", "/agreement/confirm"),
])
def test_staff_of_another_department_is_refused_every_partner_route(client, login, method, path):
    staff = _staff()
    project = make_project(status="selecting")
    partner = partners.select_partner(project, staff, group_id=make_group().id, reason="実績")
    db.session.commit()
    login(_staff("土木課"))
    data = {"group_id": str(make_group("別の会").id), "reason": "実績", "side": "city"}
    response = client.open(f"/issues/{project.id}{path.format(pid=partner.id)}", method=method, data=data)
    assert response.status_code == 403
    assert len(db.session.get(Project, project.id).partners) == 1


def test_partner_pages_are_404_for_a_missing_project(client, login):
    login(_staff())
    assert client.get("/issues/999999/partners").status_code == 404
    assert client.get("/issues/999999/agreement").status_code == 404
    assert client.post("/issues/999999/partners", data={"group_id": "1", "reason": "x"}).status_code == 404


def test_the_agreement_sheet_is_confirmed_by_both_sides_through_the_pages(client, login):
    project, staff, rep = _agreed_setup()
    project.budget_total, project.budget_city, project.budget_partner = 50000, 30000, 20000
    db.session.commit()
    login(staff)
    sheet = _text(client.get(f"/issues/{project.id}/agreement"))
    for expected in ("協働事業 協定書", project.title, "環境課", "NPO法人 せきまち", project.city_role,
                     project.partner_role, "50,000円", "30,000円", "20,000円", project.selection_criteria,
                     "この内容で協定を確認する"):
        assert expected in sheet, expected
    assert 'value="city"' in sheet and 'value="partner"' not in sheet
    assert client.post(f"/issues/{project.id}/agreement/confirm", data={"side": "city"}).status_code == 303
    assert client.post(f"/issues/{project.id}/agreement/confirm", data={"side": "city"}).status_code == 409
    refused = client.post(f"/issues/{project.id}/transition", data={"target": "running"})
    assert refused.status_code == 409
    client.post("/logout")
    login(rep)
    sheet = _text(client.get(f"/issues/{project.id}/agreement"))
    assert 'value="partner"' in sheet and 'value="city"' not in sheet and staff.display_name in sheet
    assert client.post(f"/issues/{project.id}/agreement/confirm", data={"side": "city"}).status_code == 403
    assert client.post(f"/issues/{project.id}/agreement/confirm", data={"side": "partner"}).status_code == 303
    assert rep.display_name in _text(client.get(f"/issues/{project.id}/agreement"))
    client.post("/logout")
    login(staff)
    assert client.post(f"/issues/{project.id}/transition", data={"target": "running"}).status_code == 303
    assert db.session.get(Project, project.id).status == "running"


def test_a_signed_in_outsider_cannot_see_or_confirm_the_agreement(client, login):
    project, _staff_user, _rep = _agreed_setup()
    login(make_user(Role.GROUP_REP))
    assert client.get(f"/issues/{project.id}/agreement").status_code == 403
    assert client.post(f"/issues/{project.id}/agreement/confirm", data={"side": "partner"}).status_code == 403
    assert db.session.get(Project, project.id).agreement_partner_at is None


def test_a_coordinator_may_open_the_agreement_sheet(client, login):
    project, _staff_user, _rep = _agreed_setup()
    login(make_user(Role.COORDINATOR))
    assert client.get(f"/issues/{project.id}/agreement").status_code == 200


def test_the_agreement_sheet_as_page_and_as_htmx_fragment(client, login):
    project, staff, _rep = _agreed_setup()
    login(staff)
    full = client.get(f"/issues/{project.id}/agreement")
    assert "<html" in _text(full) and "HX-Request" in full.headers["Vary"]
    fragment = client.get(f"/issues/{project.id}/agreement", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in _text(fragment) and "協働事業 協定書" in _text(fragment)
    assert "HX-Request" in fragment.headers["Vary"]


def test_confirming_without_a_csrf_token_is_refused(client, login):
    project, staff, _rep = _agreed_setup()
    login(staff)
    response = client.post(f"/issues/{project.id}/agreement/confirm", data={"side": "city"}, csrf=False)
    assert response.status_code == 400
    assert db.session.get(Project, project.id).agreement_city_at is None


def test_the_partnered_page_lists_the_project_for_the_group_representative(client, login):
    project, _staff_user, rep = _agreed_setup()
    other = make_project(status="recruiting", title="関係のない事業")
    login(rep)
    page = client.get("/issues/partnered")
    body = _text(page)
    assert page.status_code == 200 and project.title in body and other.title not in body
    assert f"/issues/{project.id}/agreement" in body and "パートナーの確認待ち" in body


def test_outside_selection_the_partners_page_lists_partners_without_any_form(client, login):
    project, staff, _rep = _agreed_setup()
    login(staff)
    page = _text(client.get(f"/issues/{project.id}/partners"))
    assert "NPO法人 せきまち" in page and "河川清掃の実績がある" in page
    assert "パートナーに選ぶ" not in page and "この選定を取り消す" not in page and "「選定中」の事業だけ" in page


def test_the_partnered_page_is_empty_for_a_volunteer_who_was_not_chosen(client, login):
    login(make_user(Role.VOLUNTEER))
    assert "パートナーに選ばれた事業はまだありません" in _text(client.get("/issues/partnered"))


def test_removing_through_the_page_needs_a_reason(client, login):
    staff = _staff()
    project = make_project(status="selecting")
    partner = partners.select_partner(project, staff, group_id=make_group().id, reason="実績")
    db.session.commit()
    login(staff)
    refused = client.post(f"/issues/{project.id}/partners/{partner.id}/remove", data={"reason": ""})
    assert refused.status_code == 422 and "取り消す理由を入力してください" in _text(refused)
    done = client.post(f"/issues/{project.id}/partners/{partner.id}/remove", data={"reason": "辞退の申し出"})
    assert done.status_code == 303 and not db.session.get(Project, project.id).partners


def test_names_and_reasons_are_escaped_in_the_candidates_and_on_the_project_page(client, login):
    staff = _staff()
    project = make_project(status="selecting", needed_groups=2)
    make_group("<script>alert(1)</script>の会")
    chosen = make_group("川の会")
    partners.select_partner(project, staff, group_id=chosen.id, reason='<img src=x onerror="alert(2)">')
    db.session.commit()
    login(staff)
    fragment = _text(client.get(f"/issues/{project.id}/partners?q=の会", headers={"HX-Request": "true"}))
    assert "&lt;script&gt;alert(1)&lt;/script&gt;の会" in fragment and "<script>alert" not in fragment
    page = _text(client.get(f"/issues/{project.id}"))
    assert "&lt;img src=x" in page and "<img src=x" not in page
