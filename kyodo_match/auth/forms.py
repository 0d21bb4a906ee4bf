"""Forms for sign-up, login and passwords (validated on the server; messages in Japanese)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, PasswordField, RadioField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length

from ..models import Role
from .passwords import MAX_LENGTH


class LoginForm(FlaskForm):
    email = EmailField(_l("メールアドレス"), validators=[DataRequired(_l("メールアドレスを入力してください。")),
                                                     Length(max=254)])
    password = PasswordField(_l("パスワード"), validators=[DataRequired(_l("パスワードを入力してください。")),
                                                      Length(max=MAX_LENGTH)])
    next = HiddenField()


class RegisterForm(FlaskForm):
    role = RadioField(
        _l("登録の種類"),
        choices=[SelectChoice(Role.VOLUNTEER.value, _l("個人ボランティアとして登録する")),
                 SelectChoice(Role.GROUP_REP.value, _l("市民活動団体の代表者として登録する"))],
        default=Role.VOLUNTEER.value,
        validators=[InputRequired(_l("登録の種類を選んでください。"))],
    )
    display_name = StringField(
        _l("表示名"),
        description=_l("ほかの人に表示される名前です。ニックネームでもかまいません。"),
        validators=[DataRequired(_l("表示名を入力してください。")),
                    Length(max=60, message=_l("60文字以内で入力してください。"))],
    )
    email = EmailField(_l("メールアドレス"), validators=[
        DataRequired(_l("メールアドレスを入力してください。")),
        Email(_l("メールアドレスの形式が正しくありません（例: seki.taro@example.jp）。"), check_deliverability=False),
        Length(max=254)])
    password = PasswordField(
        _l("パスワード"),
        description=_l("8文字以上。長い文や、いくつかの単語を組み合わせたものがおすすめです。"),
        validators=[DataRequired(_l("パスワードを入力してください。"))],
    )
    password_confirm = PasswordField(_l("パスワード（確認）"), validators=[
        DataRequired(_l("確認のため、もう一度パスワードを入力してください。")),
        EqualTo("password", _l("パスワードが一致しません。"))])
    consent = BooleanField(
        _l("個人情報の取扱いについて確認し、同意します"),
        validators=[DataRequired(_l("登録には個人情報の取扱いへの同意が必要です。"))],
    )


class PasswordChangeForm(FlaskForm):
    current_password = PasswordField(_l("現在のパスワード"),
                                     validators=[DataRequired(_l("現在のパスワードを入力してください。"))])
    new_password = PasswordField(_l("新しいパスワード"), description=_l("8文字以上。"),
                                 validators=[DataRequired(_l("新しいパスワードを入力してください。"))])
    new_password_confirm = PasswordField(_l("新しいパスワード（確認）"), validators=[
        DataRequired(_l("確認のため、もう一度入力してください。")),
        EqualTo("new_password", _l("パスワードが一致しません。"))])


class ResetRequestForm(FlaskForm):
    email = EmailField(_l("登録したメールアドレス"), validators=[
        DataRequired(_l("メールアドレスを入力してください。")),
        Email(_l("メールアドレスの形式が正しくありません（例: seki.taro@example.jp）。"), check_deliverability=False),
        Length(max=254)])


class ResetForm(FlaskForm):
    new_password = PasswordField(_l("新しいパスワード"), description=_l("8文字以上。"),
                                 validators=[DataRequired(_l("新しいパスワードを入力してください。"))])
    new_password_confirm = PasswordField(_l("新しいパスワード（確認）"), validators=[
        DataRequired(_l("確認のため、もう一度入力してください。")),
        EqualTo("new_password", _l("パスワードが一致しません。"))])
