"""1課1ボランティア: the yearly picture per department for 市民協働課 (fiscal year April–March), and its CSV.

The definitions, for one fiscal year (年度) — an activity belongs to the year of its start in Japan time
(``fiscal_year_bounds``: 1 April 00:00 JST inclusive to the next 1 April exclusive):

- Activities are counted for the organising department (``StaffActivity.department_id``):
  実施 (held) = not called off and already ended (``ends_at <= now``); 予定 (planned) = not called off and not yet
  ended (one under way counts as planned); 中止 (cancelled) is counted apart and never as held or planned. Held does
  not wait for the attendance record: an activity that took place counts even before the organiser records it.
- 参加者 (participants) of a department are the distinct staff whose sign-up was made as a member of that department
  (``StaffSignup.department_id``, the department they belonged to then), confirmed, on a held activity of the year
  organised by any department, and not recorded absent (``attended`` is not False; not yet recorded counts).
  延べ人数 counts those person-activities; 活動時間 is the sum of the minutes recorded for people marked present
  (``attended`` True), shown as hours with one decimal.
- 参加率 (share) = distinct participants / ``Department.staff_count``, a whole percentage rounded half up; none
  (shown "—") when the staff count is 0. It may pass 100% when the staff count is out of date.
- 未実施: a department with no held activity and no participants in the year; 予定あり when it has a planned one.
- Active departments only, in ``position`` then name order. Four queries whatever the number of departments.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, case, func, or_, select

from ..coordination.export import to_csv
from ..errors import BadRequest
from ..extensions import db
from ..i18n import fiscal_year, fiscal_year_bounds, jst_date
from ..models import Department, SignupStatus, StaffActivity, StaffActivityStatus, StaffSignup, utcnow

MIN_YEAR, MAX_YEAR = 2000, 2100


def requested_year(raw: str | None) -> int:
    """The fiscal year of ``?year=``: the current one when absent; four ASCII digits within 2000–2100 otherwise.

    Anything else is 400 with the reason, on every page that takes the parameter (the year selectors offer only
    valid years, so only an edited address gets there) — never silently another year than the one asked for.
    """
    raw = (raw or "").strip()
    if not raw:
        return fiscal_year(jst_date(utcnow()))
    if not (len(raw) == 4 and raw.isascii() and raw.isdigit()) or not MIN_YEAR <= int(raw) <= MAX_YEAR:
        raise BadRequest(_("年度は%(a)d〜%(b)dの4桁の数字で指定してください。", a=MIN_YEAR, b=MAX_YEAR))
    return int(raw)


def _percent(part: int, whole: int) -> int | None:
    """A whole percentage rounded half up (2 of 8 is 25, 1 of 8 is 13); None when ``whole`` is 0."""
    if whole <= 0:
        return None
    return (200 * part + whole) // (2 * whole)


def _hours(minutes: int) -> float:
    """Minutes as hours with one decimal, rounded half up (100 minutes is 1.7)."""
    return ((minutes * 10 + 30) // 60) / 10


@dataclass
class DepartmentRow:
    """One department's year."""

    department_id: int
    name: str
    division: str | None
    staff_count: int
    held: int = 0  # 実施
    planned: int = 0  # 予定
    cancelled: int = 0  # 中止
    participants: int = 0  # 参加者（実人数）
    person_activities: int = 0  # 延べ人数
    minutes: int = 0

    @property
    def share(self) -> int | None:
        return _percent(self.participants, self.staff_count)

    @property
    def bar_share(self) -> int:
        """The share as the chart draws it: 0–100."""
        return min(self.share or 0, 100)

    @property
    def hours(self) -> float:
        return _hours(self.minutes)

    @property
    def not_yet(self) -> bool:
        """未実施: nothing held and nobody took part this year."""
        return self.held == 0 and self.participants == 0


@dataclass
class Totals:
    """The whole city office: the rows added up; participants are distinct people across departments."""

    departments: int = 0
    departments_done: int = 0
    staff_count: int = 0
    held: int = 0
    planned: int = 0
    cancelled: int = 0
    participants: int = 0
    person_activities: int = 0
    minutes: int = 0

    @property
    def share(self) -> int | None:
        return _percent(self.participants, self.staff_count)

    @property
    def hours(self) -> float:
        return _hours(self.minutes)


@dataclass
class YearlyPicture:
    fiscal_year: int
    as_of: datetime
    rows: list[DepartmentRow] = field(default_factory=list)
    totals: Totals = field(default_factory=Totals)

    @property
    def not_yet(self) -> list[DepartmentRow]:
        return [r for r in self.rows if r.not_yet]


