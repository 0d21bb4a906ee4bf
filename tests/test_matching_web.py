"""The matcher on the web: the panel on an issue (page and htmx fragment), its JSON API, 「合っていない」 marks,
private data kept out, escaped highlighting, and あなたにおすすめの事業 for volunteers and groups."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kyodo_match import search
from kyodo_match.extensions import db
from kyodo_match.models import Department, District, Role, Skill, SuggestionFeedback
from tests.factories import make_group, make_project, make_user, make_volunteer_profile

HANAKO = {"real name": "秘密 花子", "phone": "0575-99-1234", "e-mail": "secret-hanako@example.jp",
          "postal code": "501-3899", "self-introduction": "自己紹介ひみつのことば"}
JIRO = {"real name": "非公開 次郎", "phone": "0575-88-4321", "e-mail": "secret-jiro@example.jp"}
GROUP_PRIVATE = {"e-mail": "group-secret@example.jp", "phone": "0575-77-5555", "address": "関市ひみつ町一丁目2番3号",
                 "postal code": "501-3877", "representative": "代表 ひみつ"}
PRIVATE = [*HANAKO.values(), *JIRO.values(), *GROUP_PRIVATE.values()]
GROUP_NAME = "<script>alert(1)</script>草刈りの会"
GROUP_DESCRIPTION = "<img src=x onerror=alert(1)>板取川の河川敷で草刈りをしています。"


def _dept(name: str) -> int:
    return db.session.scalar(select(Department.id).where(Department.name == name))


def _issue(status: str = "recruiting", title: str = "板取川沿いの草刈り", **extra):
    project = make_project("環境課", status=status, title=title, schedule_slots=["sat_am"], commit=False,
                           summary="河川敷の草刈りを手伝ってください。", partner_role="草刈りと片付け", **extra)
    project.skills = list(db.session.scalars(select(Skill).where(Skill.name == "草刈り")))
    project.districts = list(db.session.scalars(select(District).where(District.name == "板取")))
    db.session.commit()
    return project


@pytest.fixture
def city(app):
    """A recruiting issue in 板取 wanting 草刈り on Saturday mornings, and candidates with known private data."""
    hanako = make_user(Role.VOLUNTEER, email=HANAKO["e-mail"], display_name="はなこ")
    make_volunteer_profile(hanako, public=True, skills=["草刈り"], districts=["板取"], availability=["sat_am"],
                           real_name=HANAKO["real name"], phone=HANAKO["phone"], postal_code=HANAKO["postal code"],
                           bio=HANAKO["self-introduction"] + " 休日に除草をしています。")
    jiro = make_user(Role.VOLUNTEER, email=JIRO["e-mail"], display_name="じろう")
    make_volunteer_profile(jiro, public=False, skills=["草刈り"], districts=["板取"], availability=["sat_am"],
                           real_name=JIRO["real name"], phone=JIRO["phone"])
    rep = make_user(Role.GROUP_REP)
    group = make_group(GROUP_NAME, representative=rep, skills=["草刈り"], districts=["板取"], availability=["sat_am"],
                       description=GROUP_DESCRIPTION, contact_email=GROUP_PRIVATE["e-mail"],
                       contact_phone=GROUP_PRIVATE["phone"], address=GROUP_PRIVATE["address"],
                       postal_code=GROUP_PRIVATE["postal code"], representative_name=GROUP_PRIVATE["representative"])
    project = _issue()
    draft = _issue("draft", title="下書きの草刈り")
    closed = _issue("closed", title="終わった草刈り")
    search.rebuild()
    return {"project": project, "hanako": hanako, "jiro": jiro, "group": group, "rep": rep, "draft": draft,
            "closed": closed, "staff": make_user(Role.STAFF, department_id=_dept("環境課"))}


def _panel_url(project) -> str:
    return f"/issues/{project.id}/suggestions"


def _api(client, project, query: str = ""):
    return client.get(f"/api/issues/{project.id}/suggestions{query}")


def _assert_no_private_data(body: str, where: str) -> None:
    leaked = [v for v in PRIVATE if v in body]
    assert not leaked, f"private data on {where}: {leaked}"


def test_staff_sees_the_panel_as_a_page_and_as_an_htmx_fragment(city, client, login):
    login(city["staff"])
    page = client.get(_panel_url(city["project"]))
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    html = page.get_data(as_text=True)
    assert "<h1>" in html and 'id="suggestion-panel"' in html and "おすすめの人・団体" in html
    assert "はなこ" in html and "じろう" in html and "草刈りの会" in html
    assert "同じ地域委員会（板取）" in html and "都合の合う時間：土曜 午前" in html
    assert "個人" in html and "団体" in html
    fragment = client.get(_panel_url(city["project"]), headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    assert body.lstrip().startswith('<section id="suggestion-panel"') and "<html" not in body and "<h1>" not in body
    assert "はなこ" in body


def test_the_project_page_loads_the_panel_by_htmx_only_for_those_who_manage_it(city, client, login):
    project = city["project"]
    assert f'hx-get="{_panel_url(project)}"' not in client.get(f"/issues/{project.id}").get_data(as_text=True)
    login(city["staff"])
    html = client.get(f"/issues/{project.id}").get_data(as_text=True)
    assert f'hx-get="{_panel_url(project)}"' in html and 'hx-trigger="load"' in html
    assert f'href="{_panel_url(project)}"' in html  # the link that works without script
    closed = client.get(f"/issues/{city['closed'].id}").get_data(as_text=True)
    assert "suggestion-panel" not in closed


def test_a_project_in_selection_still_gets_suggestions(city, client, login):
    project = city["project"]
    project.status = "selecting"
    db.session.commit()
    login(city["staff"])
    names = {s["name"] for s in _api(client, project).get_json()["suggestions"]}
    assert "はなこ" in names


@pytest.mark.parametrize("who", ["volunteer", "other department"])
def test_others_get_403_on_the_panel_and_the_api(who, city, client, login):
    user = (make_user(Role.VOLUNTEER) if who == "volunteer"
            else make_user(Role.STAFF, department_id=_dept("福祉政策課")))
    login(user)
    project = city["project"]
    assert client.get(_panel_url(project)).status_code == 403
    assert client.get(_panel_url(project), headers={"HX-Request": "true"}).status_code == 403
    refused = _api(client, project)
    assert refused.status_code == 403 and refused.is_json and refused.get_json()["error"]
    marked = client.post(f"{_panel_url(project)}/feedback",
                         data={"kind": "group", "candidate_id": city["group"].id, "reason": "other"})
    assert marked.status_code == 403
    assert db.session.scalar(select(func.count()).select_from(SuggestionFeedback)) == 0


def test_anonymous_is_sent_to_login_and_the_api_answers_401_json(city, client):
    project = city["project"]
    for url in (_panel_url(project), "/volunteers/me/suggestions"):
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"], url
    api = client.get(f"/api/issues/{project.id}/suggestions")
    assert api.status_code == 401 and api.get_json()["error"] == "ログインが必要です"
    assert client.get("/api/issues/999999/suggestions").status_code == 401


def test_coordinators_use_the_api_with_its_json_shape(city, client, login_as):
    login_as(Role.COORDINATOR)
    response = _api(client, city["project"])
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.get_json()
    assert data["issue"] == city["project"].id
    assert data["suggestions"]
    for s in data["suggestions"]:
        assert set(s) == {"kind", "id", "name", "score", "reasons"}
        assert s["kind"] in {"volunteer", "group"} and isinstance(s["id"], int) and isinstance(s["score"], float)
        assert all(isinstance(r, str) for r in s["reasons"]) and s["reasons"]
    kinds = {(s["kind"], s["name"]) for s in data["suggestions"]}
    assert {("volunteer", "はなこ"), ("volunteer", "じろう"), ("group", GROUP_NAME)} <= kinds


@pytest.mark.parametrize(("query", "most"), [("?limit=1", 1), ("?limit=0", 1), ("?limit=-5", 1),
                                              ("?limit=999999", 50), ("?limit=2", 2)])
def test_the_api_limit_is_clamped_to_1_to_50(query, most, city, client, login):
    login(city["staff"])
    response = _api(client, city["project"], query)
    assert response.status_code == 200
    assert 1 <= len(response.get_json()["suggestions"]) <= most


@pytest.mark.parametrize("bad", ["abc", "1.5", "", "1e3", "%3Cscript%3E"])
def test_a_bad_limit_is_400_with_a_japanese_message(bad, city, client, login):
    login(city["staff"])
    response = _api(client, city["project"], f"?limit={bad}")
    assert response.status_code == 400 and response.mimetype == "application/json"
    assert "limit には 1〜50 の整数" in response.get_json()["error"]


def _mark(client, project, kind, candidate_id, reason="district", **kwargs):
    return client.post(f"{_panel_url(project)}/feedback",
                       data={"kind": kind, "candidate_id": candidate_id, "reason": reason}, **kwargs)


def test_marking_a_suggestion_wrong_removes_it_and_a_second_mark_is_409(city, client, login):
    login(city["staff"])
    project, hanako = city["project"], city["hanako"]
    before = _api(client, project).get_json()["suggestions"]
    assert ("volunteer", hanako.id) in {(s["kind"], s["id"]) for s in before}
    swapped = _mark(client, project, "volunteer", hanako.id, headers={"HX-Request": "true"})
    assert swapped.status_code == 200
    body = swapped.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="suggestion-panel"')
    assert "「はなこ」を提案から外しました。" in body and f'id="suggestion-volunteer-{hanako.id}"' not in body
    after = _api(client, project).get_json()["suggestions"]
    assert ("volunteer", hanako.id) not in {(s["kind"], s["id"]) for s in after}
    assert len(after) == len(before) - 1  # the others are still there (the wrapper fills up to the limit)
    row = db.session.scalar(select(SuggestionFeedback))
    assert (row.project_id, row.candidate_kind, row.candidate_id, row.reason, row.user_id) == (
        project.id, "volunteer", hanako.id, "district", city["staff"].id)
    assert _mark(client, project, "volunteer", hanako.id).status_code == 409
    assert db.session.scalar(select(func.count()).select_from(SuggestionFeedback)) == 1


def test_a_mark_without_a_reason_is_refused_in_place(city, client, login):
    login(city["staff"])
    group = city["group"]
    response = _mark(client, city["project"], "group", group.id, reason="", headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "合っていない理由を選んでください。" in body and f'id="suggestion-group-{group.id}"' in body
    assert _mark(client, city["project"], "group", group.id, reason="nonsense").status_code == 422
    assert _mark(client, city["project"], "spaceship", group.id).status_code == 422
    assert db.session.scalar(select(func.count()).select_from(SuggestionFeedback)) == 0


def test_a_closed_project_has_no_panel_and_takes_no_marks(city, client, login):
    login(city["staff"])
    closed = city["closed"]
    page = client.get(_panel_url(closed)).get_data(as_text=True)
    assert "おすすめは、公募中と選定中の事業にだけ表示されます。" in page
    assert _api(client, closed).get_json() == {"issue": closed.id, "suggestions": []}
    assert _mark(client, closed, "group", city["group"].id).status_code == 409


def test_a_mark_without_a_csrf_token_is_refused(city, client, login):
    login(city["staff"])
    response = _mark(client, city["project"], "group", city["group"].id, csrf=False)
    assert response.status_code == 400
    assert db.session.scalar(select(func.count()).select_from(SuggestionFeedback)) == 0


def test_without_script_a_mark_redirects_to_the_panel_page(city, client, login):
    login(city["staff"])
    response = _mark(client, city["project"], "group", city["group"].id)
    assert response.status_code == 303 and response.headers["Location"].endswith(_panel_url(city["project"]))


def test_coordinators_see_how_many_were_marked_wrong_and_can_undo(city, client, login, login_as):
    project, group = city["project"], city["group"]
    login(city["staff"])
    assert _mark(client, project, "group", group.id, reason="consulted").status_code == 303
    staff_page = client.get(_panel_url(project)).get_data(as_text=True)
    assert "「合っていない」とした提案: 1件" in staff_page and "取り消す" not in staff_page
    row_id = db.session.scalar(select(SuggestionFeedback.id))
    assert client.post(f"{_panel_url(project)}/feedback/{row_id}/undo").status_code == 403
    client.post("/logout")
    login_as(Role.COORDINATOR)
    page = client.get(_panel_url(project)).get_data(as_text=True)
    assert "「合っていない」とされた提案（1件）" in page and "すでに相談済み" in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;草刈りの会" in page
    assert client.post(f"{_panel_url(project)}/feedback/{row_id}/undo").status_code == 303
    assert db.session.scalar(select(func.count()).select_from(SuggestionFeedback)) == 0
    again = {(s["kind"], s["id"]) for s in _api(client, project).get_json()["suggestions"]}
    assert ("group", group.id) in again


def test_private_data_never_appears_in_the_panel_the_api_or_the_recommendations(city, client, login, login_as):
    project = city["project"]
    login_as(Role.COORDINATOR)
    _assert_no_private_data(client.get(_panel_url(project)).get_data(as_text=True), "the panel page")
    _assert_no_private_data(client.get(_panel_url(project), headers={"HX-Request": "true"}).get_data(as_text=True),
                            "the panel fragment")
    _assert_no_private_data(_api(client, project, "?limit=50").get_data(as_text=True), "the API")
    client.post("/logout")
    login(city["hanako"])
    _assert_no_private_data(client.get("/volunteers/me/suggestions").get_data(as_text=True), "recommendations")
    client.post("/logout")
    login(city["rep"])
    _assert_no_private_data(client.get(f"/groups/{city['group'].id}/suggestions").get_data(as_text=True),
                            "group recommendations")


def test_html_in_a_group_name_and_description_stays_text_with_the_match_highlighted(city, client, login):
    login(city["staff"])
    body = client.get(_panel_url(city["project"]), headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "<script>alert(1)" not in body and "<img src=x" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt;<mark>草刈り</mark>の会" in body
    described = ("&lt;img src=x onerror=alert(1)&gt;"
                 "<mark>板取川</mark>の<mark>河川敷</mark>で<mark>草刈り</mark>をしています。")
    assert described in body
    assert "一致した技能・経験：<mark>草刈り</mark>" in body


def test_volunteers_get_recruiting_projects_never_drafts_or_closed_ones(city, client, login):
    login(city["hanako"])
    me = client.get("/volunteers/me").get_data(as_text=True)
    assert 'hx-get="/volunteers/me/suggestions"' in me and "あなたにおすすめの事業" in me
    fragment = client.get("/volunteers/me/suggestions", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "HX-Request" in fragment.headers["Vary"]
    body = fragment.get_data(as_text=True)
    assert body.lstrip().startswith('<section id="recommendations-volunteer"')
    assert f'href="/issues/{city["project"].id}"' in body and "河川敷の<mark>草刈り</mark>を手伝ってください。" in body
    assert "板取川沿いの草刈り" in body and "同じ地域委員会（板取）" in body
    assert "下書きの草刈り" not in body and "終わった草刈り" not in body
    page = client.get("/volunteers/me/suggestions")
    assert page.status_code == 200 and "<h1>" in page.get_data(as_text=True)


def test_a_lapsed_volunteer_is_asked_to_renew_instead(city, client, login):
    profile = city["hanako"].id
    from kyodo_match.models import VolunteerProfile

    db.session.get(VolunteerProfile, profile).expires_on = date.today() - timedelta(days=1)
    db.session.commit()
    login(city["hanako"])
    me = client.get("/volunteers/me").get_data(as_text=True)
    assert 'hx-get="/volunteers/me/suggestions"' not in me
    assert "登録の有効期限が切れているため、おすすめの事業は表示されません。" in me
    body = client.get("/volunteers/me/suggestions", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "登録を更新すると" in body and "板取川沿いの草刈り" not in body


def test_a_group_representative_gets_projects_for_each_verified_group(city, client, login):
    rep, group = city["rep"], city["group"]
    pending = make_group("申請中の草刈り隊", status="pending", representative=rep, skills=["草刈り"])
    login(rep)
    mine = client.get("/groups/mine").get_data(as_text=True)
    assert f'hx-get="/groups/{group.id}/suggestions"' in mine
    assert f'hx-get="/groups/{pending.id}/suggestions"' not in mine
    body = client.get(f"/groups/{group.id}/suggestions", headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "板取川沿いの草刈り" in body and "下書きの草刈り" not in body and "終わった草刈り" not in body
    client.post("/logout")
    login(make_user(Role.GROUP_REP))
    assert client.get(f"/groups/{group.id}/suggestions").status_code == 403


def test_staff_invites_a_suggested_volunteer_from_the_panel(city, client, login):
    from kyodo_match.models import Application

    login(city["staff"])
    panel = client.get(_panel_url(city["project"])).get_data(as_text=True)
    hanako = city["hanako"]
    assert f'name="volunteer_user_id" value="{hanako.id}"' in panel and "招待する" in panel
    response = client.post(f"/issues/{city['project'].id}/invite", data={"volunteer_user_id": str(hanako.id)})
    assert response.status_code == 303
    invited = db.session.scalar(select(Application).where(Application.volunteer_user_id == hanako.id))
    assert invited is not None and invited.status == "invited" and invited.origin == "invitation"
