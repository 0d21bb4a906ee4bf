"""Forms for the coordinator's desk: list filters (from the URL), consultation records, the step-up stage."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from ..formfields import id_or_none, strip
from ..i18n import today_jst
from ..labels import GROUP_STATUS_LABELS, GROUP_TYPE_LABELS, STAGE_LABELS
from .services import EXPIRY_LABELS, GroupFilters, PeopleFilters

ALL = _l("すべて")
BAD_CHOICE = _l("一覧から選んでください。")




def _choices(labels: dict) -> list[SelectChoice]:
    return [SelectChoice("", ALL), *(SelectChoice(value, label) for value, label in labels.items())]


class _Filters(FlaskForm):
    """Filters read from the query string (GET, no CSRF); an invalid value is ignored and explained."""

    class Meta:
        csrf = False

    q = StringField(_l("名前・ふりがなで探す"), filters=[strip], validators=[
        Optional(), Length(max=100, message=_l("100文字以内で入力してください。"))])
    district = SelectField(_l("地域"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE)
    field = SelectField(_l("活動分野"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE)
    stage = SelectField(_l("ステップアップ段階"), default="", invalid_choice_message=BAD_CHOICE,
                        choices=_choices(STAGE_LABELS))

    def __init__(self, *args, districts=(), fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.district.choices = [SelectChoice("", ALL)] + [SelectChoice(d.id, d.name) for d in districts]
        self.field.choices = [SelectChoice("", ALL)] + [SelectChoice(f.code, f.label) for f in fields]

    def valid(self, name: str):
        """A filter's value if it passed validation, else the empty value."""
        return self[name].data if not self[name].errors and self[name].data else None


class PeopleFilterForm(_Filters):
    expiry = SelectField(_l("登録の有効期限"), default="", invalid_choice_message=BAD_CHOICE,
                         choices=_choices(EXPIRY_LABELS))

    def filters(self) -> PeopleFilters:
        return PeopleFilters(q=self.valid("q") or "", district=self.valid("district"), field=self.valid("field"),
                             stage=self.valid("stage") or "", expiry=self.valid("expiry") or "")


class GroupFilterForm(_Filters):
    q = StringField(_l("団体名・ふりがな・代表者名で探す"), filters=[strip], validators=[
        Optional(), Length(max=100, message=_l("100文字以内で入力してください。"))])
    status = SelectField(_l("状態"), default="", invalid_choice_message=BAD_CHOICE,
                         choices=_choices(GROUP_STATUS_LABELS))
    group_type = SelectField(_l("種別"), default="", invalid_choice_message=BAD_CHOICE,
                             choices=_choices(GROUP_TYPE_LABELS))

    def filters(self) -> GroupFilters:
        return GroupFilters(q=self.valid("q") or "", status=self.valid("status") or "",
                            group_type=self.valid("group_type") or "", district=self.valid("district"),
                            field=self.valid("field"), stage=self.valid("stage") or "")


class ConsultationForm(FlaskForm):
    """相談記録: when, about what, what was said, what happens next."""

    held_on = DateField(_l("相談日"), default=today_jst, validators=[InputRequired(_l("相談日を入力してください。"))])
    topic = StringField(_l("相談の内容（件名）"), filters=[strip], description=_l("例: 子ども食堂の立ち上げについて"),
                        validators=[InputRequired(_l("相談の内容を入力してください。")),
                                    Length(max=120, message=_l("120文字以内で入力してください。"))])
    notes = TextAreaField(_l("記録"), filters=[strip], validators=[
        Length(max=4000, message=_l("4000文字以内で入力してください。"))])
    next_step = StringField(_l("次の対応"), filters=[strip], description=_l("例: 助成金の説明会（来月）を案内する"),
                            validators=[Length(max=300, message=_l("300文字以内で入力してください。"))])

    def validate_held_on(self, field):
        if field.data and field.data > today_jst():
            raise ValidationError(_l("相談日に未来の日付は入力できません。"))

    def validate_topic(self, field):
        if not field.data:
            raise ValidationError(_l("相談の内容を入力してください。"))


class StageForm(FlaskForm):
    """ステップアップ段階: 相談 → 助成 → 協働事業, forward or back."""

    stage = RadioField(_l("ステップアップ段階"), invalid_choice_message=BAD_CHOICE,
                       choices=[SelectChoice(value, label) for value, label in STAGE_LABELS.items()],
                       validators=[InputRequired(_l("段階を選んでください。"))])
    note = TextAreaField(_l("メモ"), filters=[strip],
                         description=_l("変更のきっかけや理由。段階を戻すときは必ず書いてください。相談記録に残ります。"),
                         validators=[Length(max=1000, message=_l("1000文字以内で入力してください。"))])
