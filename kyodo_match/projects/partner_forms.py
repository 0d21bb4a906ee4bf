"""Forms for partner selection (選定) and the agreement (協定): choose, remove, confirm one side."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, Length

from ..formfields import id_or_none, strip
from .agreement import SIDES
from .partners import REASON_MAX


def _reason(label, required_message):
    return TextAreaField(label, filters=[strip], validators=[
        DataRequired(required_message),
        Length(max=REASON_MAX, message=_l("%(max)d文字以内で入力してください。"))])


class SelectPartnerForm(FlaskForm):
    """パートナーに選ぶ: one group or one volunteer, and the published reason."""

    group_id = HiddenField(filters=[id_or_none])
    volunteer_user_id = HiddenField(filters=[id_or_none])
    q = HiddenField(filters=[strip])  # the search the form came from, kept on a refusal
    reason = _reason(_l("選定理由（公開されます）"),
                     _l("選定理由を入力してください。選定理由は事業のページで公開されます。"))

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (self.group_id.data is None) == (self.volunteer_user_id.data is None):
            self.reason.errors = [*self.reason.errors, _l("パートナーにする団体か個人を一つ選んでください。")]
            return False
        return ok


class RemovePartnerForm(FlaskForm):
    """選定を取り消す, with a reason (kept in the record and sent to the partner)."""

    reason = _reason(_l("取り消す理由"), _l("取り消す理由を入力してください。"))


class ConfirmAgreementForm(FlaskForm):
    """この内容で協定を確認する: for the city or the partner side."""

    side = StringField(validators=[DataRequired(_l("確認する側を選んでください。")),
                                   AnyOf(SIDES, message=_l("確認する側を選んでください。"))])
