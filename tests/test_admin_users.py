"""Administration of accounts: who may open the pages, creating, editing, stopping and restarting users."""

from __future__ import annotations

import re
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import AuditEvent, Department, Role, User
from tests.factories import PASSWORD, make_user

ADMIN_PAGES = ["/admin/", "/admin/users", "/admin/users/new", "/admin/audit", "/admin/reference/districts",
               "/admin/reference/districts/new", "/admin/reference/districts/import", "/admin/reference/departments",
               "/admin/reference/departments/new", "/admin/reference/fields", "/admin/reference/fields/1"]
SKILL_PAGES = ["/admin/reference/skills", "/admin/reference/skills/new", "/admin/reference/skills/categories/new"]
NEW_PASSWORD = "nagara-gawa-no-ukai-2026"


def _department() -> Department:
    return db.session.scalars(select(Department).order_by(Department.id)).first()


def _user(email: str) -> User | None:
    return db.session.scalar(select(User).where(User.email == email))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


@pytest.mark.parametrize("url", ADMIN_PAGES + SKILL_PAGES)
def test_admin_opens_every_admin_page(url, login_as, client):
    login_as(Role.ADMIN)
    response = client.get(url)
    assert response.status_code == 200, url
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.GROUP_REP, Role.STAFF, Role.COORDINATOR])
def test_non_admins_are_refused_admin_pages(role, login_as, client):
    login_as(role, department_id=_department().id if role == Role.STAFF else None)
    for url in ADMIN_PAGES:
        assert client.get(url).status_code == 403, (role, url)


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.GROUP_REP, Role.STAFF])
def test_volunteers_and_staff_cannot_edit_skills(role, login_as, client):
    login_as(role)
    for url in SKILL_PAGES:
        assert client.get(url).status_code == 403, (role, url)


def test_coordinator_edits_the_skill_vocabulary(login_as, client):
    login_as(Role.COORDINATOR)
    for url in SKILL_PAGES:
        assert client.get(url).status_code == 200, url
    page = client.get("/admin/reference/skills").get_data(as_text=True)
    assert "/admin/reference/departments" not in page  # links only to what a coordinator may open


def test_anonymous_visitor_is_sent_to_login(client):
    for url in ADMIN_PAGES + SKILL_PAGES:
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/login" in response.headers["Location"]


def test_admin_creates_staff_account_and_the_password_mail_is_sent(app, login_as, client):
    admin = login_as(Role.ADMIN)
    department = _department()
    response = client.post("/admin/users/new", data={
        "display_name": "関 次郎", "email": "Jiro@City.Seki.example.jp", "roles": ["staff", "volunteer"],
        "department_id": str(department.id), "password_mode": "mail"})
    assert response.status_code == 303
    user = _user("jiro@city.seki.example.jp")
    assert user.role_names == {"staff", "volunteer"}
    assert user.department_id == department.id
    assert "関 次郎" in client.get("/admin/users").get_data(as_text=True)

    mails = list(Path(app.config["KYODO_MAIL_DIR"]).glob("*.eml"))
    assert len(mails) == 1
    message = BytesParser(policy=policy.default).parsebytes(mails[0].read_bytes())
    assert message["To"] == "jiro@city.seki.example.jp"
    link = re.search(r"https?://\S+/password/reset/\S+", message.get_content()).group(0)
    path = link.split("://", 1)[1].split("/", 1)[1]
    assert client.post("/logout").status_code == 303
    reset = client.post("/" + path, data={"new_password": NEW_PASSWORD, "new_password_confirm": NEW_PASSWORD})
    assert reset.status_code == 303
    assert client.post("/login", data={"email": user.email, "password": NEW_PASSWORD}).status_code == 303

    [event] = _events("user_created")
    assert event.actor_id == admin.id
    assert event.details["roles"] == ["staff", "volunteer"]
    assert event.details["password_set_by"] == "mail"
    assert NEW_PASSWORD not in str(event.details)


