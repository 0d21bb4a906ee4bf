"""Forms for proposals: the proposal itself, routing to a department, accepting and declining."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from ..formfields import Checkboxes, id_or_none, strip
from ..models import Role


def _max(n: int) -> Length:
    return Length(max=n, message=_l("%(max)d文字以内で入力してください。"))


def _text(label, description=None, required=None, n=4000):
    validators = [DataRequired(required)] if required else []
    return TextAreaField(label, description=description, filters=[strip], validators=[*validators, _max(n)])


class ProposalForm(FlaskForm):
    # The service decides whether the chosen group may propose: a forged or unverified one gets a clear message.
    group_id = SelectField(_l("だれとして提案しますか"), coerce=id_or_none, choices=[], validate_choice=False)
    title = StringField(_l("提案の題名"), description=_l("例: 河川敷の草刈りを地域の団体で引き受けたい"),
                        filters=[strip], validators=[DataRequired(_l("題名を入力してください。")), _max(120)])
    problem = _text(_l("どんな地域課題か"), _l("困っていること、気になっていることを、わかる範囲で書いてください。"),
                    _l("どんな地域課題かを入力してください。"))
    idea = _text(_l("解決のアイデア"), _l("どうすれば良くなるか、どんな事業にしたいかを書いてください。"),
                 _l("解決のアイデアを入力してください。"))
    offer = _text(_l("提案者ができること"), _l("例: 月1回、会員10人で作業できます。草刈機を持っています。"))
    ask = _text(_l("市にお願いしたいこと"), _l("例: ごみの回収、道具の貸し出し、広報への掲載"))
    district_ids = Checkboxes(_l("対象の地域"), coerce=int)

    def set_choices(self, user, verified_groups, areas) -> None:
        """Who may propose as whom: oneself (volunteers) and the verified groups one represents."""
        options = [SelectChoice("", _l("個人として（公開ページでは「市民の方」と表示します）"))] \
            if user.has_role(Role.VOLUNTEER) else []
        options += [SelectChoice(g.id, _l("団体「%(name)s」として", name=g.name)) for g in verified_groups]
        self.group_id.choices = options
        self.district_ids.choices = [SelectChoice(d.id, d.name) for a in areas for d in a.districts]

    def values(self) -> dict:
        return {name: f.data for name, f in self._fields.items() if name != "csrf_token"}


class RouteForm(FlaskForm):
    department_id = SelectField(_l("振り分ける担当課"), coerce=id_or_none, choices=[], validate_choice=False)
    note = StringField(_l("担当課へのメモ（任意）"), filters=[strip], validators=[_max(300)])


class AcceptForm(FlaskForm):
    comment = TextAreaField(_l("採用にあたってのひとこと（任意・公開）"), filters=[strip], validators=[_max(2000)])


class DeclineForm(FlaskForm):
    reason = TextAreaField(_l("不採用の理由（必須・公開）"), filters=[strip], validators=[_max(2000)])
