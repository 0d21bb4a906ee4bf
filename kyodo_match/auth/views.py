"""Login, logout, sign-up and password reset pages."""

from __future__ import annotations

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from .. import audit
from ..access import public, signed_in
from ..errors import RuleViolation
from ..extensions import db, limiter
from ..htmx import redirect_to, render
from ..mail import send_mail
from . import services
from .forms import LoginForm, PasswordChangeForm, RegisterForm, ResetForm, ResetRequestForm
from .session import end_session, is_safe_next, start_session

bp = Blueprint("auth", __name__)


def _account_key() -> str:
    return "login-account:" + services.normalise_email(request.form.get("email", ""))


def _login_failed(_response) -> bool:
    return bool(g.get("login_failed"))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: current_app.config["KYODO_LOGIN_LIMIT_IP"], methods=["POST"], deduct_when=_login_failed)
@limiter.limit(lambda: current_app.config["KYODO_LOGIN_LIMIT_ACCOUNT"], key_func=_account_key,
               methods=["POST"], deduct_when=_login_failed)
def login():
    """ログイン."""
    form = LoginForm(next=request.args.get("next"))
    if current_user.is_authenticated and request.method == "GET":
        return redirect(url_for("main.home"))
    if not form.validate_on_submit():
        return render("auth/login.html", form=form, status=422 if request.method == "POST" else 200)
    user = services.authenticate(form.email.data, form.password.data)
    if user is None:
        g.login_failed = True
        audit.record_now("login_failed", outcome="fail", target=services.normalise_email(form.email.data))
        form.password.errors.append(_("メールアドレスかパスワードが正しくありません。"))
        return render("auth/login.html", form=form, status=422)
    audit.record("login", actor=user, target=f"user:{user.id}")
    db.session.commit()
    start_session(user)
    flash(_("ログインしました。"), "success")
    target = form.next.data if is_safe_next(form.next.data) else url_for("main.home")
    return redirect_to(target)


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    """ログアウト: ends this user's sessions everywhere and clears what the browser kept."""
    user = current_user._get_current_object()
    services.end_all_sessions(user)
    audit.record("logout", actor=user, target=f"user:{user.id}")
    db.session.commit()
    return end_session(_("ログアウトしました。"))


@bp.route("/register", methods=["GET", "POST"])
@public
def register():
    """新規登録 (個人ボランティア・団体の代表者)."""
    if current_user.is_authenticated:
        return redirect(url_for("account.show"))
    form = RegisterForm()
    if form.validate_on_submit():
        try:
            user = services.register_self(
                email=form.email.data, password=form.password.data, display_name=form.display_name.data,
                role=form.role.data, consent_version=current_app.config["KYODO_PRIVACY_NOTICE_VERSION"],
            )
        except RuleViolation as e:
            db.session.rollback()
            field = form.password if e.problems else form.email
            field.errors.extend(e.problems or [e.message])
        else:
            db.session.commit()
            start_session(user)
            flash(_("登録が完了しました。ようこそ、%(name)sさん。", name=user.display_name), "success")
            return redirect_to(url_for("account.show"))
    return render("auth/register.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/password", methods=["GET", "POST"])
@signed_in
def change_password():
    """パスワード変更: every other session of the user ends; this one continues."""
    form = PasswordChangeForm()
    if form.validate_on_submit():
        user = current_user._get_current_object()
        try:
            services.change_password(user, form.current_password.data, form.new_password.data)
        except RuleViolation as e:
            db.session.rollback()
            target = form.new_password if e.problems else form.current_password
            target.errors.extend(e.problems or [e.message])
        else:
            db.session.commit()
            start_session(user)
            flash(_("パスワードを変更しました。ほかの端末ではログアウトされました。"), "success")
            return redirect_to(url_for("account.show"))
    return render("auth/password_change.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/password/reset", methods=["GET", "POST"])
@public
@limiter.limit("10 per hour", methods=["POST"])
def reset_request():
    """パスワード再設定の依頼: the same answer whether or not the address is registered."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        user = services.find_user_by_email(form.email.data)
        if user is not None and user.is_active:
            token = services.make_reset_token(user)
            link = url_for("auth.reset_password", token=token, _external=True)
            minutes = current_app.config["KYODO_PASSWORD_RESET_MAX_AGE"] // 60
            body = render_template("auth/reset_mail.txt", link=link, minutes=minutes)
            send_mail(user.email, _("【協働マッチ】パスワード再設定のご案内"), body)
            audit.record("password_reset_requested", actor=user, target=f"user:{user.id}")
            db.session.commit()
        return render("auth/reset_sent.html")
    return render("auth/reset_request.html", form=form, status=422 if request.method == "POST" else 200)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """新しいパスワードの設定 (link from the e-mail; single use, one hour)."""
    user = services.user_for_reset_token(token)
    if user is None:
        return render("auth/reset_invalid.html", status=404)
    form = ResetForm()
    if form.validate_on_submit():
        try:
            services.set_password(user, form.new_password.data)
        except RuleViolation as e:
            db.session.rollback()
            form.new_password.errors.extend(e.problems or [e.message])
        else:
            audit.record("password_reset", actor=user, target=f"user:{user.id}")
            db.session.commit()
            flash(_("パスワードを再設定しました。新しいパスワードでログインしてください。"), "success")
            return redirect_to(url_for("auth.login"))
    return render("auth/reset_password.html", form=form, status=422 if request.method == "POST" else 200)
