"""The section form (区間の登録・編集); the GeoJSON itself is checked by sections.parse_geometry."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from ..formfields import Number, id_or_none, strip
from .sections import KIND_LABELS, MAX_GEOJSON_CHARS, MAX_METRES, STATUS_LABELS


def _max(n: int) -> Length:
    return Length(max=n, message=_l("%(max)d文字以内で入力してください。"))


def _metres(label, description):
    return Number(label, description=description, validators=[
        Optional(), NumberRange(min=0, max=MAX_METRES, message=_l("0以上の数で入力してください。"))])


class SectionForm(FlaskForm):
    name = StringField(_l("区間の名前"), filters=[strip], validators=[
        DataRequired(message=_l("区間の名前を入力してください。")), _max(120)])
    kind = RadioField(_l("種類"), choices=[SelectChoice(k, v) for k, v in KIND_LABELS.items()], default="road",
                      validators=[InputRequired(message=_l("種類を選んでください。"))])
    district_id = SelectField(_l("地域（地域委員会）"), coerce=id_or_none, validate_choice=True)
    department_id = SelectField(_l("担当課"), coerce=id_or_none,
                                validators=[DataRequired(message=_l("担当課を選んでください。"))])
    description = TextAreaField(_l("区間の説明"), filters=[strip], validators=[_max(4000)],
                                description=_l("どんな場所か、活動の内容や注意することなど。"))
    start_point = StringField(_l("起点（…から）"), filters=[strip], validators=[_max(200)],
                              description=_l("例: 関市役所前交差点"))
    end_point = StringField(_l("終点（…まで）"), filters=[strip], validators=[_max(200)],
                            description=_l("例: 安桜山公園入口"))
    geometry_text = TextAreaField(_l("地図の形（GeoJSON）"), filters=[strip], validators=[_max(MAX_GEOJSON_CHARS)],
                                  description=_l("線（LineString）か面（Polygon）のGeoJSON。座標は [経度, 緯度] の順、"
                                                 "2,000点まで。わからなければ空欄で保存できます。"))
    length_m = _metres(_l("延長（m）"), _l("道路や河川の長さ。メートル単位の整数。"))
    area_m2 = _metres(_l("面積（㎡）"), _l("公園などの広さ。平方メートル単位の整数。"))
    min_activities_per_year = Number(_l("年間の最低活動回数"), default=4, validators=[
        InputRequired(message=_l("年間の最低活動回数を入力してください。")),
        NumberRange(min=1, max=365, message=_l("年1回以上、365回以下にしてください。"))])
    status = SelectField(_l("状態"), choices=[SelectChoice(k, v) for k, v in STATUS_LABELS.items()], default="open")

    def set_choices(self, choices: dict, *, choose_department: bool) -> None:
        self.district_id.choices = [SelectChoice(None, _l("指定しない"))] + [
            SelectChoice(d.id, d.name) for d in choices["districts"]]
        if choose_department:
            self.department_id.choices = [SelectChoice(None, _l("選んでください"))] + [
                SelectChoice(d.id, d.name) for d in choices["departments"]]
        else:
            del self.department_id

    def values(self) -> dict:
        return {name: self[name].data for name in (
            "name", "kind", "district_id", "description", "start_point", "end_point", "geometry_text", "length_m",
            "area_m2", "min_activities_per_year", "status")}
