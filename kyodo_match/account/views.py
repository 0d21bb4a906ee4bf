"""My account: my details, editing them, downloading my data, deleting my account."""

from __future__ import annotations

import json

from flask import Blueprint, current_app, flash, g, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from ..access import signed_in
from ..auth.passwords import verify_password
from ..auth.session import end_session, start_session
from ..errors import FieldRefused
from ..extensions import db, limiter
from ..htmx import redirect_to, render
from ..labels import role_labels
from ..pagination import page_arg
from . import services
from .forms import AccountForm, DeleteAccountForm

bp = Blueprint("account", __name__)

EXPORT_FILENAME = "kyodo-match-my-data.json"


def _password_key() -> str:
    return f"account-password:{getattr(current_user, 'id', None)}"


# Guessing the current password from a borrowed session is throttled; only wrong passwords count.
password_attempts = limiter.shared_limit(
    "10 per 15 minutes", scope="account-password", key_func=_password_key, methods=["POST"],
    deduct_when=lambda _response: bool(g.get("account_password_failed")),
)


def _status() -> int:
    return 422 if request.method == "POST" else 200


@bp.route("/")
@signed_in
def show():
    """アカウント: my details, roles, consent history and what I can do with my account."""
    user = current_user._get_current_object()
    department, consents = services.account_details(user)
    return render("account/show.html", user=user, roles=role_labels(user.role_names), consents=consents,
                  department=department)


@bp.route("/edit", methods=["GET", "POST"])
@signed_in
@password_attempts
def edit():
    """アカウント情報の変更: display name and e-mail (a new e-mail needs the current password)."""
    user = current_user._get_current_object()
    form = AccountForm(obj=user)
    if form.validate_on_submit():
        try:
            changed = services.update_account(user, display_name=form.display_name.data, email=form.email.data,
                                              current_password=form.current_password.data)
            db.session.commit()
        except FieldRefused as e:
            db.session.rollback()
            g.account_password_failed = e.field == "current_password"
            form[e.field].errors.append(e.message)
        except IntegrityError:  # another account took the address between our check and the commit
            db.session.rollback()
            form.email.errors.append(services.email_in_use_message())
        else:
            if "email" in changed:
                start_session(user)
            flash(_("アカウントの情報を保存しました。"), "success")
            return redirect_to(url_for("account.show"))
    return render("account/edit.html", block="form", form=form, status=_status())


@bp.route("/export", methods=["POST"])
@signed_in
def export():
    """自分のデータのダウンロード: everything held about me, as a JSON attachment (POST: CSRF, never cached)."""
    data = services.export_data(current_user._get_current_object())
    db.session.commit()
    response = current_app.response_class(json.dumps(data, ensure_ascii=False, indent=2),
                                          content_type="application/json; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="{EXPORT_FILENAME}"'
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/delete", methods=["GET", "POST"])
@signed_in
@password_attempts
def delete():
    """アカウントの削除: personal data erased, past records kept anonymised; signs out everywhere."""
    user = current_user._get_current_object()
    form = DeleteAccountForm()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current_password.data):
            g.account_password_failed = True
            form.current_password.errors.append(_("現在のパスワードが正しくありません。"))
        else:
            services.delete_account(user)  # RuleViolation (last administrator) → 422 page
            db.session.commit()
            return end_session(_("アカウントを削除しました。ご利用ありがとうございました。"))
    return render("account/delete.html", form=form, can_delete=services.can_delete_account(user), status=_status())


@bp.route("/notifications")
@signed_in
def notifications():
    """お知らせ: my notices, newest first; opening the page marks them read."""
    user = current_user._get_current_object()
    page = services.notifications_page(user, page_arg())
    db.session.commit()
    return render("account/notifications.html", block="content", page=page)
