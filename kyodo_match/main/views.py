"""Home, the personal-information notice, the accessibility policy, and the language switch."""

from __future__ import annotations

from flask import Blueprint, current_app, redirect, request, url_for
from flask_login import current_user

from ..access import public
from ..auth.session import is_safe_next
from ..extensions import db
from ..htmx import render
from ..i18n import LOCALE_COOKIE

bp = Blueprint("main", __name__)


@bp.route("/")
@public
def home():
    """ホーム: what the product is for, and where each role starts."""
    return render("main/home.html")


@bp.route("/privacy")
@public
def privacy():
    """個人情報の取扱い (versioned notice)."""
    return render("main/privacy.html", version=current_app.config["KYODO_PRIVACY_NOTICE_VERSION"])


@bp.route("/accessibility")
@public
def accessibility():
    """ウェブアクセシビリティ方針."""
    return render("main/accessibility.html")


@bp.route("/locale", methods=["POST"])
@public
def set_locale():
    """Switch between Japanese and English (kept on the account, or in a cookie)."""
    locale = request.form.get("locale", "ja")
    if locale not in current_app.config["KYODO_LOCALES"]:
        locale = "ja"
    if current_user.is_authenticated:
        current_user.locale = locale
        db.session.commit()
    target = request.form.get("next", "")
    response = redirect(target if is_safe_next(target) else url_for("main.home"), 303)
    response.set_cookie(LOCALE_COOKIE, locale, max_age=365 * 24 * 3600, samesite="Lax", httponly=True,
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response
