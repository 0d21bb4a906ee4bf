"""Forged requests, cookies after logout, throttling, headers and error pages."""

from __future__ import annotations

from http.cookies import SimpleCookie

from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import AuditEvent, Role
from tests.factories import PASSWORD, make_user


def test_post_without_csrf_token_is_refused_with_400(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD}, csrf=False)
    assert response.status_code == 400
    assert "不正な送信" in response.get_data(as_text=True)


def test_htmx_post_without_csrf_header_is_refused(client, login):
    login(make_user())
    response = client.post("/logout", headers={"HX-Request": "true"}, csrf=False)
    assert response.status_code == 400


def test_session_cookie_replayed_after_logout_is_not_signed_in(app, client, login):
    login(make_user())
    cookie = client.get_cookie("session").value
    assert client.get("/account/").status_code == 200
    client.post("/logout")
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    response = thief.get("/account/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_deactivated_users_sessions_end(client, login):
    user = make_user()
    login(user)
    user.active = False
    db.session.commit()
    assert client.get("/account/").status_code == 302


def test_expired_session_in_htmx_request_gets_hx_redirect_not_a_login_form(client):
    response = client.get("/account/", headers={"HX-Request": "true"})
    assert response.status_code == 401
    assert response.headers["HX-Redirect"].startswith("/login")
    assert "<form" not in response.get_data(as_text=True)


def test_login_is_throttled_per_account_without_permanent_lockout(app, client):
    user = make_user()
    for _ in range(5):
        assert client.post("/login", data={"email": user.email, "password": "wrong-pass-123"}).status_code == 422
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert int(response.headers["Retry-After"]) > 0
    assert "しばらく時間をおいて" in response.get_data(as_text=True)
    # Another account from the same address is not locked by this one's failures.
    other = make_user()
    assert client.post("/login", data={"email": other.email, "password": PASSWORD}).status_code == 303


def test_successful_logins_do_not_count_towards_the_limit(client):
    user = make_user()
    for _ in range(7):
        assert client.post("/login", data={"email": user.email, "password": PASSWORD}).status_code == 303
        client.post("/logout")


def test_login_is_throttled_per_ip_after_20_failures(client):
    for n in range(20):
        response = client.post("/login", data={"email": f"nobody{n}@example.jp", "password": "wrong-pass-123"})
        assert response.status_code == 422
    response = client.post("/login", data={"email": "someone-else@example.jp", "password": "wrong-pass-123"})
    assert response.status_code == 429


def test_security_headers_on_every_page(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    for directive in ["object-src 'none'", "base-uri 'none'", "frame-ancestors 'none'", "default-src 'self'"]:
        assert directive in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in response.headers  # only in production


def test_authenticated_pages_are_not_cached(client, login):
    assert "no-store" not in client.get("/").headers.get("Cache-Control", "")
    login(make_user())
    assert client.get("/").headers["Cache-Control"] == "no-store"
    assert client.get("/account/").headers["Cache-Control"] == "no-store"


def test_logout_clears_site_data(client, login):
    login(make_user())
    assert client.post("/logout").headers["Clear-Site-Data"] == '"cache", "storage"'


def test_session_cookie_flags(client):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    cookie = SimpleCookie(response.headers["Set-Cookie"])["session"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"


def test_production_requires_a_strong_secret_key(monkeypatch, tmp_path):
    import pytest

    from kyodo_match import create_app
    from kyodo_match.config import ConfigError

    monkeypatch.setenv("KYODO_SECRET_KEY", "changeme")
    with pytest.raises(ConfigError):
        create_app({"KYODO_ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    monkeypatch.setenv("KYODO_SECRET_KEY", "x" * 48)
    monkeypatch.setenv("KYODO_DATABASE_URL", f"sqlite:///{tmp_path}/p.sqlite3")
    app = create_app({"KYODO_ENV": "production", "INSTANCE_PATH": str(tmp_path)})
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["SESSION_COOKIE_NAME"] == "__Host-session"
    response = app.test_client().get("/", base_url="https://localhost")
    assert "max-age" in response.headers["Strict-Transport-Security"]


def test_development_generates_the_secret_key_once(monkeypatch, tmp_path):
    from kyodo_match.config import load_config

    monkeypatch.delenv("KYODO_SECRET_KEY", raising=False)
    first = load_config({"KYODO_ENV": "development", "INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    second = load_config({"KYODO_ENV": "development", "INSTANCE_PATH": str(tmp_path)})["SECRET_KEY"]
    assert first == second and len(first) >= 48
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_error_pages_are_japanese_pages_or_fragments(client):
    page = client.get("/no-such-page")
    assert page.status_code == 404
    html = page.get_data(as_text=True)
    assert "ページが見つかりません" in html and "<html" in html and "Traceback" not in html
    fragment = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert fragment.status_code == 404
    assert "ページが見つかりません" in fragment.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]


def test_method_not_allowed_and_oversized_requests(app, client):
    assert client.get("/logout").status_code == 405
    app.config["MAX_CONTENT_LENGTH"] = 1024
    response = client.post("/login", data={"email": "a@example.jp", "password": "x" * 5000})
    assert response.status_code == 413
    assert "大きすぎます" in response.get_data(as_text=True)


def test_forbidden_access_is_refused_and_audited(client, login):
    user = make_user(Role.VOLUNTEER)
    login(user)
    response = client.get("/admin/")
    assert response.status_code == 403
    assert "権限がありません" in response.get_data(as_text=True)
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "forbidden"))
    assert event.actor_id == user.id and event.outcome == "denied" and event.target == "GET /admin/"


def test_unexpected_error_is_a_japanese_500_without_trace(app, client):
    from kyodo_match.access import public

    @app.route("/boom")
    @public
    def boom():
        raise RuntimeError("secret internals")

    response = client.get("/boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "システムでエラーが発生しました" in html and "secret internals" not in html
