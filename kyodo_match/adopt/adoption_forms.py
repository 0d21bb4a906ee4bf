"""Forms of the adoption: applying for a section, one step of the approval, the agreement, a change record."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..formfields import Checkboxes, Number, strip
from .adoption import ACTIVITIES, LOCAL_TIES
from .agreements import CHANGE_DETAIL_FIELDS, CHANGE_LABELS, CITY_DUTIES, GROUP_DUTIES


def choices(mapping: dict) -> list[SelectChoice]:
    return [SelectChoice(k, v) for k, v in mapping.items()]


YES_NO = choices({"yes": _l("はい"), "no": _l("いいえ")})


def _max(n: int) -> Length:
    return Length(max=n, message=_l("%(max)d文字以内で入力してください。"))


def _required(what) -> DataRequired:
    return DataRequired(message=_l("%(what)sを入力してください。", what=what))


class ApplyForm(FlaskForm):
    """里親に申請する: which group, the plan, times per year, members, insurance, the tie to Seki, two promises."""

    group_id = RadioField(_l("申請する団体"), coerce=int, choices=[],
                          validators=[InputRequired(message=_l("申請する団体を選んでください。"))])
    activities = Checkboxes(_l("行う活動"), choices=choices(ACTIVITIES),
                            validators=[DataRequired(message=_l("行う活動を1つ以上選んでください。"))])
    plan = TextAreaField(_l("活動の計画"), filters=[strip], validators=[_required(_l("活動の計画")), _max(2000)],
                         description=_l("いつ頃、どのくらいの人数で、何をするか。2000文字まで。"))
    times_per_year = Number(_l("年間の活動回数"), validators=[
        InputRequired(message=_l("年間の活動回数を入力してください。")),
        NumberRange(min=1, max=365, message=_l("1から365までの数で入力してください。"))])
    members_count = Number(_l("参加する人数（おおよそ）"), validators=[
        InputRequired(message=_l("参加する人数を入力してください。")),
        NumberRange(min=1, max=10000, message=_l("1以上の数で入力してください。"))])
    has_insurance = RadioField(_l("ボランティア保険に加入していますか"), choices=YES_NO,
                               validators=[InputRequired(message=_l("保険について選んでください。"))],
                               description=_l("加入していることが申請の条件です。"))
    local_tie = RadioField(_l("関市とのかかわり"), choices=choices(LOCAL_TIES),
                           validators=[InputRequired(message=_l("関市とのかかわりを選んでください。"))],
                           description=_l("団体のおもなメンバーについて選んでください。"))
    commitment = BooleanField(_l("1年以上続けて活動します"),
                              validators=[DataRequired(message=_l("1年以上続けることが里親の条件です。"))])
    open_to_all = BooleanField(_l("誰でも参加でき、営利を目的としない活動です"),
                               validators=[DataRequired(message=_l("誰でも参加できる非営利の活動であることが条件です。"))])

    def setup(self, groups) -> ApplyForm:
        self.group_id.choices = [SelectChoice(g.id, g.name) for g in groups]
        if self.group_id.data is None and len(groups) == 1:
            self.group_id.data = groups[0].id
        return self

    def values(self) -> dict:
        return {"activities": list(self.activities.data or ()), "plan": self.plan.data or "",
                "times_per_year": self.times_per_year.data, "members_count": self.members_count.data,
                "has_insurance": self.has_insurance.data == "yes", "local_tie": self.local_tie.data}


class StepForm(FlaskForm):
    """One step of an application (``action`` of adoption.STEPS) and, to decline, the reason shown to the group."""

    action = HiddenField()
    reason = TextAreaField(_l("理由"), filters=[strip], validators=[_max(2000)])


class AgreementForm(FlaskForm):
    """合意書を作成する: the period, renewal, each side's duties, the sign board and the contact person."""

    starts_on = DateField(_l("活動の開始日"), validators=[InputRequired(message=_l("開始日を入力してください。"))])
    ends_on = DateField(_l("活動の終了日"), validators=[InputRequired(message=_l("終了日を入力してください。"))],
                        description=_l("開始日から1年以上あとの日にしてください。"))
    auto_renew = BooleanField(_l("期間が終わったら自動で更新する（どちらからも申し出がない場合）"), default=True)
    group_duties = TextAreaField(_l("里親（団体）の役割"), filters=[strip],
                                 validators=[_required(_l("里親の役割")), _max(4000)], default=GROUP_DUTIES)
    city_duties = TextAreaField(_l("市の支援"), filters=[strip], validators=[_required(_l("市の支援")), _max(4000)],
                                default=CITY_DUTIES)
    sign_text = StringField(_l("表示板の文言"), filters=[strip], validators=[_max(100)],
                            description=_l("区間に設置する表示板に書く文言。100文字まで。"))
    sign_approved = BooleanField(_l("表示板の文言を担当課として承認する"))
    contact_name = StringField(_l("連絡担当者の氏名"), filters=[strip],
                               validators=[_required(_l("連絡担当者の氏名")), _max(60)],
                               description=_l("公開されません。団体の代表者、担当課、市民活動センターだけが見られます。"))
    contact_phone = StringField(_l("連絡担当者の電話番号"), filters=[strip],
                                validators=[_required(_l("電話番号")), _max(20)],
                                description=_l("公開されません。例: 0575-22-3131"))

    def values(self) -> dict:
        return {name: getattr(self, name).data for name in (
            "starts_on", "ends_on", "auto_renew", "group_duties", "city_duties", "sign_text", "sign_approved",
            "contact_name", "contact_phone")}


class ChangeForm(FlaskForm):
    """変更届・休止届・再開届・廃止届: the kind, from when, why, and for a 変更届 what changed (old → new)."""

    kind = RadioField(_l("届の種類"), choices=choices(CHANGE_LABELS),
                      validators=[InputRequired(message=_l("届の種類を選んでください。"))])
    effective_on = DateField(_l("いつから"), validators=[InputRequired(message=_l("日付を入力してください。"))])
    reason = TextAreaField(_l("理由"), filters=[strip], validators=[_required(_l("理由")), _max(2000)])
    detail_field = RadioField(_l("変更する項目（変更届のとき）"), choices=choices(CHANGE_DETAIL_FIELDS),
                              validators=[Optional()])
    old_value = StringField(_l("変更前"), filters=[strip], validators=[_max(100)])
    new_value = StringField(_l("変更後"), filters=[strip], validators=[_max(100)])

    def validate_new_value(self, field):
        if self.kind.data == "change" and (not field.data or not self.detail_field.data):
            raise ValidationError(_l("変更届では、変更する項目と変更後の内容を入力してください。"))

    def details(self) -> dict:
        if self.kind.data != "change":
            return {}
        return {self.detail_field.data: [self.old_value.data or "", self.new_value.data or ""]}