def yearly_picture(year: int, now: datetime | None = None, *, only: int | None = None) -> YearlyPicture:
    """The picture of fiscal year ``year`` as of ``now`` (held and planned depend on it), by the module's rules;
    ``only``: just that department's row (its own record page counts the same way as the picture)."""
    now = now or utcnow()
    start, end = fiscal_year_bounds(year)
    which = Department.id == only if only is not None else Department.active.is_(True)
    departments = list(db.session.execute(
        select(Department.id, Department.name, Department.division, Department.staff_count)
        .where(which).order_by(Department.position, Department.name)))
    rows = {d.id: DepartmentRow(d.id, d.name, d.division, d.staff_count) for d in departments}

    in_year = (StaffActivity.starts_at >= start, StaffActivity.starts_at < end)
    is_open = StaffActivity.status == StaffActivityStatus.OPEN.value
    held = and_(is_open, StaffActivity.ends_at <= now)
    planned = and_(is_open, StaffActivity.ends_at > now)
    cancelled = StaffActivity.status == StaffActivityStatus.CANCELLED.value

    def _count(condition):
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    for department_id, n_held, n_planned, n_cancelled in db.session.execute(
            select(StaffActivity.department_id, _count(held), _count(planned), _count(cancelled))
            .where(*in_year, StaffActivity.department_id.in_(list(rows))).group_by(StaffActivity.department_id)):
        if row := rows.get(department_id):
            row.held, row.planned, row.cancelled = int(n_held), int(n_planned), int(n_cancelled)

    # Confirmed people on held activities of the year who were not recorded absent, in an active department.
    took_part = (
        select().select_from(StaffSignup)
        .join(StaffActivity, StaffActivity.id == StaffSignup.activity_id)
        .join(Department, Department.id == StaffSignup.department_id)
        .where(*in_year, held, Department.id.in_(list(rows)),
               StaffSignup.status == SignupStatus.CONFIRMED.value,
               or_(StaffSignup.attended.is_(None), StaffSignup.attended.is_(True)))
    )
    minutes = func.coalesce(func.sum(case((StaffSignup.attended.is_(True), StaffSignup.minutes), else_=0)), 0)
    for department_id, people, person_activities, total_minutes in db.session.execute(
            took_part.add_columns(StaffSignup.department_id, func.count(func.distinct(StaffSignup.user_id)),
                                  func.count(StaffSignup.id), minutes)
            .group_by(StaffSignup.department_id)):
        if row := rows.get(department_id):
            row.participants, row.person_activities = int(people), int(person_activities)
            row.minutes = int(total_minutes)
    distinct_people = db.session.scalar(
        took_part.add_columns(func.count(func.distinct(StaffSignup.user_id)))) or 0

    listed = list(rows.values())
    totals = Totals(
        departments=len(listed), departments_done=sum(not r.not_yet for r in listed),
        staff_count=sum(r.staff_count for r in listed), held=sum(r.held for r in listed),
        planned=sum(r.planned for r in listed), cancelled=sum(r.cancelled for r in listed),
        participants=int(distinct_people), person_activities=sum(r.person_activities for r in listed),
        minutes=sum(r.minutes for r in listed),
    )
    return YearlyPicture(year, now, listed, totals)


def available_years(now: datetime | None = None) -> list[int]:
    """The fiscal years to choose from, newest first: from the first to the last year with an activity, and the
    current year (one query; a year in between with no activity is listed too, as a year with none)."""
    current = fiscal_year(jst_date(now or utcnow()))
    first, last = db.session.execute(select(func.min(StaffActivity.starts_at), func.max(StaffActivity.starts_at))).one()
    years = {current}
    if first is not None and last is not None:
        years.update(range(fiscal_year(jst_date(first)), fiscal_year(jst_date(last)) + 1))
    return sorted(years, reverse=True)


def status_label(row: DepartmentRow) -> str:
    """実施済み, 未実施 or 未実施（予定あり）: the words the page and the CSV use."""
    if not row.not_yet:
        return _("実施済み")
    return _("未実施（予定あり）") if row.planned else _("未実施")


def overview_csv(picture: YearlyPicture) -> str:
    """One row per department (UTF-8 with BOM, CRLF, formula-safe); the share is empty when the staff count is 0."""
    header = [_("年度"), _("課"), _("部"), _("職員数"), _("実施した活動"), _("予定の活動"), _("中止した活動"),
              _("参加者（実人数）"), _("延べ人数"), _("活動時間（時間）"), _("参加率（%）"), _("状況")]
    rows = [[
        picture.fiscal_year, r.name, r.division or "", r.staff_count, r.held, r.planned, r.cancelled,
        r.participants, r.person_activities, f"{r.hours:.1f}", "" if r.share is None else r.share, status_label(r),
    ] for r in picture.rows]
    return to_csv(header, rows)
