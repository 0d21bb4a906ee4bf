"""Flask-Login wiring: the stored id carries a per-user session version, so old cookies stop working."""

from __future__ import annotations

from flask import Flask, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import login_user, logout_user

from ..extensions import db, login_manager
from ..htmx import is_htmx, redirect_to
from ..models import User


def init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(stored_id: str) -> User | None:
        user_id, _sep, version = stored_id.partition(":")
        if not user_id.isdigit() or not version.isdigit():
            return None
        user = db.session.get(User, int(user_id))
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return user

    @login_manager.unauthorized_handler
    def unauthorized():
        target = url_for("auth.login", next=_safe_next(request.full_path))
        from ..errors import error_response, is_api_request

        if is_api_request():
            return error_response(401)
        if request.headers.get("HX-Request") == "true":
            # Never swap a login form into a fragment: send the whole page to the login screen.
            response = app.make_response(("", 401))
            response.headers["HX-Redirect"] = target
            return response
        if not is_htmx():
            flash(_("続けるにはログインしてください。"), "info")
        return redirect(target, 303 if request.method != "GET" else 302)


def _safe_next(path: str) -> str | None:
    if request.method != "GET":
        return None
    path = path.rstrip("?")
    return path if is_safe_next(path) else None


def is_safe_next(target: str | None) -> bool:
    """Only a path on this site: no scheme, no host, no protocol-relative URL, no backslash tricks."""
    return bool(target) and target.startswith("/") and not target.startswith("//") and "\\" not in target


def start_session(user: User) -> None:
    """Begin a fresh session for ``user``: nothing from before survives (no session fixation)."""
    session.clear()
    login_user(user)
    session.permanent = True


def end_session(message: str):
    """Sign out of this browser (after the caller committed): forget the session, say ``message``, go home, and
    ask the browser to drop what it cached and stored for the site (Clear-Site-Data)."""
    logout_user()
    session.clear()
    flash(message, "success")
    response = redirect_to(url_for("main.home"))
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response
