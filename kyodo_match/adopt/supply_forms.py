"""Forms of the supplies (原材料支給): an item of the catalogue, a group's request, a step of the department."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from ..formfields import Number, id_or_none, strip
from ..projects.forms import Day


class ItemForm(FlaskForm):
    name = StringField(_l("品目"), filters=[strip], description=_l("例: ごみ袋（45L）、軍手、花苗、草刈り鎌"),
                       validators=[InputRequired(message=_l("品目を入力してください。")),
                                   Length(max=60, message=_l("%(max)d文字以内で入力してください。"))])
    unit = StringField(_l("単位"), filters=[strip], default="個", description=_l("例: 枚、組、袋、本"),
                       validators=[InputRequired(message=_l("単位を入力してください。")),
                                   Length(max=10, message=_l("%(max)d文字以内で入力してください。"))])
    stock = Number(_l("在庫"), validators=[
        InputRequired(message=_l("在庫の数を入力してください。")),
        NumberRange(min=0, max=10_000_000, message=_l("0以上の数字で入力してください。"))])
    is_loan = BooleanField(_l("貸し出す道具（返却日が必要）"))
    active = BooleanField(_l("申請を受け付ける"), default=True)


class SupplyRequestForm(FlaskForm):
    item_id = SelectField(_l("品目"), coerce=id_or_none, validate_choice=False,
                          validators=[InputRequired(message=_l("品目を選んでください。"))])
    quantity = Number(_l("数量"), validators=[InputRequired(message=_l("数量を入力してください。")),
                                            NumberRange(min=1, max=10000, message=_l("数量は1以上にしてください。"))])
    return_on = Day(_l("返却日（貸し出しの道具のとき）"), validators=[Optional()])


class DecisionForm(FlaskForm):
    """The step itself is in the URL (approve, hand_over, return, decline); 見送り needs a reason."""

    reason = TextAreaField(_l("見送る理由"), filters=[strip],
                           description=_l("「見送る」のときは必要です。団体に伝わります。"),
                           validators=[Length(max=2000, message=_l("%(max)d文字以内で入力してください。"))])
