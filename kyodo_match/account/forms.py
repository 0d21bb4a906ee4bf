"""Forms for my account: editing my details and deleting my account (messages in Japanese)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional

from ..auth.passwords import MAX_LENGTH
from ..auth.services import normalise_email
from .services import DISPLAY_NAME_MAX, normalise_display_name


class AccountForm(FlaskForm):
    display_name = StringField(
        _l("表示名"),
        description=_l("ほかの人に表示される名前です。ニックネームでもかまいません。"),
        filters=[normalise_display_name],
        validators=[DataRequired(_l("表示名を入力してください。")),
                    Length(max=DISPLAY_NAME_MAX, message=_l("60文字以内で入力してください。"))],
    )
    email = EmailField(_l("メールアドレス"), filters=[normalise_email], validators=[
        DataRequired(_l("メールアドレスを入力してください。")),
        Email(_l("メールアドレスの形式が正しくありません（例: seki.taro@example.jp）。"), check_deliverability=False),
        Length(max=254, message=_l("254文字以内で入力してください。"))])
    current_password = PasswordField(
        _l("現在のパスワード"),
        description=_l("メールアドレスを変更するときだけ入力してください。"),
        validators=[Optional(), Length(max=MAX_LENGTH)],
    )


class DeleteAccountForm(FlaskForm):
    current_password = PasswordField(_l("現在のパスワード"), validators=[
        DataRequired(_l("確認のため、現在のパスワードを入力してください。")), Length(max=MAX_LENGTH)])
    confirm = BooleanField(
        _l("アカウントを削除することを確認しました"),
        validators=[DataRequired(_l("削除するには、確認のチェックを入れてください。"))],
    )
