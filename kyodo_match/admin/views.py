"""Administration pages (admin only): the start page, accounts and roles, the audit log."""

from __future__ import annotations

import smtplib

from flask import Blueprint, abort, current_app, flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..access import roles_required
from ..auth.services import make_reset_token, token_max_age
from ..errors import RuleViolation
from ..extensions import db
from ..htmx import redirect_to, render
from ..mail import send_mail
from ..models import Role, User
from ..pagination import page_arg
from ..reference.services import departments
from . import services
from .forms import AuditFilterForm, UserCreateForm, UserEditForm, UserFilterForm

bp = Blueprint("admin", __name__)


def _status() -> int:
    return 422 if request.method == "POST" else 200


def _valid_data(form, *names: str) -> dict:
    """The filter values that passed validation (an invalid one is ignored and explained beside its field)."""
    return {name: form[name].data for name in names if not form[name].errors and form[name].data}


def _filter_args() -> dict[str, str]:
    """The filters in the URL, for page links (the page number itself is set by each link)."""
    return {key: value for key, value in request.args.items() if key != "page" and value}


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        abort(404)
    return user


def _send_password_mail(user: User) -> None:
    link = url_for("auth.reset_password", token=make_reset_token(user, purpose="welcome"), _external=True)
    days = token_max_age("welcome") // 86400
    body = render_template("admin/welcome_mail.txt", user=user, link=link, days=days,
                           reset_url=url_for("auth.reset_request", _external=True))
    try:
        send_mail(user.email, _("【協働マッチ】アカウントを作成しました（パスワードの設定）"), body)
    except (OSError, smtplib.SMTPException):
        current_app.logger.exception("password-setting mail for user %s could not be sent", user.id)
        flash(_("パスワード設定のメールを送れませんでした。本人に「パスワードを忘れた場合」から手続きするよう伝えてください。"),
              "warning")
    else:
        flash(_("パスワード設定のメールを送りました。"), "success")


@bp.route("/")
@roles_required(Role.ADMIN)
def index():
    """管理: the administrator's start page."""
    return render("admin/index.html", counts=services.overview())


@bp.route("/users")
@roles_required(Role.ADMIN)
def users():
    """ユーザー一覧: search by name or e-mail, filter by role and status (an htmx active filter)."""
    form = UserFilterForm(formdata=request.args)
    valid = form.validate()
    pagination = db.paginate(services.users_query(**_valid_data(form, "q", "role", "status")), page=page_arg(),
                             per_page=services.USERS_PER_PAGE, error_out=False)
    return render("admin/users.html", block="results", form=form, pagination=pagination,
                  filter_args=_filter_args(), status=200 if valid else 422)


@bp.route("/users/new", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_new():
    """ユーザーの作成: staff, coordinators and administrators get their accounts here."""
    form = UserCreateForm(departments=departments())
    if form.validate_on_submit():
        typed = form.password_mode.data == "typed"
        try:
            user = services.create_account(
                current_user, email=form.email.data, display_name=form.display_name.data, roles=form.roles.data,
                department_id=form.department_id.data, password=form.password.data if typed else None)
            db.session.commit()
        except RuleViolation as e:
            db.session.rollback()
            (form.password if e.problems else form.email).errors.extend(e.problems or [e.message])
        except IntegrityError:  # the address was registered between our check and the commit
            db.session.rollback()
            form.email.errors.append(_("このメールアドレスはすでに登録されています。"))
        else:
            flash(_("%(name)sさんのアカウントを作成しました。", name=user.display_name), "success")
            if not typed:
                _send_password_mail(user)
            return redirect_to(url_for("admin.user_edit", user_id=user.id))
    return render("admin/user_new.html", block="form", form=form, status=_status())


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def user_edit(user_id: int):
    """ユーザーの編集: display name, roles and department; a role change ends that user's sessions."""
    user = _user_or_404(user_id)
    choices = departments() + ([user.department] if user.department and not user.department.active else [])
    form = UserEditForm(departments=choices, data={
        "display_name": user.display_name, "roles": sorted(user.role_names), "department_id": user.department_id})
    status = _status()
    if form.validate_on_submit():
        try:
            services.update_account(current_user, user, display_name=form.display_name.data,
                                    roles=form.roles.data, department_id=form.department_id.data)
        except RuleViolation as e:
            db.session.rollback()
            form.roles.errors.append(e.message)
            status = e.status
        else:
            db.session.commit()
            flash(_("%(name)sさんの情報を保存しました。", name=user.display_name), "success")
            return redirect_to(url_for("admin.user_edit", user_id=user.id))
    return render("admin/user_edit.html", block="form", form=form, user=user,
                  can_deactivate=services.can_deactivate(current_user, user), status=status)


@bp.route("/users/<int:user_id>/deactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def user_deactivate(user_id: int):
    """アカウントの停止: the user can no longer log in, and their sessions end now."""
    return _change_status(_user_or_404(user_id), services.deactivate_account, _("アカウントを停止しました。"))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
@roles_required(Role.ADMIN)
def user_reactivate(user_id: int):
    """アカウントの再開: the user may log in again."""
    return _change_status(_user_or_404(user_id), services.reactivate_account, _("アカウントを再開しました。"))


def _change_status(user: User, change, done: str):
    error, status = None, 200
    try:
        change(current_user, user)
        db.session.commit()
    except RuleViolation as e:
        db.session.rollback()
        error, status = e.message, e.status
    if request.headers.get("HX-Request") != "true":
        flash(error or done, "error" if error else "success")
        return redirect_to(url_for("admin.user_edit", user_id=user.id))
    return render("admin/user_edit.html", block="status", user=user, error=error, done=None if error else done,
                  can_deactivate=services.can_deactivate(current_user, user), status=status)


@bp.route("/audit")
@roles_required(Role.ADMIN)
def audit_log():
    """監査ログ: newest first, filtered by action, result, who and when (dates in Japan time)."""
    form = AuditFilterForm(formdata=request.args)
    valid = form.validate()
    filters = services.AuditFilters(**_valid_data(form, "action", "outcome", "actor", "date_from", "date_to"))
    pagination = db.paginate(services.audit_query(filters), page=page_arg(), per_page=services.AUDIT_PER_PAGE,
                             error_out=False)
    return render("admin/audit.html", block="results", form=form, pagination=pagination, actions=audit.ACTIONS,
                  filter_args=_filter_args(),
                  outcomes=services.OUTCOME_LABELS, describe=services.describe_details,
                  status=200 if valid else 422)