def test_admin_types_the_first_password_and_the_user_can_log_in(app, login_as, client):
    login_as(Role.ADMIN)
    response = client.post("/admin/users/new", data={
        "display_name": "センター 花子", "email": "hanako@center.example.jp", "roles": ["coordinator"],
        "password_mode": "typed", "password": NEW_PASSWORD})
    assert response.status_code == 303
    assert not Path(app.config["KYODO_MAIL_DIR"]).exists() or not list(Path(app.config["KYODO_MAIL_DIR"]).glob("*"))
    other = app.test_client()
    assert other.post("/login", data={"email": "hanako@center.example.jp", "password": NEW_PASSWORD}).status_code == 303
    assert other.get("/admin/reference/skills").status_code == 200
    for event in db.session.scalars(select(AuditEvent)):
        assert NEW_PASSWORD not in str(event.details) and NEW_PASSWORD not in (event.target or "")


def test_creating_staff_without_department_or_with_a_taken_email_is_refused_beside_the_field(login_as, client):
    login_as(Role.ADMIN)
    make_user(email="taken@example.jp")
    response = client.post("/admin/users/new", data={
        "display_name": "職員", "email": "new@example.jp", "roles": ["staff"], "password_mode": "mail"})
    assert response.status_code == 422
    assert "所属の課を選んでください" in response.get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "display_name": "職員", "email": "TAKEN@example.jp", "roles": ["coordinator"], "password_mode": "mail"})
    assert response.status_code == 422
    assert "すでに登録されています" in response.get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "display_name": "職員", "email": "weak@example.jp", "roles": ["admin"], "password_mode": "typed",
        "password": "password"})
    assert response.status_code == 422
    assert "推測されやすい" in response.get_data(as_text=True)
    response = client.post("/admin/users/new", data={
        "display_name": "職員", "email": "norole@example.jp", "password_mode": "mail"})
    assert response.status_code == 422
    assert "役割を1つ以上選んでください" in response.get_data(as_text=True)
    assert _user("new@example.jp") is None and _user("weak@example.jp") is None and _user("norole@example.jp") is None
    assert _events("user_created") == []


def test_role_change_ends_the_users_sessions_and_is_audited(app, login_as, client):
    login_as(Role.ADMIN)
    target = make_user(Role.VOLUNTEER, email="vol@example.jp")
    other = app.test_client()
    assert other.post("/login", data={"email": target.email, "password": PASSWORD}).status_code == 303
    assert other.get("/account/").status_code == 200
    response = client.post(f"/admin/users/{target.id}", data={
        "display_name": "新しい名前", "roles": ["volunteer", "coordinator"], "department_id": ""})
    assert response.status_code == 303
    target = db.session.get(User, target.id)
    assert target.role_names == {"volunteer", "coordinator"}
    assert target.display_name == "新しい名前"
    assert other.get("/account/").status_code == 302  # the old cookie no longer signs anyone in
    [event] = _events("user_updated")
    assert event.details["changes"]["roles"] == [["volunteer"], ["coordinator", "volunteer"]]


def test_deactivation_ends_the_users_session_at_once_and_reactivation_lets_them_back(app, login_as, client):
    login_as(Role.ADMIN)
    target = make_user(Role.STAFF, email="staff@example.jp", department_id=_department().id)
    other = app.test_client()
    assert other.post("/login", data={"email": target.email, "password": PASSWORD}).status_code == 303
    assert other.get("/account/").status_code == 200

    response = client.post(f"/admin/users/{target.id}/deactivate", headers={"HX-Request": "true"})
    assert response.status_code == 200
    fragment = response.get_data(as_text=True)
    assert 'id="user-status"' in fragment and "<html" not in fragment
    assert "アカウントを再開する" in fragment
    assert "HX-Request" in response.headers["Vary"]
    assert other.get("/account/").status_code == 302
    assert other.post("/login", data={"email": target.email, "password": PASSWORD}).status_code == 422
    assert not db.session.get(User, target.id).active

    response = client.post(f"/admin/users/{target.id}/reactivate")
    assert response.status_code == 303
    assert other.post("/login", data={"email": target.email, "password": PASSWORD}).status_code == 303
    assert [e.details["roles"] for e in _events("user_deactivated")] == [["staff"]]
    assert len(_events("user_reactivated")) == 1


def test_admin_cannot_deactivate_themselves(login_as, client):
    admin = login_as(Role.ADMIN)
    make_user(Role.ADMIN)  # not the last admin: the self rule alone refuses
    page = client.get(f"/admin/users/{admin.id}").get_data(as_text=True)
    assert "アカウントを停止する" not in page
    response = client.post(f"/admin/users/{admin.id}/deactivate", headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "自分のアカウントは停止できません" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).active


