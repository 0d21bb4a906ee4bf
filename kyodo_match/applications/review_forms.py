"""Forms for the centre's queue filters, invitations, and the attendance sheet (出欠と活動時間)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length

from ..formfields import id_or_none, parse_hours, strip
from ..models import Application
from ..validation import nfkc
from .attendance import hours
from .flow import STATUS_LABELS
from .review import AGES, QUEUE_STATUSES, QueueFilters
from .services import MESSAGE_MAX

ALL = _l("すべて")
BAD_CHOICE = _l("一覧から選んでください。")
NOTE_MAX = 300
MAX_PARTICIPANTS = 999


class QueueFilterForm(FlaskForm):
    """The queue's filters, read from the query string (GET, no CSRF); an invalid value is ignored and explained."""

    class Meta:
        csrf = False

    status = SelectField(_l("状態"), default="", invalid_choice_message=BAD_CHOICE)
    department = SelectField(_l("担当課"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE)
    district = SelectField(_l("地域"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE,
                           description=_l("市内全域の事業は、どの地域を選んでも表示されます。"))
    field = SelectField(_l("活動分野"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE)
    age = SelectField(_l("最後の動きから"), coerce=id_or_none, invalid_choice_message=BAD_CHOICE)

    def __init__(self, *args, departments=(), districts=(), fields=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.status.choices = [SelectChoice("", _l("対応待ちのすべて"))] + [
            SelectChoice(s, STATUS_LABELS[s]) for s in QUEUE_STATUSES]
        self.department.choices = [SelectChoice("", ALL)] + [SelectChoice(d.id, d.name) for d in departments]
        self.district.choices = [SelectChoice("", ALL)] + [SelectChoice(d.id, d.name) for d in districts]
        self.field.choices = [SelectChoice("", ALL)] + [SelectChoice(f.code, f.label) for f in fields]
        self.age.choices = [SelectChoice("", ALL)] + [SelectChoice(days, label) for days, label in AGES.items()]

    def _valid(self, name: str):
        return self[name].data if not self[name].errors and self[name].data else None

    def filters(self) -> QueueFilters:
        return QueueFilters(department=self._valid("department"), district=self._valid("district"),
                            field=self._valid("field"), age=self._valid("age"), status=self._valid("status") or "")


class InviteForm(FlaskForm):
    """招待する: one verified group or one volunteer, with an optional word for them."""

    group_id = HiddenField(filters=[id_or_none])
    volunteer_user_id = HiddenField(filters=[id_or_none])
    q = HiddenField(filters=[strip])  # the search the form came from, kept on a refusal
    message = TextAreaField(_l("招待のひとこと（任意）"), filters=[strip], validators=[
        Length(max=MESSAGE_MAX, message=_l("%(max)d文字以内で入力してください。"))])

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        if (self.group_id.data is None) == (self.volunteer_user_id.data is None):
            self.message.errors = [*self.message.errors, _l("招待する団体か個人を一つ選んでください。")]
            return False
        return ok


# --- the attendance sheet -------------------------------------------------------------------------------------

def parse_day(raw: str | None, today: date) -> tuple[date, str | None]:
    """The activity day from ``?date=YYYY-MM-DD`` (today when absent); a bad or future date gives today and the
    reason it was refused."""
    raw = nfkc((raw or "").strip())
    if not raw:
        return today, None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return today, str(_l("日付は 2026-05-10 のように入力してください。"))
    if day > today:
        return today, str(_l("まだ来ていない日の出欠は記録できません。"))
    return day, None


@dataclass
class AttendanceRow:
    """One participant's line on the sheet: what was typed, what it means, and what is wrong with it."""

    application: Application
    attended: bool | None = None  # None: 記録しない (this participant was not expected that day)
    hours: str = ""
    participants: str = "1"
    note: str = ""
    minutes: int = 0
    count: int = 1
    recorded: bool = False  # the day already has a record (it can be changed, not removed)
    errors: dict[str, str] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return str(self.application.id)


def row_from_record(app: Application, record) -> AttendanceRow:
    """The sheet's line for a day already recorded (or an empty line)."""
    if record is None:
        return AttendanceRow(app)
    return AttendanceRow(app, attended=record.attended, hours=hours(record.minutes) if record.attended else "",
                         participants=str(record.participants), note=record.note, recorded=True)


def _count(raw: str) -> tuple[int, str | None]:
    text = nfkc(raw.strip())
    if not text.isdigit() or not 1 <= int(text[:6]) <= MAX_PARTICIPANTS:
        return 1, str(_l("参加人数は1〜%(max)d人で入力してください。", max=MAX_PARTICIPANTS))
    return int(text), None


def parse_attendance(formdata, apps: list[Application], recorded: set[int] = frozenset()) -> list[AttendanceRow]:
    """Every participant's line from the posted sheet (``attended-<id>``, ``hours-<id>``, ``participants-<id>``,
    ``note-<id>``); each line carries its own errors, so the sheet can show them beside the line."""
    rows = []
    for app in apps:
        key = str(app.id)
        choice = formdata.get(f"attended-{key}", "")
        row = AttendanceRow(app, attended={"1": True, "0": False}.get(choice),
                            hours=(formdata.get(f"hours-{key}") or "")[:20],
                            participants=(formdata.get(f"participants-{key}") or "1")[:20],
                            note=(formdata.get(f"note-{key}") or "").strip(), recorded=app.id in recorded)
        if len(row.note) > NOTE_MAX:
            row.errors["note"] = str(_l("メモは%(max)d文字以内で入力してください。", max=NOTE_MAX))
        if row.attended is None and (row.hours.strip() or row.recorded):
            row.errors["attended"] = str(_l("出席か欠席を選んでください。"))
        if row.attended:
            row.minutes, problem = parse_hours(row.hours, half_hours=True)
            if problem:
                row.errors["hours"] = problem
            if app.kind == "group":
                row.count, problem = _count(row.participants)
                if problem:
                    row.errors["participants"] = problem
        rows.append(row)
    return rows
