"""The applicant side: applying from the project page, the application's page (timeline, steps, thread, contacts),
the step route's contract, and わたしの応募 (invitations, states, activity history)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kyodo_match.applications import flow, services
from kyodo_match.extensions import db
from kyodo_match.models import Application, Department, Role, Skill
from tests.factories import PASSWORD, make_group, make_project, make_user, make_volunteer_profile

TODAY = date.today()
DATES = [(TODAY + timedelta(days=45)).isoformat(), (TODAY + timedelta(days=52)).isoformat()]
# The values whose presence and absence the contact tests look for.
VOLUNTEER = {"real_name": "応募 花子", "email": "oubo-hanako@example.jp", "phone": "0575-24-8080"}
GROUP = {"email": "mizube-contact@example.jp", "phone": "0575-25-9090"}
DEPT_CONTACT = {"display_name": "環境課の山田", "email": "yamada-kankyo@example.jp"}
CONTACT_NOTE = "連絡先は、参加が確定すると表示されます。それまではこのページのメッセージでやりとりしてください。"


def _dept(name="環境課") -> int:
    return db.session.scalar(select(Department.id).where(Department.name == name))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _client(app, user):
    client = app.test_client()
    answer = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert answer.status_code == 303, _text(answer)[:300]
    return client


def _skill_id(name: str) -> int:
    return db.session.scalar(select(Skill.id).where(Skill.name == name))


@pytest.fixture
def world(app):
    contact = make_user(Role.STAFF, department_id=_dept(), **DEPT_CONTACT)
    project = make_project(status="recruiting", needed_individuals=3, needed_groups=1, contact_user_id=contact.id,
                           schedule_slots=["sat_am", "sun_am"], schedule_dates=DATES)
    volunteer = make_user(Role.VOLUNTEER, email=VOLUNTEER["email"], display_name="はなさん")
    make_volunteer_profile(volunteer, skills=("草刈り",), phone=VOLUNTEER["phone"], real_name=VOLUNTEER["real_name"])
    return {"project": project, "volunteer": volunteer, "staff": contact, "centre": make_user(Role.COORDINATOR),
            "other_staff": make_user(Role.STAFF, department_id=_dept("秘書課")),
            "other_volunteer": make_volunteer_profile(phone="0575-99-0000").user}


def _applied(world, user=None, **data):
    application = services.apply_to_project(world["project"], user or world["volunteer"],
                                            {"message": "よろしくお願いします", **data}, today=TODAY)
    db.session.commit()
    return application


def _confirmed(world, application):
    flow.move(application, "approved", world["centre"])
    flow.move(application, "confirmed", world["staff"])
    db.session.commit()
    return application


# --- applying -----------------------------------------------------------------------------------------------------

def test_the_project_page_offers_anonymous_visitors_a_login_and_staff_no_form(app, client, world):
    page = _text(client.get(f"/issues/{world['project'].id}"))
    assert 'id="apply-panel"' in page and "ログインして応募する" in page and "/login?next=" in page
    assert _client(app, world["other_staff"]).get(f"/issues/{world['project'].id}/apply").status_code == 403
    assert 'id="apply-panel"' not in _text(_client(app, world["other_staff"]).get(f"/issues/{world['project'].id}"))


def test_volunteer_applies_through_the_form_as_a_page_and_as_an_htmx_fragment(app, world):
    client = _client(app, world["volunteer"])
    pid = world["project"].id
    panel = _text(client.get(f"/issues/{pid}"))
    assert f'hx-get="/issues/{pid}/apply"' in panel
    page = client.get(f"/issues/{pid}/apply")
    fragment = client.get(f"/issues/{pid}/apply", headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    assert "<html" in _text(page) and "<html" not in _text(fragment) and 'id="apply-form"' in _text(fragment)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert "土曜日 午前" in _text(fragment) and DATES[0] in _text(fragment) and "草刈り" in _text(fragment)

    done = client.post(f"/issues/{pid}/apply", headers={"HX-Request": "true"}, data={
        "group_id": "self", "message": "土曜の朝なら行けます。", "skill_ids": str(_skill_id("草刈り")),
        "slots": "sat_am", "dates": DATES[1]})
    assert done.status_code == 204, _text(done)[:500]
    stored = db.session.scalar(select(Application).where(Application.volunteer_user_id == world["volunteer"].id))
    assert done.headers["HX-Redirect"] == f"/applications/{stored.id}"
    assert (stored.status, stored.slots, stored.dates, stored.skill_ids) == (
        "applied", ["sat_am"], [DATES[1]], [_skill_id("草刈り")])
    assert "応募済み（状況: 応募）" in _text(client.get(f"/issues/{pid}"))

    plain = _client(app, world["other_volunteer"]).post(f"/issues/{pid}/apply", data={"group_id": "self"})
    assert plain.status_code == 303 and plain.headers["Location"].startswith("/applications/")


def test_a_too_long_message_is_422_beside_the_field_and_nothing_is_written(app, world):
    client = _client(app, world["volunteer"])
    url = f"/issues/{world['project'].id}/apply"
    data = {"group_id": "self", "message": "あ" * 2001}
    fragment = client.post(url, data=data, headers={"HX-Request": "true"})
    assert fragment.status_code == 422
    body = _text(fragment)
    assert "<html" not in body and 'id="message-error"' in body and "2000文字以内で入力してください。" in body
    page = client.post(url, data=data)
    assert page.status_code == 422 and "<html" in _text(page) and 'id="message-error"' in _text(page)
    assert db.session.scalar(select(func.count(Application.id))) == 0


def test_only_the_applicants_own_skills_and_the_projects_own_slots_can_be_chosen(app, world):
    client = _client(app, world["volunteer"])
    url = f"/issues/{world['project'].id}/apply"
    wrong_slot = client.post(url, data={"group_id": "self", "slots": "mon_ev"}, headers={"HX-Request": "true"})
    assert wrong_slot.status_code == 422 and 'id="slots-error"' in _text(wrong_slot)
    other_skill = db.session.scalar(select(Skill.id).where(Skill.name != "草刈り").limit(1))
    wrong_skill = client.post(url, data={"group_id": "self", "skill_ids": str(other_skill)},
                              headers={"HX-Request": "true"})
    assert wrong_skill.status_code == 422 and 'id="skill_ids-error"' in _text(wrong_skill)
    assert db.session.scalar(select(func.count(Application.id))) == 0


def test_volunteer_cannot_apply_twice(app, world):
    client = _client(app, world["volunteer"])
    url = f"/issues/{world['project'].id}/apply"
    assert client.post(url, data={"group_id": "self"}).status_code == 303
    again = client.post(url, data={"group_id": "self"}, headers={"HX-Request": "true"})
    assert again.status_code == 409 and "すでに応募しています" in _text(again)
    assert db.session.scalar(select(func.count(Application.id))) == 1
    form = _text(client.get(url))
    assert "応募済み（状況: 応募）" in form and "この内容で応募する" not in form


def test_a_group_representative_applies_for_the_group_or_as_themself(app, world):
    rep = make_user(Role.GROUP_REP, Role.VOLUNTEER)
    make_volunteer_profile(rep)
    group = make_group("NPO法人 みずべ", representative=rep, skills=("写真撮影",))
    client = _client(app, rep)
    form = _text(client.get(f"/issues/{world['project'].id}/apply"))
    assert "個人として応募する" in form and "「NPO法人 みずべ」として応募する" in form
    done = client.post(f"/issues/{world['project'].id}/apply", data={"group_id": str(group.id)})
    assert done.status_code == 303
    assert db.session.scalar(select(Application.group_id).where(Application.project_id == world["project"].id)) \
        == group.id
    assert "「NPO法人 みずべ」として応募済み" in _text(client.get(f"/issues/{world['project'].id}"))


def test_a_lapsed_registration_sees_a_renewal_hint_instead_of_the_form(app, world):
    lapsed = make_volunteer_profile(expires_on=TODAY - timedelta(days=1)).user
    client = _client(app, lapsed)
    assert "登録の有効期限が切れています" in _text(client.get(f"/issues/{world['project'].id}"))
    form = _text(client.get(f"/issues/{world['project'].id}/apply"))
    assert "登録を更新する" in form and "この内容で応募する" not in form


# --- the application's page -------------------------------------------------------------------------------------

def test_the_application_page_is_404_for_another_volunteer_and_another_department(app, world):
    application = _applied(world)
    url = f"/applications/{application.id}"
    for who in ("other_volunteer", "other_staff"):
        assert _client(app, world[who]).get(url).status_code == 404, who
    stranger = _client(app, world["other_volunteer"])
    assert stranger.post(f"{url}/messages", data={"body": "こんにちは"}).status_code == 404
    for who in ("volunteer", "staff", "centre"):
        page = _client(app, world[who]).get(url)
        assert page.status_code == 200, who
        assert 'hx-history="false"' in _text(page) and "これまでの経過" in _text(page)


def _contacts_absent(html: str) -> bool:
    return all(v not in html for v in (*VOLUNTEER.values(), DEPT_CONTACT["email"], *GROUP.values()))


def test_contact_data_is_shown_to_both_sides_only_after_confirmation(app, world):
    application = _applied(world)
    url = f"/applications/{application.id}"
    clients = {who: _client(app, world[who]) for who in ("volunteer", "staff", "centre")}
    for who, client in clients.items():
        for html in (_text(client.get(url)), _text(client.get(url, headers={"HX-Request": "true"}))):
            assert CONTACT_NOTE in html and _contacts_absent(html), who
    _confirmed(world, application)

    applicant_view = _text(clients["volunteer"].get(url))
    assert DEPT_CONTACT["email"] in applicant_view and DEPT_CONTACT["display_name"] in applicant_view
    assert "環境課" in applicant_view and CONTACT_NOTE not in applicant_view
    for who in ("staff", "centre"):
        html = _text(clients[who].get(url))
        assert all(v in html for v in VOLUNTEER.values()), who
    for who in ("other_volunteer", "other_staff"):
        assert _client(app, world[who]).get(url).status_code == 404
        assert _contacts_absent(_text(_client(app, world[who]).get(f"/issues/{world['project'].id}")))


def test_a_confirmed_groups_contacts_reach_the_department(app, world):
    rep = make_user(Role.GROUP_REP)
    group = make_group("NPO法人 みずべ", representative=rep, contact_email=GROUP["email"], contact_phone=GROUP["phone"])
    application = _applied(world, rep, group_id=group.id)
    staff = _client(app, world["staff"])
    assert _contacts_absent(_text(staff.get(f"/applications/{application.id}")))
    _confirmed(world, application)
    html = _text(staff.get(f"/applications/{application.id}"))
    assert GROUP["email"] in html and GROUP["phone"] in html
    assert DEPT_CONTACT["email"] in _text(_client(app, rep).get(f"/applications/{application.id}"))


# --- the step route -----------------------------------------------------------------------------------------------

def test_the_applicant_withdraws_and_the_block_is_swapped(app, world):
    application = _applied(world)
    client = _client(app, world["volunteer"])
    answer = client.post(f"/applications/{application.id}/step", data={"target": "withdrawn"},
                         headers={"HX-Request": "true", "HX-Target": f"application-{application.id}"})
    assert answer.status_code == 200 and "HX-Request" in answer.headers["Vary"]
    body = _text(answer)
    assert body.lstrip().startswith(f'<section id="application-{application.id}"') and "<html" not in body
    assert "辞退" in body and "応募を取り下げる" not in body
    db.session.refresh(application)
    assert application.status == "withdrawn"


def test_a_volunteer_cannot_approve_and_an_illegal_step_is_409(app, world):
    application = _applied(world)
    url = f"/applications/{application.id}/step"
    assert _client(app, world["volunteer"]).post(url, data={"target": "approved"}).status_code == 403
    illegal = _client(app, world["staff"]).post(url, data={"target": "completed"}, headers={"HX-Request": "true"})
    assert illegal.status_code == 409 and "できません" in _text(illegal)
    assert _client(app, world["other_staff"]).post(url, data={"target": "approved"}).status_code == 404
    db.session.refresh(application)
    assert application.status == "applied"


def test_declining_without_a_reason_is_422_beside_the_reason_in_the_block_and_in_the_row(app, world):
    application = _applied(world)
    url = f"/applications/{application.id}/step"
    centre = _client(app, world["centre"])
    block = centre.post(url, data={"target": "declined"}, headers={"HX-Request": "true"})
    assert block.status_code == 422
    reason_id = f"application-{application.id}-reason-declined"
    assert f'id="{reason_id}-error"' in _text(block) and "理由を入力してください。" in _text(block)
    row = centre.post(url, data={"target": "declined", "reason": "  "},
                      headers={"HX-Request": "true", "HX-Target": f"application-row-{application.id}"})
    assert row.status_code == 422
    assert f'id="application-row-{application.id}"' in _text(row)
    assert f'<section id="application-{application.id}"' not in _text(row)
    assert f'id="application-row-{application.id}-reason-declined-error"' in _text(row)
    done = centre.post(url, data={"target": "declined", "reason": "活動日が合わないため"},
                       headers={"HX-Request": "true", "HX-Target": f"application-row-{application.id}"})
    assert done.status_code == 200 and "見送り" in _text(done) and "活動日が合わないため" in _text(done)
    plain = _text(_client(app, world["volunteer"]).get(f"/applications/{application.id}"))
    assert "活動日が合わないため" in plain


def test_an_html_payload_in_a_message_is_escaped_and_newlines_are_kept(app, world):
    application = _applied(world)
    client = _client(app, world["volunteer"])
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>\n二行目'
    answer = client.post(f"/applications/{application.id}/messages", data={"body": payload},
                         headers={"HX-Request": "true"})
    assert answer.status_code == 200
    body = _text(answer)
    assert body.lstrip().startswith(f'<section id="application-{application.id}-thread"')
    assert "&lt;script&gt;alert(" in body and "<script>alert" not in body and "<img src=x" not in body
    assert "\n二行目" in body
    empty = client.post(f"/applications/{application.id}/messages", data={"body": "  "},
                        headers={"HX-Request": "true"})
    assert empty.status_code == 422 and 'id="body-error"' in _text(empty)
    long = client.post(f"/applications/{application.id}/messages", data={"body": "あ" * 2001})
    assert long.status_code == 422 and "<html" in _text(long)
    staff_view = _text(_client(app, world["staff"]).get(f"/applications/{application.id}"))
    assert "&lt;script&gt;" in staff_view


# --- わたしの応募 -------------------------------------------------------------------------------------------------

def test_invitations_are_accepted_and_declined_from_my_applications(app, world):
    first = services.invite(world["project"], world["staff"], volunteer_user_id=world["volunteer"].id, today=TODAY)
    other_project = make_project(status="recruiting", title="公園の花壇づくり")
    second = services.invite(other_project, world["centre"], volunteer_user_id=world["volunteer"].id, today=TODAY)
    db.session.commit()
    client = _client(app, world["volunteer"])
    page = _text(client.get("/applications/mine"))
    assert page.count("招待を受けて応募する") == 2 and page.count("招待を辞退する") == 2
    assert f'id="application-row-{first.id}"' in page and 'hx-history="false"' in page
    accepted = client.post(f"/applications/{first.id}/step", data={"target": "applied"},
                           headers={"HX-Request": "true", "HX-Target": f"application-row-{first.id}"})
    assert accepted.status_code == 200 and f'id="application-row-{first.id}"' in _text(accepted)
    assert "応募を取り下げる" in _text(accepted)
    declined = client.post(f"/applications/{second.id}/step", data={"target": "invitation_declined"})
    assert declined.status_code == 303
    db.session.refresh(first)
    db.session.refresh(second)
    assert (first.status, second.status) == ("applied", "invitation_declined")
    page = _text(client.get("/applications/mine"))
    assert "招待を受けて応募する" not in page and "公園の花壇づくり" in page


def test_my_activity_history_totals_the_hours(app, world):
    application = _confirmed(world, _applied(world))
    for days, attended, minutes in ((60, True, 150), (67, True, 90), (74, False, 120)):
        services.record_attendance(application, world["staff"], activity_date=TODAY + timedelta(days=days),
                                   attended=attended, minutes=minutes)
    db.session.commit()
    page = _text(_client(app, world["volunteer"]).get("/applications/mine"))
    assert "あなたの活動時間の合計: 4時間" in page
    assert "2.5時間" in page and "1.5時間" in page and "欠席" in page
    assert "確定・活動中" in page and world["project"].title in page


def test_my_applications_page_does_not_query_per_application(app, world, queries):
    client = _client(app, world["volunteer"])
    _applied(world)
    with queries() as one:
        assert client.get("/applications/mine").status_code == 200
    for n in range(4):
        services.apply_to_project(make_project(status="recruiting", title=f"事業{n}"), world["volunteer"], {},
                                  today=TODAY)
    db.session.commit()
    with queries() as five:
        assert client.get("/applications/mine").status_code == 200
    assert five.count == one.count, five.statements[one.count:]


def test_staff_cannot_open_my_applications(app, world):
    assert _client(app, world["staff"]).get("/applications/mine").status_code == 403


def test_a_successful_step_tells_the_lists_to_reload_and_a_refused_one_does_not(client, login):
    centre = make_user(Role.COORDINATOR)
    project = make_project(status="recruiting")
    application = services.apply_to_project(project, make_volunteer_profile().user, {}, today=date.today())
    db.session.commit()
    login(centre)
    headers = {"HX-Request": "true", "HX-Target": f"application-row-{application.id}"}
    refused = client.post(f"/applications/{application.id}/step", data={"target": "declined"}, headers=headers)
    assert refused.status_code == 422 and "HX-Trigger" not in refused.headers
    done = client.post(f"/applications/{application.id}/step", data={"target": "approved"}, headers=headers)
    assert done.status_code == 200 and done.headers["HX-Trigger"] == "applications-changed"


def test_a_long_thread_shows_its_latest_messages_and_the_rest_on_request(app, world, queries):
    """The page shows the latest 30 messages, oldest of them first, and says how many earlier ones there are; the
    link (htmx: the thread alone) shows all of them; the page's queries do not grow with the thread."""
    from kyodo_match.models import ApplicationMessage

    application = _applied(world)
    client = _client(app, world["volunteer"])
    url = f"/applications/{application.id}"

    def add(n: int, start: int) -> None:
        db.session.add_all(ApplicationMessage(application_id=application.id, author_id=world["volunteer"].id,
                                              body=f"メッセージ{i:03d}") for i in range(start, start + n))
        db.session.commit()

    add(3, 0)
    with queries() as few:
        short = _text(client.get(url))
    assert "以前のメッセージも表示する" not in short and short.count('class="app-message"') == 3
    add(42, 3)  # 45 in all
    with queries() as many:
        page = _text(client.get(url))
    assert many.count == few.count
    assert page.count('class="app-message"') == 30
    assert "メッセージ014" not in page and "メッセージ015" in page and "メッセージ044" in page
    assert page.index("メッセージ015") < page.index("メッセージ044")  # oldest of the shown first, as a thread reads
    assert "以前のメッセージも表示する（ほかに15件）" in page
    assert f'href="{url}?messages=all#messages"' in page

    whole = client.get(f"{url}?messages=all", headers={"HX-Request": "true",
                                                        "HX-Target": f"application-{application.id}-thread"})
    body = _text(whole)
    assert whole.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith(f'<section id="application-{application.id}-thread"')
    assert body.count('class="app-message"') == 45 and "以前のメッセージも表示する" not in body
    plain = _text(client.get(f"{url}?messages=all"))  # without script: the whole page, every message
    assert "<html" in plain and plain.count('class="app-message"') == 45
    # a step's htmx fragment (block "application") shows no thread, so it reads no messages
    with queries() as stepped:
        answer = client.post(f"{url}/step", data={"target": "withdrawn"}, headers={"HX-Request": "true"})
    assert answer.status_code == 200 and 'class="app-message"' not in _text(answer)
    assert not [q for q in stepped.statements if "FROM application_message" in q]
    # someone outside the thread gets nothing of it, whichever way they ask
    outsider = _client(app, world["other_volunteer"])
    assert outsider.get(f"{url}?messages=all").status_code in (403, 404)
