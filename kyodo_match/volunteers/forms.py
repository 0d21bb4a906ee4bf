"""The volunteer profile editor: Japanese input rules (NFKC first), messages in Japanese."""

from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, FieldList, Form, FormField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from ..i18n import JST
from ..models import SLOTS, TRAVEL_MODES, utcnow
from ..validation import Cleaned, clean_email, clean_kana, clean_phone, clean_postal_code
from . import services

BIO_MAX = 1000


def normalise_text(value: str | None) -> str | None:
    """NFKC and surrounding spaces removed (full-width letters and digits become ordinary ones)."""
    return unicodedata.normalize("NFKC", value).strip() if isinstance(value, str) else value


def no_control_characters(form, field) -> None:
    if any(unicodedata.category(ch) == "Cc" and ch not in "\r\n\t" for ch in field.data or ""):
        raise ValidationError(_l("使えない文字が含まれています。"))


def clean_year(value: str | None, lowest: int, message) -> int | None:
    """A Western year typed with any width of digits (２０２４ → 2024); None when blank."""
    text = unicodedata.normalize("NFKC", value or "").strip().removesuffix("年").removesuffix("年度")
    if not text:
        return None
    if not re.fullmatch(r"[0-9]{4}", text) or not lowest <= int(text) <= utcnow().astimezone(JST).year + 1:
        raise ValidationError(message)
    return int(text)


class YearField(StringField):
    """A 4-digit year; the cleaned value is an int (or None) in ``year``."""

    def __init__(self, label=None, lowest: int = 1950, message=None, **kwargs):
        super().__init__(label, **kwargs)
        self.lowest = lowest
        self.message = message or _l("年は西暦4桁で入力してください（例: 2024）。")
        self.year = None

    def pre_validate(self, form) -> None:
        self.year = clean_year(self.data, self.lowest, self.message)


class ChoiceListField(Field):
    """Repeated checkbox values (``?skills=3&skills=5``): only the expected ones are kept, odd values dropped.

    ``kind`` is ``int`` for ids, or a tuple of allowed codes.
    """

    def __init__(self, label=None, kind=int, limit: int = 200, **kwargs):
        super().__init__(label, **kwargs)
        self.kind, self.limit = kind, limit

    def process_formdata(self, valuelist) -> None:
        values = valuelist[: self.limit]
        if self.kind is int:
            self.data = list(dict.fromkeys(int(v) for v in values if v.isdigit() and len(v) < 10))
        else:
            self.data = list(dict.fromkeys(v for v in values if v in self.kind))

    def process_data(self, value) -> None:
        self.data = list(value or [])

    def _value(self) -> str:
        return ""


class QualificationForm(Form):
    """資格: name and the year obtained."""

    name = StringField(_l("資格の名前"), filters=[normalise_text], validators=[
        Optional(), Length(max=60, message=_l("60文字以内で入力してください。")), no_control_characters])
    year = YearField(_l("取得した年"), message=_l("取得した年は西暦4桁で入力してください（例: 2018）。"))


def _length(n: int):
    return Length(max=n, message=_l("%(max)d文字以内で入力してください。"))


