"""Forms of 1課1ボランティア: the activity (times entered in Japan time, stored in UTC), calling it off, attendance."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange
from wtforms.widgets import TimeInput

from ..formfields import Number, id_or_none, strip
from ..i18n import JST
from ..projects.forms import Day
from ..validation import nfkc
from .activities import AUDIENCE_LABELS, MAX_CAPACITY, PARTICIPATION_LABELS


def _max(n: int) -> Length:
    return Length(max=n, message=_l("%(max)d文字以内で入力してください。"))


class Clock(StringField):
    """A time of day (HH:MM, the browser's time picker; typed full-width digits accepted)."""

    widget = TimeInput()

    def _value(self):
        return self.data.strftime("%H:%M") if isinstance(self.data, time) else (self.raw_data or [""])[0]

    def process_formdata(self, valuelist):
        raw = nfkc(valuelist[0]).strip() if valuelist and valuelist[0] else ""
        self.data = None
        if not raw:
            return
        match = re.fullmatch(r"([01]?\d|2[0-3])[:：]([0-5]\d)", raw)
        if not match:
            raise ValueError(_l("時刻は「09:30」の形で入力してください。"))
        self.data = time(int(match.group(1)), int(match.group(2)))


def _at(day, clock) -> datetime | None:
    """A Japan-time day and time as a UTC instant."""
    if day is None or clock is None:
        return None
    return datetime.combine(day, clock, tzinfo=JST).astimezone(UTC)


def _required(message):
    return [InputRequired(message=message)]


class ActivityForm(FlaskForm):
    title = StringField(_l("活動の名前"), filters=[strip], validators=[
        DataRequired(message=_l("活動の名前を入力してください。")), _max(120)],
        description=_l("例: 長良川河川敷の清掃活動"))
    description = TextAreaField(_l("活動の説明"), filters=[strip], validators=[_max(4000)],
                                description=_l("何をするのか、服装や雨天時の扱いなど、参加する人が知りたいこと。"))
    day = Day(_l("活動日"), validators=_required(_l("活動日を入力してください。")))
    start_time = Clock(_l("開始時刻"), validators=_required(_l("開始時刻を入力してください。")))
    end_time = Clock(_l("終了時刻"), validators=_required(_l("終了時刻を入力してください。")))
    place = StringField(_l("活動場所"), filters=[strip], validators=[
        DataRequired(message=_l("活動場所を入力してください。")), _max(200)],
        description=_l("例: 長良川河川敷（千年橋付近）"))
    meeting_point = StringField(_l("集合場所"), filters=[strip], validators=[_max(200)],
                                description=_l("例: 市役所本庁舎 正面玄関前 8時45分集合"))
    bring = TextAreaField(_l("持ち物"), filters=[strip], validators=[_max(500)],
                          description=_l("例: 軍手、帽子、飲み物。市で用意するものも書いておくと安心です。"))
    capacity = Number(_l("定員（人）"), default=10, validators=[
        InputRequired(message=_l("定員を入力してください。")),
        NumberRange(min=1, max=MAX_CAPACITY, message=_l("定員は1人から%(max)s人までで入力してください。"))])
    deadline_day = Day(_l("申込締切日"), validators=_required(_l("申込締切日を入力してください。")))
    deadline_time = Clock(_l("申込締切の時刻"), default=time(17, 0),
                          validators=_required(_l("申込締切の時刻を入力してください。")))
    audience = RadioField(_l("申し込める人"), choices=[SelectChoice(k, v) for k, v in AUDIENCE_LABELS.items()],
                          default="all", validators=[InputRequired(message=_l("申し込める人を選んでください。"))])
    participation = RadioField(_l("参加の形"), default="individual",
                               choices=[SelectChoice(k, v) for k, v in PARTICIPATION_LABELS.items()],
                               validators=[InputRequired(message=_l("参加の形を選んでください。"))])
    adopt_section_id = SelectField(_l("関係するアダプト区間"), coerce=id_or_none, validate_choice=True,
                                   description=_l("里親の区間での活動なら選んでください（任意）。"))
    project_id = SelectField(_l("関係する協働事業"), coerce=id_or_none, validate_choice=True,
                             description=_l("地域課題・協働事業に関わる活動なら選んでください（任意）。"))

    def set_choices(self, sections, projects) -> None:
        self.adopt_section_id.choices = [SelectChoice(None, _l("なし"))] + [SelectChoice(s.id, s.name)
                                                                           for s in sections]
        self.project_id.choices = [SelectChoice(None, _l("なし"))] + [SelectChoice(p.id, p.title) for p in projects]

    @classmethod
    def for_activity(cls, activity):
        starts, ends, deadline = (t.astimezone(JST) for t in (activity.starts_at, activity.ends_at,
                                                               activity.signup_deadline))
        return cls(data={
            "title": activity.title, "description": activity.description, "day": starts.date(),
            "start_time": starts.time(), "end_time": ends.time(), "place": activity.place,
            "meeting_point": activity.meeting_point, "bring": activity.bring, "capacity": activity.capacity,
            "deadline_day": deadline.date(), "deadline_time": deadline.time(), "audience": activity.audience,
            "participation": activity.participation, "adopt_section_id": activity.adopt_section_id,
            "project_id": activity.project_id})

    def values(self) -> dict:
        return {
            "title": self.title.data, "description": self.description.data or "",
            "starts_at": _at(self.day.data, self.start_time.data), "ends_at": _at(self.day.data, self.end_time.data),
            "place": self.place.data, "meeting_point": self.meeting_point.data or "", "bring": self.bring.data or "",
            "capacity": self.capacity.data, "signup_deadline": _at(self.deadline_day.data, self.deadline_time.data),
            "audience": self.audience.data, "participation": self.participation.data,
            "adopt_section_id": self.adopt_section_id.data, "project_id": self.project_id.data,
        }


class CancelActivityForm(FlaskForm):
    reason = TextAreaField(_l("中止の理由"), filters=[strip], validators=[
        DataRequired(message=_l("中止の理由を入力してください。申し込んだ職員に伝わります。")), _max(500)],
        description=_l("例: 雨天のため中止します。"))
