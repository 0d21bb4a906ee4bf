"""Forms for projects: the record (saved as a draft without the rules), and a lifecycle step."""

from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from ..formfields import Checkboxes, Number, strip
from ..models import SLOTS
from ..validation import nfkc
from .services import DOMAIN_LABELS, KIND_LABELS, METHOD_LABELS, SELECTION_LABELS

MAX_YEN = 999_999_999



def _max(n: int) -> Length:
    return Length(max=n, message=_l("%(max)d文字以内で入力してください。"))


def _text(label, n=4000, description=None):
    return TextAreaField(label, description=description, filters=[strip], validators=[_max(n)])


def _yen(label):
    return Number(label, description=_l("円単位の数字（わからなければ空欄）"), validators=[
        Optional(), NumberRange(min=0, max=MAX_YEN, message=_l("金額は0円以上の数字で入力してください。"))])


class Day(DateField):
    """A date (YYYY-MM-DD, the browser's date picker); anything else is refused in Japanese."""

    def process_formdata(self, valuelist):
        raw = nfkc(valuelist[0]).strip() if valuelist and valuelist[0] else ""
        if not raw:
            self.data = None
            return
        try:
            self.data = date.fromisoformat(raw)
        except ValueError:
            self.data = None
            raise ValueError(_l("日付は「2026-04-01」の形で入力してください。")) from None


class Days(TextAreaField):
    """Dates, one per line (or separated by spaces or commas); each one checked, at most 50."""

    def _value(self):
        return "\n".join(d.isoformat() for d in self.data or [])

    def process_formdata(self, valuelist):
        raw = nfkc(valuelist[0]) if valuelist and valuelist[0] else ""
        parts = [p for p in re.split(r"[\s,、]+", raw) if p]
        self.data = []
        if len(parts) > 50:
            raise ValueError(_l("活動する日は50日までにしてください。"))
        for part in parts:
            try:
                self.data.append(date.fromisoformat(part))
            except ValueError:
                self.data = []
                raise ValueError(_l("「%(value)s」は日付として読めません。「2026-04-01」の形で入力してください。",
                                    value=part[:20])) from None


def _select(labels, blank=None):
    options = [SelectChoice("", blank)] if blank else []
    return options + [SelectChoice(value, label) for value, label in labels.items()]


class ProjectForm(FlaskForm):
    department_id = SelectField(_l("担当課"), coerce=int, choices=[])
    kind = RadioField(_l("種類"), choices=_select(KIND_LABELS), default="project",
                      validators=[DataRequired(_l("種類を選んでください。"))])
    title = StringField(_l("題名"), filters=[strip], validators=[
        DataRequired(_l("題名を入力してください。")), _max(120)])
    summary = _text(_l("ひとことで言うと（一覧に表示されます）"), 400)
    background = _text(_l("地域課題の背景"))
    beneficiaries = _text(_l("誰のために（ルール2）"))
    purpose = _text(_l("何のために・目的（ルール2）"))
    outcome_goal = _text(_l("成果目標"), description=_l("例: 年4回の清掃でごみの量を半分にする"))
    field_codes = Checkboxes(_l("分野"), coerce=int)
    district_ids = Checkboxes(_l("地域"), coerce=int)
    skill_ids = Checkboxes(_l("求める得意なこと・技能"), coerce=int)
    domain = SelectField(_l("協働の領域"), choices=_select(DOMAIN_LABELS, _l("選んでください")),
                         validators=[Optional()])
    method = SelectField(_l("協働の手法"), choices=_select(METHOD_LABELS, _l("選んでください")),
                         validators=[Optional()])
    city_role = _text(_l("市（担当課）の役割（ルール6）"))
    partner_role = _text(_l("パートナーの役割（ルール6）"))
    selection_method = RadioField(_l("パートナーの選び方（ルール4）"), choices=_select(SELECTION_LABELS),
                                  default="open_call", validators=[DataRequired(_l("選び方を選んでください。"))])
    selection_criteria = _text(_l("選考の基準（ルール4）"))
    designation_reason = _text(_l("公募しない理由（指名のとき）"))
    recruit_from = Day(_l("募集の開始日"), validators=[Optional()])
    recruit_until = Day(_l("募集の締切日"), validators=[Optional()])
    period_start = Day(_l("協働の開始日"), validators=[Optional()])
    period_end = Day(_l("協働の終了日（ルール5）"), validators=[Optional()])
    needed_individuals = Number(_l("募集する人数（個人）"), validators=[
        Optional(), NumberRange(min=0, max=100_000, message=_l("0以上の数字で入力してください。"))])
    needed_groups = Number(_l("募集する団体数"), validators=[
        Optional(), NumberRange(min=0, max=10_000, message=_l("0以上の数字で入力してください。"))])
    place = StringField(_l("場所"), filters=[strip], validators=[_max(200)])
    schedule_slots = Checkboxes(_l("活動する曜日と時間帯"), coerce=str)
    schedule_dates = Days(_l("活動する日"), description=_l("決まっている日を1行に1日ずつ（例: 2026-05-10）。"
                                                          "最大50日まで。"))
    schedule_note = StringField(_l("日時の目安"), description=_l("例: 毎月第2土曜日の午前"),
                                filters=[strip], validators=[_max(300)])
    budget_total = _yen(_l("事業費の総額（円）"))
    budget_city = _yen(_l("うち市の負担（円）"))
    budget_partner = _yen(_l("うちパートナーの負担（円）"))
    budget_note = _text(_l("収支の補足"), 2000)

    def set_choices(self, choices):
        self.field_codes.choices = [SelectChoice(f.code, f.label) for f in choices.fields]
        self.district_ids.choices = [SelectChoice(d.id, d.name) for a in choices.areas for d in a.districts]
        self.skill_ids.choices = [SelectChoice(k.id, k.name) for c in choices.skill_categories for k in c.skills]
        self.schedule_slots.choices = [SelectChoice(slot, slot) for slot in SLOTS]
        return choices

    def values(self) -> dict:
        data = {name: f.data for name, f in self._fields.items() if name != "csrf_token"}
        data["needed_individuals"] = data.get("needed_individuals") or 0
        data["needed_groups"] = data.get("needed_groups") or 0
        data["domain"] = data.get("domain") or None
        data["method"] = data.get("method") or None
        return data


class TransitionForm(FlaskForm):
    target = StringField(validators=[DataRequired(_l("操作を選んでください。"))])
    comment = TextAreaField(_l("理由・コメント"), filters=[strip], validators=[_max(2000)])


def field_labels() -> dict[str, str]:
    """{recorded field: its label}, for revision records and notices (the link fields under their record names)."""
    form = ProjectForm(meta={"csrf": False}, formdata=None)
    labels = {name: str(f.label.text) for name, f in form._fields.items()}
    labels.update(fields=labels.pop("field_codes"), districts=labels.pop("district_ids"),
                  skills=labels.pop("skill_ids"), agreement=str(_l("協定の確認（もう一度確認が必要になりました）")))
    return labels
