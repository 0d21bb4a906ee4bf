"""Sign-up, login, logout, password change and reset — through the real forms."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import AuditEvent, ConsentRecord, Role, User
from tests.factories import PASSWORD, make_user

GOOD = "kiso-gawa-no-ayu-2026"


def register(client, **overrides):
    data = {"role": "volunteer", "display_name": "関 花子", "email": "hanako@example.jp",
            "password": GOOD, "password_confirm": GOOD, "consent": "y"} | overrides
    return client.post("/register", data=data)


def test_volunteer_registers_with_consent_and_is_signed_in(client, app):
    response = register(client)
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/account/")
    user = db.session.scalar(select(User).where(User.email == "hanako@example.jp"))
    assert user.role_names == {"volunteer"}
    consent = db.session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == user.id))
    assert consent.notice_version == app.config["KYODO_PRIVACY_NOTICE_VERSION"]
    assert consent.accepted_at is not None
    assert user.password_hash.startswith("$argon2id$")
    assert client.get("/account/").status_code == 200


def test_registration_without_consent_is_refused_and_nothing_written(client):
    response = register(client, consent="")
    assert response.status_code == 422
    assert "同意が必要です" in response.get_data(as_text=True)
    assert db.session.scalar(select(User).where(User.email == "hanako@example.jp")) is None


def test_registration_refuses_common_short_and_mismatched_passwords(client):
    for password, message in [("password123", "推測されやすい"), ("short", "8文字以上"), ("x" * 129, "128文字以内")]:
        response = register(client, password=password, password_confirm=password)
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    response = register(client, password_confirm=GOOD + "x")
    assert response.status_code == 422
    assert "一致しません" in response.get_data(as_text=True)
    assert db.session.scalar(select(User)) is None or not db.session.scalar(
        select(User).where(User.email == "hanako@example.jp"))


def test_registration_cannot_choose_a_staff_role(client):
    response = register(client, role="admin")
    assert response.status_code == 422
    assert db.session.scalar(select(User).where(User.email == "hanako@example.jp")) is None


def test_duplicate_email_is_refused_beside_the_field(client):
    make_user(email="hanako@example.jp")
    response = register(client, email="HANAKO@example.jp")
    assert response.status_code == 422
    assert "すでに登録されています" in response.get_data(as_text=True)


def test_full_width_email_is_normalised(client):
    response = register(client, email="ｈａｎａｋｏ@example.jp")
    assert response.status_code == 303
    assert db.session.scalar(select(User).where(User.email == "hanako@example.jp")) is not None


def test_login_and_logout_are_audited(client):
    user = make_user(Role.VOLUNTEER)
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
    assert client.post("/logout").status_code == 303
    actions = [e.action for e in db.session.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-2:] == ["login", "logout"]
    for event in db.session.scalars(select(AuditEvent)):
        assert PASSWORD not in str(event.details) and PASSWORD not in (event.target or "")


def test_wrong_password_is_422_and_audited_as_failure(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "wrong-password-1"})
    assert response.status_code == 422
    assert "メールアドレスかパスワードが正しくありません" in response.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "login_failed"))
    assert event.outcome == "fail" and event.ip == "127.0.0.1"


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client):
    a = client.post("/login", data={"email": "nobody@example.jp", "password": "whatever-123"})
    user = make_user()
    b = client.post("/login", data={"email": user.email, "password": "whatever-123"})
    assert a.status_code == b.status_code == 422
    def strip(response) -> str:
        # Form values (the e-mail typed) and the CSRF token (signed with the current second) may differ.
        html = re.sub(r'value="[^"]*"', "", response.get_data(as_text=True))
        return re.sub(r'X-CSRFToken&#34;: &#34;[^&]*&#34;|"X-CSRFToken": "[^"]*"', "", html)

    assert strip(a) == strip(b)
    assert "メールアドレスかパスワードが正しくありません" in strip(a)


def test_login_redirects_only_to_local_next(client):
    user = make_user()
    for target, expected in [("/account/", "/account/"), ("https://evil.example/", "/"), ("//evil.example", "/"),
                             ("/\\evil.example", "/")]:
        response = client.post("/login", data={"email": user.email, "password": PASSWORD, "next": target})
        assert response.status_code == 303
        assert response.headers["Location"] == expected
        client.post("/logout")


def test_inactive_user_cannot_log_in(client):
    user = make_user()
    user.active = False
    db.session.commit()
    assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 422


def test_login_clears_the_previous_session(client):
    with client.session_transaction() as s:
        s["planted"] = "by-an-attacker"
    user = make_user()
    client.post("/login", data={"email": user.email, "password": PASSWORD})
    with client.session_transaction() as s:
        assert "planted" not in s


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, login):
    user = make_user()
    other = app.test_client()
    other.post("/login", data={"email": user.email, "password": PASSWORD})
    login(user)
    response = client.post("/password", data={"current_password": PASSWORD, "new_password": GOOD,
                                               "new_password_confirm": GOOD})
    assert response.status_code == 303
    assert client.get("/account/").status_code == 200
    assert other.get("/account/").status_code == 302


def test_password_change_needs_the_current_password(client, login):
    user = make_user()
    login(user)
    response = client.post("/password", data={"current_password": "not-it-at-all", "new_password": GOOD,
                                               "new_password_confirm": GOOD})
    assert response.status_code == 422
    assert "現在のパスワードが正しくありません" in response.get_data(as_text=True)


def _mail_link(app) -> str:
    mails = sorted(Path(app.config["KYODO_MAIL_DIR"]).glob("*.eml"))
    assert mails, "no mail written"
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(mails[-1].read_bytes())
    assert "パスワード再設定" in msg["Subject"]
    body = msg.get_body().get_content()
    return re.search(r"http://localhost(/password/reset/\S+)", body).group(1)


def test_password_reset_by_emailed_token_is_single_use(app, client):
    user = make_user()
    assert client.post("/password/reset", data={"email": user.email}).status_code == 200
    link = _mail_link(app)
    assert client.get(link).status_code == 200
    response = client.post(link, data={"new_password": GOOD, "new_password_confirm": GOOD})
    assert response.status_code == 303
    assert client.post(link, data={"new_password": GOOD + "2", "new_password_confirm": GOOD + "2"}).status_code == 404
    assert client.post("/login", data={"email": user.email, "password": GOOD}).status_code == 303


def test_password_reset_for_unknown_address_sends_nothing_but_answers_the_same(app, client):
    response = client.post("/password/reset", data={"email": "nobody@example.jp"})
    assert response.status_code == 200
    assert "メールを確認してください" in response.get_data(as_text=True)
    assert not list(Path(app.config["KYODO_MAIL_DIR"]).glob("*.eml"))


def test_tampered_reset_token_is_404(client):
    assert client.get("/password/reset/not-a-token").status_code == 404


def test_reset_link_expires_after_an_hour_but_a_welcome_link_lasts_a_week(app, client, monkeypatch):
    from datetime import timedelta

    from kyodo_match.auth import services
    from kyodo_match.models import utcnow

    user = make_user()
    reset = services.make_reset_token(user)
    welcome = services.make_reset_token(user, purpose="welcome")
    later = utcnow() + timedelta(hours=2)
    monkeypatch.setattr(services, "utcnow", lambda: later)
    assert services.user_for_reset_token(reset) is None
    assert services.user_for_reset_token(welcome).id == user.id
