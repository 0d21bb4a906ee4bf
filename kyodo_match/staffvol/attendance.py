"""After the day: the organiser records who came and for how long; each person's and each department's history.

Only confirmed sign-ups are recorded. Minutes default to the activity's length; 0–1440 (a CHECK backs it). The
record may be corrected later; the first recording stamps ``attendance_recorded_at`` (the activity counts as held).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..errors import Conflict, FieldRefused, NotAllowed
from ..extensions import db
from ..i18n import fiscal_year_bounds
from ..models import SignupStatus, StaffActivity, StaffActivityStatus, StaffSignup, utcnow
from .activities import can_organise


def default_minutes(activity: StaffActivity) -> int:
    return min(int((activity.ends_at - activity.starts_at).total_seconds() // 60), 1440)


@dataclass(frozen=True)
class Mark:
    signup_id: int
    attended: bool
    minutes: int


def record(activity: StaffActivity, actor, marks: list[Mark], now: datetime | None = None) -> int:
    """Save attendance for the confirmed people of ``activity``. Returns how many rows changed. The caller commits.

    NotAllowed for anyone but the organiser; Conflict before the start or for a called-off activity;
    FieldRefused (``minutes``) for minutes outside 0–1440 or a person who is not a confirmed participant.
    """
    now = now or utcnow()
    if not can_organise(actor, activity):
        raise NotAllowed()
    if activity.status == StaffActivityStatus.CANCELLED.value:
        raise Conflict(_("中止した活動には参加の記録をつけられません。"))
    if now < activity.starts_at:
        raise Conflict(_("参加の記録は、活動が始まってからつけてください。"))
    rows = {s.id: s for s in db.session.scalars(select(StaffSignup).where(
        StaffSignup.activity_id == activity.id, StaffSignup.status == SignupStatus.CONFIRMED.value))}
    changed = 0
    for mark in marks:
        signup = rows.get(mark.signup_id)
        if signup is None:
            raise FieldRefused("minutes", _("参加が決まっていない人の記録はつけられません。"))
        if not 0 <= mark.minutes <= 1440:
            raise FieldRefused("minutes", _("活動時間は0分から1440分（24時間）までで入力してください。"))
        minutes = mark.minutes if mark.attended else 0
        if signup.attended != mark.attended or signup.minutes != minutes:
            signup.attended, signup.minutes = mark.attended, minutes
            changed += 1
    if activity.attendance_recorded_at is None:
        activity.attendance_recorded_at = now
    return changed


# --- history ------------------------------------------------------------------------------------------------------

@dataclass
class PersonHistory:
    upcoming: list[StaffSignup]
    past: list[StaffSignup]
    attended: int  # activities this fiscal year with attendance
    minutes: int  # minutes this fiscal year


def person_history(user_id: int, fiscal_year: int, now: datetime | None = None) -> PersonHistory:
    """A staff member's sign-ups: those still to come, and the past ones of ``fiscal_year`` with their record."""
    now = now or utcnow()
    start, end = fiscal_year_bounds(fiscal_year)
    rows = list(db.session.scalars(
        select(StaffSignup).join(StaffActivity).options(
            selectinload(StaffSignup.activity).selectinload(StaffActivity.department))
        .where(StaffSignup.user_id == user_id, StaffSignup.status != SignupStatus.CANCELLED.value)
        .order_by(StaffActivity.starts_at)))
    upcoming = [s for s in rows if s.activity.ends_at > now and s.activity.status == StaffActivityStatus.OPEN.value]
    past = [s for s in rows if s.activity.ends_at <= now and start <= s.activity.starts_at < end
            and s.status == SignupStatus.CONFIRMED.value]
    past.reverse()
    attended = [s for s in past if s.attended]
    return PersonHistory(upcoming, past, len(attended), sum(s.minutes for s in attended))


@dataclass
class DepartmentActivityRow:
    activity: StaffActivity
    confirmed: int
    attended: int
    minutes: int


def department_history(department_id: int, fiscal_year: int) -> list[DepartmentActivityRow]:
    """The department's own activities of ``fiscal_year``, each with its confirmed and attending people (one query
    for the counts)."""
    start, end = fiscal_year_bounds(fiscal_year)
    activities = list(db.session.scalars(
        select(StaffActivity).where(StaffActivity.department_id == department_id, StaffActivity.starts_at >= start,
                                    StaffActivity.starts_at < end).order_by(StaffActivity.starts_at)))
    counts = {row.activity_id: row for row in db.session.execute(
        select(StaffSignup.activity_id,
               func.count(StaffSignup.id).label("confirmed"),
               func.count(StaffSignup.id).filter(StaffSignup.attended.is_(True)).label("attended"),
               func.coalesce(func.sum(StaffSignup.minutes), 0).label("minutes"))
        .where(StaffSignup.activity_id.in_([a.id for a in activities]),
               StaffSignup.status == SignupStatus.CONFIRMED.value)
        .group_by(StaffSignup.activity_id))} if activities else {}
    out = []
    for a in activities:
        row = counts.get(a.id)
        out.append(DepartmentActivityRow(a, row.confirmed if row else 0, row.attended if row else 0,
                                         int(row.minutes) if row else 0))
    return out