def test_the_last_active_admin_keeps_the_admin_role(login_as, client):
    admin = login_as(Role.ADMIN)
    stopped = make_user(Role.ADMIN)
    stopped.active = False
    db.session.commit()
    response = client.post(f"/admin/users/{admin.id}", data={
        "display_name": admin.display_name, "roles": ["volunteer"], "department_id": ""})
    assert response.status_code == 409
    assert "最後の管理者" in response.get_data(as_text=True)
    assert db.session.get(User, admin.id).has_role(Role.ADMIN)
    assert client.get("/admin/").status_code == 200


def test_an_admin_role_can_be_removed_while_another_admin_remains(login_as, client):
    login_as(Role.ADMIN)
    other = make_user(Role.ADMIN, Role.VOLUNTEER)
    response = client.post(f"/admin/users/{other.id}", data={
        "display_name": other.display_name, "roles": ["volunteer"], "department_id": ""})
    assert response.status_code == 303
    assert db.session.get(User, other.id).role_names == {"volunteer"}


def test_user_list_searches_and_filters(login_as, client):
    login_as(Role.ADMIN)
    make_user(Role.COORDINATOR, display_name="美濃 太郎", email="mino@example.jp")
    stopped = make_user(Role.VOLUNTEER, display_name="長良 一郎", email="nagara@example.jp")
    stopped.active = False
    db.session.commit()
    page = client.get("/admin/users?q=美濃").get_data(as_text=True)
    assert "美濃 太郎" in page and "長良 一郎" not in page
    page = client.get("/admin/users?q=NAGARA").get_data(as_text=True)
    assert "長良 一郎" in page and "美濃 太郎" not in page
    page = client.get("/admin/users?role=coordinator").get_data(as_text=True)
    assert "美濃 太郎" in page and "長良 一郎" not in page
    page = client.get("/admin/users?status=inactive").get_data(as_text=True)
    assert "長良 一郎" in page and "美濃 太郎" not in page
    page = client.get("/admin/users?q=%25").get_data(as_text=True)  # a LIKE wildcard is just a character
    assert "美濃 太郎" not in page
    fragment = client.get("/admin/users?role=coordinator", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert 'id="user-results"' in fragment.get_data(as_text=True) and "<html" not in fragment.get_data(as_text=True)
    assert client.get("/admin/users?role=king&page=abc").status_code == 422


def test_user_list_paginates_thirty_a_page(login_as, client):
    login_as(Role.ADMIN)
    for n in range(31):
        make_user(display_name=f"ページ確認{n:02d}", commit=False)
    db.session.commit()
    first = client.get("/admin/users").get_data(as_text=True)
    second = client.get("/admin/users?page=2").get_data(as_text=True)
    assert first.count("ページ確認") == 30 and "ページ確認30" in first
    assert second.count("ページ確認") == 1 and "ページ確認00" in second
    assert client.get("/admin/users?page=-1").status_code == 200


def test_user_list_query_count_does_not_grow_with_rows(login_as, client, queries):
    login_as(Role.ADMIN)
    department = _department()

    def count_for_list() -> int:
        with queries() as q:
            response = client.get("/admin/users")
        assert response.status_code == 200
        return q.count

    for _n in range(3):
        make_user(Role.STAFF, Role.VOLUNTEER, department_id=department.id, commit=False)
    db.session.commit()
    few = count_for_list()
    for _n in range(27):
        make_user(Role.STAFF, Role.VOLUNTEER, department_id=department.id, commit=False)
    db.session.commit()
    assert count_for_list() == few
    assert few <= 8


def test_account_is_kept_when_the_password_mail_cannot_be_sent(login_as, client, monkeypatch):
    login_as(Role.ADMIN)

    def broken(*_args, **_kwargs):
        raise OSError("mail server down")

    monkeypatch.setattr("kyodo_match.admin.views.send_mail", broken)
    response = client.post("/admin/users/new", data={
        "display_name": "届かない 人", "email": "nomail@example.jp", "roles": ["coordinator"], "password_mode": "mail"})
    assert response.status_code == 303
    assert _user("nomail@example.jp") is not None
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "メールを送れませんでした" in page