class ProfileForm(FlaskForm):
    # 基本情報
    display_name = StringField(
        _l("表示名（公開）"), description=_l("人材バンクに表示される名前です。ニックネームでもかまいません。"),
        filters=[normalise_text],
        validators=[DataRequired(_l("表示名を入力してください。")), _length(60), no_control_characters])
    real_name = StringField(
        _l("氏名（非公開）"), description=_l("市民活動センターだけが見ます。"), filters=[normalise_text],
        validators=[DataRequired(_l("氏名を入力してください。")), _length(60), no_control_characters])
    real_name_kana = StringField(
        _l("ふりがな（非公開）"), description=_l("ひらがなかカタカナで入力してください（例: せき たろう）。"),
        validators=[Length(max=60, message=_l("60文字以内で入力してください。")), Cleaned(clean_kana)])
    is_minor = BooleanField(_l("18歳未満です"))
    guardian_name = StringField(
        _l("保護者の氏名"), description=_l("18歳未満の方は、保護者の方の氏名を入力してください。"),
        filters=[normalise_text], validators=[_length(60), no_control_characters])
    guardian_consent = BooleanField(_l("保護者がこの登録に同意しています"))
    # 連絡先（非公開）
    contact_email = StringField(
        _l("連絡用メールアドレス"), description=_l("例: seki.taro@example.jp"),
        validators=[Length(max=254, message=_l("254文字以内で入力してください。")), Cleaned(clean_email)])
    phone = StringField(_l("電話番号"), description=_l("例: 0575-22-3131（全角でも入力できます）"),
                        validators=[Length(max=20, message=_l("20文字以内で入力してください。")), Cleaned(clean_phone)])
    postal_code = StringField(_l("郵便番号"), description=_l("例: 501-3894"),
                              validators=[Length(max=10, message=_l("10文字以内で入力してください。")),
                                          Cleaned(clean_postal_code)])
    # 活動できる地域
    home_district = ChoiceListField(_l("住んでいる地域（地域委員会）"), limit=1)
    districts = ChoiceListField(_l("活動できる地域"))
    # 得意なこと
    skills = ChoiceListField(_l("得意なこと"))
    free_tags = StringField(
        _l("そのほかのキーワード"),
        description=_l("一覧にないことは、読点（、）かカンマで区切って入力してください（10個まで、1つ20文字以内）。"),
        validators=[Length(max=400, message=_l("400文字以内で入力してください。")), no_control_characters])
    # 資格
    qualifications = FieldList(FormField(QualificationForm), min_entries=2, max_entries=services.MAX_QUALIFICATIONS)
    # 関心のある分野
    fields = ChoiceListField(_l("関心のある分野"))
    # 活動できる時間
    availability = ChoiceListField(_l("活動できる時間"), kind=SLOTS, limit=len(SLOTS))
    availability_note = StringField(
        _l("時間についての補足"), description=_l("例: 第2・第4土曜日は不可、夏休みは平日も可"),
        filters=[normalise_text], validators=[_length(200), no_control_characters])
    # 移動手段
    travel_modes = ChoiceListField(_l("移動手段"), kind=TRAVEL_MODES, limit=len(TRAVEL_MODES))
    # ボランティア保険
    has_insurance = BooleanField(_l("ボランティア保険に加入しています"))
    insurance_fiscal_year = YearField(_l("加入している年度"), lowest=2000,
                                      description=_l("西暦で入力してください（例: 2026）。"),
                                      message=_l("年度は西暦4桁で入力してください（例: 2026）。"))
    # 自己紹介
    bio = TextAreaField(_l("自己紹介（非公開）"), description=_l("市民活動センターのコーディネーターが見ます。"),
                        filters=[normalise_text], validators=[_length(BIO_MAX), no_control_characters])
    # 公開設定
    public_card = BooleanField(_l("人材バンクに公開する（表示名・得意なこと・地域・分野だけが公開されます）"))
    consent = BooleanField(_l("個人情報の取扱いについて確認し、同意します"))

    def validate_free_tags(self, field) -> None:
        try:
            self.tags = services.parse_free_tags(field.data)
        except ValueError as e:
            raise ValidationError(str(e)) from e

    def validate_guardian_name(self, field) -> None:
        if self.is_minor.data and not (field.data or "").strip():
            raise ValidationError(_l("18歳未満の方は、保護者の氏名を入力してください。"))

    def validate_guardian_consent(self, field) -> None:
        if self.is_minor.data and not field.data:
            raise ValidationError(_l("18歳未満の方は、保護者の同意が必要です。"))

    def validate_insurance_fiscal_year(self, field) -> None:
        if self.has_insurance.data and field.year is None and not field.errors:
            raise ValidationError(_l("加入しているボランティア保険の年度を入力してください。"))

    def cleaned(self) -> dict:
        """The data for :func:`services.save_profile`."""
        home = self.home_district.data
        return {
            "display_name": self.display_name.data, "real_name": self.real_name.data,
            "real_name_kana": self.real_name_kana.data, "is_minor": self.is_minor.data,
            "guardian_name": self.guardian_name.data, "guardian_consent": self.guardian_consent.data,
            "contact_email": self.contact_email.data, "phone": self.phone.data,
            "postal_code": self.postal_code.data, "home_district_id": home[0] if home else None,
            "district_ids": self.districts.data, "skill_ids": self.skills.data,
            "free_tags": services.parse_free_tags(self.free_tags.data),
            "qualifications": [{"name": q.form.name.data, "year": q.form.year.year} for q in self.qualifications],
            "field_codes": self.fields.data, "availability": self.availability.data,
            "availability_note": self.availability_note.data, "travel_modes": self.travel_modes.data,
            "has_insurance": self.has_insurance.data, "insurance_fiscal_year": self.insurance_fiscal_year.year,
            "bio": self.bio.data, "public_card": self.public_card.data, "consent": self.consent.data,
        }


def form_for(profile, user, formdata=None) -> ProfileForm:
    """The editor filled from the saved profile (GET), or from what was posted."""
    if formdata is not None:
        return ProfileForm(formdata=formdata)
    form = ProfileForm(
        formdata=None, display_name=user.display_name, real_name=profile.real_name,
        real_name_kana=profile.real_name_kana, is_minor=profile.is_minor, guardian_name=profile.guardian_name,
        guardian_consent=profile.guardian_consent_at is not None, contact_email=profile.contact_email,
        phone=profile.phone, postal_code=profile.postal_code,
        home_district=[profile.home_district_id] if profile.home_district_id else [],
        districts=[d.id for d in profile.districts], skills=[s.id for s in profile.skills],
        free_tags="、".join(profile.free_tags or []), fields=[f.code for f in profile.fields],
        availability=list(profile.availability or []), availability_note=profile.availability_note,
        travel_modes=list(profile.travel_modes or []), has_insurance=profile.has_insurance,
        insurance_fiscal_year=str(profile.insurance_fiscal_year or ""), bio=profile.bio,
        public_card=profile.public_card,
        qualifications=[{"name": q.name, "year": str(q.year or "")} for q in profile.qualifications],
    )
    while len(form.qualifications) < min(len(profile.qualifications) + 2, services.MAX_QUALIFICATIONS):
        form.qualifications.append_entry()
    return form
