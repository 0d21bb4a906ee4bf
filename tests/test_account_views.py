"""My account pages: show, edit (full page and htmx), export my data, delete my account."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import AuditEvent, ConsentRecord, Department, Role, User, UserRole
from tests.factories import PASSWORD, make_user

HX = {"HX-Request": "true"}


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _field_error(html: str, field_id: str) -> str:
    """The error list rendered beside ``field_id``: inside its wrapper, before the input (empty if none)."""
    start = html.find(f'id="{field_id}-field"')
    assert start != -1, f"no field {field_id}"
    end = html.find(f'id="{field_id}"', start)
    chunk = html[start:end]
    marker = chunk.find(f'id="{field_id}-error"')
    return chunk[marker:chunk.find("</ul>", marker)] if marker != -1 else ""


# --- show ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role, label", [
    (Role.VOLUNTEER, "個人ボランティア"), (Role.GROUP_REP, "団体の代表者"), (Role.STAFF, "市職員"),
    (Role.COORDINATOR, "コーディネーター"), (Role.ADMIN, "管理者"),
])
def test_each_role_sees_their_own_account_in_japanese(client, login, role, label):
    user = make_user(role, display_name="関 一郎")
    login(user)
    html = client.get("/account/").get_data(as_text=True)
    assert "関 一郎" in html and user.email in html
    assert f"<li>{label}</li>" in html
    assert "2026-04版" in html
    assert 'href="/account/edit"' in html and 'href="/password"' in html
    assert 'action="/account/export"' in html and 'href="/account/delete"' in html
    assert "記録がありません" not in html  # the login just now is shown


def test_staff_member_sees_their_department_and_roles_together(client, login):
    dept = db.session.scalar(select(Department).where(Department.name == "土木課"))
    login(make_user(Role.STAFF, Role.VOLUNTEER, department_id=dept.id))
    html = client.get("/account/").get_data(as_text=True)
    assert "所属課" in html and "土木課" in html
    assert html.index("<li>個人ボランティア</li>") < html.index("<li>市職員</li>")


def test_volunteer_without_department_sees_no_department_row(client, login_as):
    login_as(Role.VOLUNTEER)
    assert "所属課" not in client.get("/account/").get_data(as_text=True)


def test_account_page_as_page_and_as_fragment(client, login_as):
    login_as(Role.VOLUNTEER)
    page = client.get("/account/")
    fragment = client.get("/account/", headers=HX)
    assert page.status_code == fragment.status_code == 200
    assert "<html" in page.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True) and "<h1>アカウント</h1>" in fragment.get_data(as_text=True)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert page.headers["Cache-Control"] == "no-store"


def test_account_page_query_count_does_not_grow_with_consents_or_roles(client, login, queries):
    dept = db.session.scalar(select(Department).where(Department.name == "土木課"))
    few = make_user(Role.VOLUNTEER)
    many = make_user(Role.STAFF, Role.VOLUNTEER, Role.COORDINATOR, department_id=dept.id)
    for version in ("2026-05", "2026-06", "2026-07", "2026-08"):
        db.session.add(ConsentRecord(user_id=many.id, notice_version=version))
    db.session.commit()
    counts = []
    for user in (few, many):
        login(user)
        client.get("/account/")  # warm up
        with queries() as q:
            assert client.get("/account/").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts
    assert counts[1] <= 6, counts


@pytest.mark.parametrize("path", ["/account/", "/account/edit", "/account/delete"])
def test_anonymous_visitor_is_sent_to_login(client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_anonymous_export_is_sent_to_login_and_writes_nothing(client):
    response = client.post("/account/export")
    assert response.status_code == 303 and response.headers["Location"].startswith("/login")
    assert not _events("account_exported")


# --- edit ------------------------------------------------------------------------------------------


def test_edit_form_is_prefilled_and_targets_its_wrapper(client, login):
    user = make_user(display_name="長良 川子")
    login(user)
    html = client.get("/account/edit").get_data(as_text=True)
    assert 'id="account-form"' in html
    assert 'hx-post="/account/edit"' in html and 'hx-target="#account-form"' in html
    assert 'hx-swap="outerHTML"' in html
    assert 'name="display_name"' in html and 'value="長良 川子"' in html
    assert f'value="{user.email}"' in html
    assert "保存する" in html


def test_edit_form_as_page_and_as_fragment(client, login_as):
    login_as(Role.VOLUNTEER)
    page = client.get("/account/edit")
    fragment = client.get("/account/edit", headers=HX)
    assert "<html" in page.get_data(as_text=True)
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and body.strip().startswith('<div id="account-form"')
    assert "HX-Request" in fragment.headers["Vary"]


def test_volunteer_renames_themselves_with_a_normal_post(client, login):
    user = make_user(display_name="旧い名前")
    login(user)
    response = client.post("/account/edit", data={"display_name": "  新しい名前 ", "email": user.email})
    assert response.status_code == 303 and response.headers["Location"] == "/account/"
    db.session.refresh(user)
    assert user.display_name == "新しい名前"
    html = client.get("/account/").get_data(as_text=True)
    assert "アカウントの情報を保存しました。" in html and "新しい名前" in html
    [event] = _events("account_updated")
    assert event.actor_id == user.id and event.details == {"fields": ["display_name"]}


def test_htmx_edit_success_answers_with_hx_redirect(client, login):
    user = make_user()
    login(user)
    response = client.post("/account/edit", data={"display_name": "ＡＢＣ　たろう", "email": user.email}, headers=HX)
    assert response.status_code == 204
    assert response.headers["HX-Redirect"] == "/account/"
    db.session.refresh(user)
    assert user.display_name == "ABC たろう"  # NFKC: full-width letters and space become ordinary ones
    assert "アカウントの情報を保存しました。" in client.get("/account/").get_data(as_text=True)


@pytest.mark.parametrize("headers", [{}, HX], ids=["page", "htmx"])
def test_empty_display_name_is_refused_beside_the_field(client, login, headers):
    user = make_user(display_name="元の名前")
    login(user)
    response = client.post("/account/edit", data={"display_name": "   ", "email": user.email}, headers=headers)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "表示名を入力してください。" in _field_error(html, "display_name")
    assert 'id="account-form"' in html
    assert ("<html" in html) is (not headers)
    assert "HX-Request" in response.headers["Vary"]
    db.session.refresh(user)
    assert user.display_name == "元の名前"


def test_display_name_longer_than_60_characters_is_refused(client, login):
    user = make_user()
    login(user)
    response = client.post("/account/edit", data={"display_name": "あ" * 61, "email": user.email}, headers=HX)
    assert response.status_code == 422
    assert "60文字以内" in _field_error(response.get_data(as_text=True), "display_name")
    ok = client.post("/account/edit", data={"display_name": "あ" * 60, "email": user.email}, headers=HX)
    assert ok.status_code == 204


def test_email_change_needs_the_current_password(client, login):
    user = make_user(email="before@example.jp")
    login(user)
    response = client.post("/account/edit", data={"display_name": user.display_name, "email": "after@example.jp"},
                           headers=HX)
    assert response.status_code == 422
    assert "現在のパスワードを入力してください" in _field_error(response.get_data(as_text=True), "current_password")
    db.session.refresh(user)
    assert user.email == "before@example.jp"


def test_email_change_with_a_wrong_password_is_refused(client, login):
    user = make_user(email="before@example.jp")
    login(user)
    response = client.post("/account/edit", data={
        "display_name": user.display_name, "email": "after@example.jp", "current_password": "not-my-password-9"})
    assert response.status_code == 422
    assert "現在のパスワードが正しくありません" in _field_error(response.get_data(as_text=True), "current_password")
    db.session.refresh(user)
    assert user.email == "before@example.jp"


def test_email_used_by_another_account_is_refused_beside_the_field(client, login):
    make_user(email="taken@example.jp")
    user = make_user(email="mine@example.jp")
    login(user)
    response = client.post("/account/edit", data={
        "display_name": user.display_name, "email": "TAKEN@example.jp", "current_password": PASSWORD}, headers=HX)
    assert response.status_code == 422
    assert "ほかのアカウントで使われています" in _field_error(response.get_data(as_text=True), "email")
    db.session.refresh(user)
    assert user.email == "mine@example.jp"


def test_email_taken_between_check_and_commit_is_a_422_not_a_500(client, login, monkeypatch):
    make_user(email="taken@example.jp")
    user = make_user(email="mine@example.jp")
    login(user)
    # The other account appears after our check: only the unique constraint can catch it.
    monkeypatch.setattr("kyodo_match.account.services.find_user_by_email", lambda email: None)
    response = client.post("/account/edit", data={
        "display_name": "変更後", "email": "taken@example.jp", "current_password": PASSWORD})
    assert response.status_code == 422
    assert "ほかのアカウントで使われています" in _field_error(response.get_data(as_text=True), "email")
    db.session.refresh(user)
    assert user.email == "mine@example.jp" and user.display_name != "変更後"


def test_email_change_keeps_this_session_and_ends_the_others(app, client, login):
    user = make_user(email="before@example.jp")
    other_device = app.test_client()
    other_device.post("/login", data={"email": "before@example.jp", "password": PASSWORD})
    assert other_device.get("/account/").status_code == 200
    login(user)
    response = client.post("/account/edit", data={
        "display_name": user.display_name, "email": "ＡＦＴＥＲ@example.jp", "current_password": PASSWORD})
    assert response.status_code == 303
    db.session.refresh(user)
    assert user.email == "after@example.jp"
    assert client.get("/account/").status_code == 200
    assert other_device.get("/account/").status_code == 302
    assert client.post("/logout").status_code == 303
    assert client.post("/login", data={"email": "after@example.jp", "password": PASSWORD}).status_code == 303


def test_html_in_display_name_is_escaped_on_the_account_page_and_form(client, login):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    user = make_user()
    login(user)
    assert client.post("/account/edit", data={"display_name": payload, "email": user.email}).status_code == 303
    for html in (client.get("/account/").get_data(as_text=True), client.get("/account/edit").get_data(as_text=True)):
        assert "<script>alert" not in html and "<img src=x" not in html
        assert "&lt;script&gt;" in html and "&lt;img src=x" in html


def test_password_guessing_through_the_account_forms_is_throttled(client, login):
    user = make_user(email="before@example.jp")
    login(user)
    data = {"display_name": user.display_name, "email": "after@example.jp", "current_password": "wrong-guess-00"}
    for _ in range(10):
        assert client.post("/account/edit", data=data).status_code == 422
    assert client.post("/account/edit", data=data).status_code == 429
    assert client.post("/account/delete", data={"current_password": PASSWORD, "confirm": "y"}).status_code == 429
    assert client.get("/account/").status_code == 200


# --- export ----------------------------------------------------------------------------------------


def test_export_holds_my_data_and_nobody_elses(client, login):
    other = make_user(Role.VOLUNTEER, email="other@example.jp", display_name="他人")
    dept = db.session.scalar(select(Department).where(Department.name == "土木課"))
    me = make_user(Role.STAFF, Role.VOLUNTEER, email="me@example.jp", display_name="関 花子", department_id=dept.id)
    login(other)
    client.post("/logout")
    login(me)
    response = client.post("/account/export")
    assert response.status_code == 200
    assert response.mimetype == "application/json" and response.mimetype_params.get("charset") == "utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="kyodo-match-my-data.json"'
    assert response.headers["Cache-Control"] == "no-store"
    raw = response.get_data(as_text=True)
    assert "関 花子" in raw  # UTF-8, not \\u escapes
    data = json.loads(raw)
    assert data["account"]["email"] == "me@example.jp" and data["account"]["display_name"] == "関 花子"
    assert data["account"]["created_at"].endswith("+00:00")
    assert sorted(r["role"] for r in data["roles"]) == ["staff", "volunteer"]
    assert data["department"] == "土木課"
    assert [c["notice_version"] for c in data["consents"]] == ["2026-04"]
    actions = [e["action"] for e in data["audit_events"]]
    assert actions == ["login"]
    assert data["audit_events"][0]["ip"] == "127.0.0.1" and data["audit_events"][0]["time"].endswith("+00:00")
    assert "other@example.jp" not in raw and "他人" not in raw and "logout" not in raw
    db.session.refresh(me)
    assert me.password_hash not in raw and "argon2" not in raw
    assert "password_hash" not in raw and "session_version" not in raw
    [event] = _events("account_exported")
    assert event.actor_id == me.id


def test_export_is_post_only(client, login_as):
    login_as(Role.VOLUNTEER)
    assert client.get("/account/export").status_code == 405


@pytest.mark.parametrize("path, data", [
    ("/account/export", {}),
    ("/account/edit", {"display_name": "名前", "email": "x@example.jp"}),
    ("/account/delete", {"current_password": PASSWORD, "confirm": "y"}),
])
def test_account_posts_without_csrf_token_are_refused(client, login, path, data):
    user = make_user(display_name="そのまま")
    login(user)
    response = client.post(path, data=data, csrf=False)
    assert response.status_code == 400
    db.session.refresh(user)
    assert user.deleted_at is None and user.display_name == "そのまま"
    assert not _events("account_exported")


# --- delete ----------------------------------------------------------------------------------------


def test_delete_page_explains_what_is_erased_and_what_stays(client, login_as):
    login_as(Role.VOLUNTEER)
    html = client.get("/account/delete").get_data(as_text=True)
    assert "消える情報" in html and "名前を消して残る情報" in html and "退会した利用者" in html
    assert "アカウントを削除することを確認しました" in html and 'name="current_password"' in html
    assert "アカウントを削除する" in html


def test_delete_needs_the_checkbox_and_the_right_password(client, login):
    user = make_user()
    login(user)
    no_check = client.post("/account/delete", data={"current_password": PASSWORD})
    assert no_check.status_code == 422
    assert "確認のチェック" in _field_error(no_check.get_data(as_text=True), "confirm")
    wrong = client.post("/account/delete", data={"current_password": "wrong-password-7", "confirm": "y"})
    assert wrong.status_code == 422
    assert "正しくありません" in _field_error(wrong.get_data(as_text=True), "current_password")
    db.session.refresh(user)
    assert user.deleted_at is None and user.email is not None
    assert not _events("account_deleted")


def test_volunteer_deletes_their_account_and_personal_data_is_erased(app, client, login):
    user = make_user(Role.VOLUNTEER, email="leaving@example.jp", display_name="関 去る")
    login(user)
    old_cookie = client.get_cookie("session").value
    response = client.post("/account/delete", data={"current_password": PASSWORD, "confirm": "y"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert response.headers["Clear-Site-Data"] == '"cache", "storage"'

    row = db.session.get(User, user.id)
    assert row is not None  # kept, so past records keep their link
    assert row.email is None and row.password_hash is None and row.locale is None and row.department_id is None
    assert row.display_name == "退会した利用者" and row.deleted_at is not None and not row.is_active
    assert not list(db.session.scalars(select(UserRole).where(UserRole.user_id == user.id)))
    assert not list(db.session.scalars(select(ConsentRecord).where(ConsentRecord.user_id == user.id)))
    [event] = _events("account_deleted")
    assert event.actor_id == user.id and event.target == f"user:{user.id}"
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login")).actor_id == user.id

    # Signed out here, with a goodbye on the home page.
    home = client.get("/")
    assert "アカウントを削除しました。ご利用ありがとうございました。" in home.get_data(as_text=True)
    assert client.get("/account/").status_code == 302
    # A copy of the old cookie is not signed in either.
    thief = app.test_client()
    thief.set_cookie("session", old_cookie)
    replay = thief.get("/account/")
    assert replay.status_code == 302 and replay.headers["Location"].startswith("/login")
    # The old credentials no longer open anything.
    assert client.post("/login", data={"email": "leaving@example.jp", "password": PASSWORD}).status_code == 422


def test_htmx_delete_answers_with_hx_redirect_home(client, login):
    login(make_user())
    response = client.post("/account/delete", data={"current_password": PASSWORD, "confirm": "y"}, headers=HX)
    assert response.status_code == 204 and response.headers["HX-Redirect"] == "/"


def test_deleted_users_email_can_register_again(client, login):
    login(make_user(email="again@example.jp"))
    client.post("/account/delete", data={"current_password": PASSWORD, "confirm": "y"})
    fresh = make_user(email="again@example.jp")
    assert fresh.email == "again@example.jp"


def test_last_active_admin_cannot_delete_themselves(client, login):
    admin = make_user(Role.ADMIN)
    login(admin)
    page = client.get("/account/delete").get_data(as_text=True)
    assert "有効な管理者がほかにいないため" in page and 'name="confirm"' not in page
    response = client.post("/account/delete", data={"current_password": PASSWORD, "confirm": "y"})
    assert response.status_code == 422
    assert "有効な管理者がほかにいないため" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.deleted_at is None and admin.has_role(Role.ADMIN)
    assert not _events("account_deleted")
    assert client.get("/account/").status_code == 200


def test_admin_can_delete_themselves_when_another_active_admin_remains(client, login):
    make_user(Role.ADMIN)
    admin = make_user(Role.ADMIN)
    login(admin)
    assert 'name="confirm"' in client.get("/account/delete").get_data(as_text=True)
    response = client.post("/account/delete", data={"current_password": PASSWORD, "confirm": "y"})
    assert response.status_code == 303
    db.session.refresh(admin)
    assert admin.deleted_at is not None


def test_an_inactive_admin_does_not_count_as_the_remaining_admin(client, login):
    stopped = make_user(Role.ADMIN)
    stopped.active = False
    admin = make_user(Role.ADMIN)
    login(admin)
    response = client.post("/account/delete", data={"current_password": PASSWORD, "confirm": "y"})
    assert response.status_code == 422
