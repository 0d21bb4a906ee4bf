"""Forms for administration: accounts, audit-log filters and reference data (messages in Japanese)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    IntegerField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from .. import audit
from ..auth.passwords import MAX_LENGTH
from ..auth.services import normalise_email
from ..formfields import id_or_none, strip
from ..labels import ROLE_LABELS
from .services import OUTCOME_LABELS

NAME_REQUIRED = _l("名前を入力してください。")
CHOOSE = _l("選んでください")
BAD_CHOICE = _l("一覧から選んでください。")




class CheckboxListField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _role_choices() -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in ROLE_LABELS.items()]


class UserEditForm(FlaskForm):
    display_name = StringField(_l("表示名"), filters=[strip], validators=[
        DataRequired(_l("表示名を入力してください。")), Length(max=60, message=_l("60文字以内で入力してください。"))])
    roles = CheckboxListField(_l("役割"), invalid_choice_message=BAD_CHOICE,
                              validators=[DataRequired(_l("役割を1つ以上選んでください。"))])
    department_id = SelectField(_l("所属の課"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE,
                                description=_l("市職員の場合は必ず選んでください。"))

    def __init__(self, *args, departments=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.roles.choices = _role_choices()
        self.department_id.choices = [SelectChoice("", CHOOSE)] + [
            SelectChoice(d.id, f"{d.division} {d.name}" if d.division else d.name) for d in departments]

    def validate_department_id(self, field):
        if "staff" in (self.roles.data or []) and not field.data:
            raise ValidationError(_l("市職員には所属の課を選んでください。"))


class UserCreateForm(UserEditForm):
    email = EmailField(_l("メールアドレス"), filters=[normalise_email], validators=[
        DataRequired(_l("メールアドレスを入力してください。")),
        Email(_l("メールアドレスの形式が正しくありません（例: seki.taro@example.jp）。"), check_deliverability=False),
        Length(max=254, message=_l("254文字以内で入力してください。"))])
    password_mode = RadioField(
        _l("パスワードの決め方"),
        choices=[SelectChoice("mail", _l("本人にパスワード設定のメールを送る（おすすめ）")),
                 SelectChoice("typed", _l("ここで最初のパスワードを決める"))],
        default="mail", invalid_choice_message=BAD_CHOICE,
        validators=[InputRequired(_l("パスワードの決め方を選んでください。"))])
    password = PasswordField(_l("最初のパスワード"), validators=[Optional(), Length(max=MAX_LENGTH)],
                             description=_l("「ここで決める」を選んだときだけ入力します。8文字以上。本人に安全な方法で伝えてください。"))

    def validate_password(self, field):
        if self.password_mode.data == "typed" and not field.data:
            raise ValidationError(_l("最初のパスワードを入力してください。"))


class UserFilterForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("名前・メールアドレスで探す"), filters=[strip], validators=[Length(max=100)])
    role = SelectField(_l("役割"), default="", invalid_choice_message=BAD_CHOICE)
    status = SelectField(_l("状態"), default="", invalid_choice_message=BAD_CHOICE, choices=[
        SelectChoice("", _l("すべて")), SelectChoice("active", _l("利用中")), SelectChoice("inactive", _l("停止中"))])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.role.choices = [SelectChoice("", _l("すべて")), *_role_choices()]


class AuditFilterForm(FlaskForm):
    class Meta:
        csrf = False

    action = SelectField(_l("操作"), default="",
                         invalid_choice_message=_l("一覧にない操作です。一覧から選んでください。"))
    outcome = SelectField(_l("結果"), default="", invalid_choice_message=BAD_CHOICE)
    actor = StringField(_l("操作した人のメールアドレス"), filters=[strip], validators=[
        Length(max=254, message=_l("254文字以内で入力してください。"))])
    date_from = DateField(_l("この日から"), validators=[Optional()],
                          invalid_value_message=_l("日付は 2026-04-01 の形で入力してください。"))
    date_to = DateField(_l("この日まで"), validators=[Optional()],
                        invalid_value_message=_l("日付は 2026-04-01 の形で入力してください。"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.action.choices = [SelectChoice("", _l("すべて"))] + [
            SelectChoice(code, label) for code, label in audit.ACTIONS.items()]
        self.outcome.choices = [SelectChoice("", _l("すべて"))] + [
            SelectChoice(code, label) for code, label in OUTCOME_LABELS.items()]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("「この日まで」は「この日から」より後の日付にしてください。"))


# --- Reference data ---------------------------------------------------------------------------------------------

def _name(max_len: int, label) -> StringField:
    return StringField(label, filters=[strip], validators=[
        DataRequired(NAME_REQUIRED), Length(max=max_len, message=_l("%(max)d文字以内で入力してください。"))])


class DistrictForm(FlaskForm):
    name = _name(40, _l("地域委員会の名前"))
    area_id = SelectField(_l("地域"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE,
                          validators=[DataRequired(_l("地域を選んでください。"))])
    active = BooleanField(_l("利用中（選べる一覧に表示する）"), default=True)

    def __init__(self, *args, areas=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.area_id.choices = [SelectChoice("", CHOOSE)] + [SelectChoice(a.id, a.name) for a in areas]


class DistrictImportForm(FlaskForm):
    file = FileField(_l("CSVファイル"), validators=[FileRequired(_l("CSVファイルを選んでください。"))],
                     description=_l("1行に「地域委員会名,地域」。Excelで保存したCSV（Shift_JIS）もUTF-8も使えます。"))


class DepartmentForm(FlaskForm):
    name = _name(60, _l("課の名前"))
    division = StringField(_l("部の名前"), filters=[strip], validators=[
        Length(max=60, message=_l("%(max)d文字以内で入力してください。"))])
    staff_count = IntegerField(
        _l("職員数"), description=_l("1課1ボランティアの参加率を計算するときに使います。"),
        invalid_value_message=_l("職員数は数字で入力してください。"),
        validators=[InputRequired(_l("職員数を入力してください。")),
                    NumberRange(min=0, max=100000, message=_l("職員数は0以上にしてください。"))])
    active = BooleanField(_l("利用中（選べる一覧に表示する）"), default=True)


class ActivityFieldForm(FlaskForm):
    label = _name(40, _l("表示名"))


class SkillCategoryForm(FlaskForm):
    name = _name(40, _l("分類の名前"))


class SkillForm(FlaskForm):
    name = _name(60, _l("スキルの名前"))
    category_id = SelectField(_l("分類"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE,
                              validators=[DataRequired(_l("分類を選んでください。"))])
    active = BooleanField(_l("利用中（選べる一覧に表示する）"), default=True)

    def __init__(self, *args, categories=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.category_id.choices = [SelectChoice("", CHOOSE)] + [SelectChoice(c.id, c.name) for c in categories]
