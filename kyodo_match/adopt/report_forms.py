"""Forms of the activity report (活動報告) and of the answer to a repair request (修繕などの依頼)."""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..formfields import Checkboxes, Number, strip
from ..projects.forms import Day
from ..validation import nfkc
from .reports import MAX_PHOTOS, MAX_PROBLEMS, MAX_TEXT, PROBLEM_LABELS, REPAIR_LABELS, WORK_LABELS

_DECIMAL = re.compile(r"^\d{1,4}(\.\d{1,2})?$")


class Amount(StringField):
    """A number with at most ``places`` decimals (full-width digits accepted); ``data`` is a Decimal or None."""

    def __init__(self, label=None, validators=None, places: int = 1, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.places = places

    def process_formdata(self, valuelist):
        raw = nfkc(valuelist[0]).strip() if valuelist and valuelist[0] else ""
        self.raw = raw
        if not raw:
            self.data = None
            return
        if not _DECIMAL.match(raw) or len(raw.partition(".")[2]) > self.places:
            self.data = None
            raise ValueError(_l("数字で入力してください（小数点以下%(n)d桁まで）。", n=self.places))
        try:
            self.data = Decimal(raw)
        except InvalidOperation:
            self.data = None
            raise ValueError(_l("数字で入力してください。")) from None

    def _value(self):
        return getattr(self, "raw", None) or ("" if self.data is None else str(self.data))


def _choices(labels: dict, empty=None) -> list:
    return ([SelectChoice("", empty)] if empty is not None else []) + [SelectChoice(k, v) for k, v in labels.items()]


class ReportForm(FlaskForm):
    activity_date = Day(_l("活動日"), validators=[InputRequired(message=_l("活動日を入力してください。"))])
    participants = Number(_l("参加人数（人）"), validators=[
        InputRequired(message=_l("参加人数を入力してください。")),
        NumberRange(min=1, max=10000, message=_l("参加人数は1人以上にしてください。"))])
    hours = Amount(_l("活動時間（時間）"), places=2, description=_l("例: 1.5（1時間30分）。0〜24時間。"),
                   validators=[InputRequired(message=_l("活動時間を入力してください。"))])
    work = Checkboxes(_l("活動の内容"), coerce=str, choices=_choices(WORK_LABELS),
                      widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())
    bags = Number(_l("ごみ袋（袋）"), validators=[
        Optional(), NumberRange(min=0, max=100000, message=_l("0以上の数字で入力してください。"))])
    kg = Amount(_l("ごみの重さ（kg）"), places=1, description=_l("小数点以下1桁まで。例: 12.5"),
                validators=[Optional()])
    note = TextAreaField(_l("メモ"), filters=[strip],
                         validators=[Length(max=MAX_TEXT, message=_l("%(max)d文字以内で入力してください。"))])

    def validate_hours(self, field):
        if field.data is not None and not Decimal(0) <= field.data <= Decimal(24):
            raise ValidationError(_l("活動時間は0〜24時間で入力してください。"))

    def minutes(self) -> int:
        return int((self.hours.data * 60).to_integral_value(ROUND_HALF_UP)) if self.hours.data is not None else 0

    def kg_tenths(self) -> int:
        return int((self.kg.data * 10).to_integral_value(ROUND_HALF_UP)) if self.kg.data is not None else 0

    def photo_fields(self):
        """[(file field, public field)] for each photo slot."""
        return [(self[f"photo_{i}"], self[f"photo_public_{i}"]) for i in range(1, MAX_PHOTOS + 1)]

    def problem_fields(self):
        return [(self[f"problem_kind_{i}"], self[f"problem_text_{i}"]) for i in range(1, MAX_PROBLEMS + 1)]

    def problems(self) -> list[tuple[str, str]]:
        return [(k.data, t.data or "") for k, t in self.problem_fields() if k.data]

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        for kind, text in self.problem_fields():
            if kind.data and not (text.data or "").strip():
                text.errors = [*text.errors, _l("見つけたことの内容を書いてください（場所や様子）。")]
                ok = False
            elif (text.data or "").strip() and not kind.data:
                kind.errors = [*kind.errors, _l("見つけたことの種類を選んでください。")]
                ok = False
        return ok


for _i in range(1, MAX_PHOTOS + 1):
    setattr(ReportForm, f"photo_{_i}", FileField(_l("写真%(n)d", n=_i),
                                                 description=_l("JPEGかPNG、1枚5MBまで。位置情報などは取り除きます。")))
    setattr(ReportForm, f"photo_public_{_i}", BooleanField(_l("写真%(n)dを公開する（成果のページに載せる）", n=_i)))
for _i in range(1, MAX_PROBLEMS + 1):
    setattr(ReportForm, f"problem_kind_{_i}", SelectField(_l("見つけたこと%(n)dの種類", n=_i),
                                                          choices=_choices(PROBLEM_LABELS, _l("なし")), default=""))
    setattr(ReportForm, f"problem_text_{_i}", TextAreaField(
        _l("見つけたこと%(n)dの内容", n=_i), filters=[strip],
        description=_l("場所と様子。例: 〇〇橋の手すりが外れている"),
        validators=[Length(max=MAX_TEXT, message=_l("%(max)d文字以内で入力してください。"))]))


class RepairAnswerForm(FlaskForm):
    """One step of a repair request: the next status and, for 対応しない, why."""

    status = SelectField(_l("状態"), choices=_choices(REPAIR_LABELS),
                         validators=[InputRequired(message=_l("状態を選んでください。"))])
    answer = TextAreaField(_l("回答"), filters=[strip], description=_l("「対応しない」のときは理由が必要です。"),
                           validators=[Length(max=MAX_TEXT, message=_l("%(max)d文字以内で入力してください。"))])
    version = HiddenField()
