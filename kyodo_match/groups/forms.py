"""Forms for civic groups: the profile, an invitation, a status change (messages in Japanese)."""

from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from ..formfields import Checkboxes, Number, strip
from ..labels import GROUP_TYPE_LABELS
from ..models import SLOTS, GroupStatus
from ..validation import (
    Cleaned,
    clean_corporate_number,
    clean_email,
    clean_kana,
    clean_phone,
    clean_postal_code,
    clean_url,
    nfkc,
)
from .services import CORPORATE_TYPES

FIRST_YEAR = 1868


def _max(n: int) -> Length:
    return Length(max=n, message=_l("%(max)d文字以内で入力してください。"))


class GroupForm(FlaskForm):
    name = StringField(_l("団体名"), filters=[strip], validators=[
        DataRequired(_l("団体名を入力してください。")), _max(100)])
    name_kana = StringField(_l("団体名のふりがな"), description=_l("ひらがなかカタカナで入力してください。"),
                            validators=[Cleaned(clean_kana), _max(100)])
    group_type = RadioField(
        _l("団体の種類"),
        choices=[SelectChoice(value, label) for value, label in GROUP_TYPE_LABELS.items()],
        validators=[DataRequired(_l("団体の種類を選んでください。"))])
    corporate_number = StringField(
        _l("法人番号（13桁）"),
        description=_l("NPO法人と企業は必須です。全角の数字やハイフンで入力してもかまいません。"))
    representative_name = StringField(_l("代表者名"), filters=[strip], validators=[_max(60)])
    members_count = Number(_l("会員数"), validators=[
        Optional(), NumberRange(min=1, max=1_000_000, message=_l("会員数は1以上の数字で入力してください。"))])
    founded_year = Number(_l("設立年（西暦）"), description=_l("例: 2010"), validators=[Optional()])
    field_codes = Checkboxes(_l("活動分野"), coerce=int)
    district_ids = Checkboxes(_l("活動している地域"), coerce=int)
    skill_ids = Checkboxes(_l("提供できること（技能）"), coerce=int)
    equipment = TextAreaField(_l("貸し出せる物品"), description=_l("例: テント2張、草刈機3台、長机10台"),
                              filters=[strip], validators=[_max(2000)])
    facilities = TextAreaField(_l("利用してもらえる施設"), description=_l("例: 公民館の会議室（30人）"),
                               filters=[strip], validators=[_max(2000)])
    availability = Checkboxes(_l("活動できる曜日・時間帯"), choices=[SelectChoice(s, s) for s in SLOTS])
    availability_note = StringField(_l("活動日時の補足"), filters=[strip], validators=[_max(200)])
    description = TextAreaField(_l("団体の紹介"), filters=[strip], validators=[_max(4000)])
    website = StringField(_l("ウェブサイト"), description=_l("http:// か https:// で始まるアドレス"),
                          validators=[Cleaned(clean_url), _max(300)])
    public_contact = StringField(
        _l("公開する連絡先（任意）"),
        description=_l("団体の一覧に表示されます。公開してよい連絡先だけを入力してください。"),
        filters=[strip], validators=[_max(200)])
    contact_email = EmailField(_l("連絡用メールアドレス（非公開）"), validators=[Cleaned(clean_email), _max(254)])
    contact_phone = StringField(_l("連絡用電話番号（非公開）"), description=_l("例: 0575-22-3131"),
                                validators=[Cleaned(clean_phone)])
    postal_code = StringField(_l("郵便番号（非公開）"), description=_l("例: 501-3894"),
                              validators=[Cleaned(clean_postal_code)])
    address = StringField(_l("所在地（非公開）"), filters=[strip], validators=[_max(200)])

    def validate_corporate_number(self, field):
        if self.group_type.data not in CORPORATE_TYPES:
            field.data = None  # other types have no 法人番号
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("NPO法人と企業は、法人番号（13桁）を入力してください。"))
        try:
            field.data = clean_corporate_number(field.data)
        except ValueError as e:
            raise ValidationError(str(e)) from e

    def validate_founded_year(self, field):
        if field.data is not None and not FIRST_YEAR <= field.data <= date.today().year:
            raise ValidationError(_l("設立年は西暦4桁で入力してください（例: 2010）。"))

    def validate_contact_email(self, field):
        if not field.data and not (self.contact_phone.data or "").strip():
            raise ValidationError(_l("市民活動センターからの連絡用に、メールアドレスか電話番号を入力してください。"))

    def set_choices(self, choices):
        """Offer the reference data (``services.ProfileChoices``) as the checkbox choices; returns it."""
        self.field_codes.choices = [SelectChoice(f.code, f.label) for f in choices.fields]
        self.district_ids.choices = [SelectChoice(d.id, d.name) for a in choices.areas for d in a.districts]
        self.skill_ids.choices = [SelectChoice(s.id, s.name) for c in choices.categories for s in c.skills]
        return choices

    def values(self) -> dict:
        """The cleaned values as the services expect them."""
        return {name: f.data for name, f in self._fields.items() if name != "csrf_token"}


class InviteForm(FlaskForm):
    email = EmailField(_l("招待する方のメールアドレス"), filters=[nfkc], validators=[
        DataRequired(_l("メールアドレスを入力してください。")), Cleaned(clean_email), _max(254)])


class StatusForm(FlaskForm):
    target = RadioField(choices=[SelectChoice(s.value, s.value) for s in GroupStatus],
                        validators=[DataRequired(_l("操作を選んでください。"))])
    reason = StringField(_l("理由（休止・停止のときは必須）"), filters=[strip], validators=[_max(300)])
