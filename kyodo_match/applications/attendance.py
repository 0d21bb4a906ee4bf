"""Attendance and hours (活動履歴): who takes part on a day, that day's records, and a project's participation record.

Read-only queries (one per list, no N+1); records are written by :func:`.services.record_attendance`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import ActivityRecord, Application, ApplicationStatus, Project
from . import flow
from .review import card_options

A = ApplicationStatus


def participants(project: Project) -> list[Application]:
    """Those whose attendance is recorded: confirmed, under way or completed (flow.MATCHED), by name."""
    rows = db.session.scalars(select(Application).where(Application.project_id == project.id,
                                                        Application.status.in_(flow.MATCHED))
                              .options(*card_options()).order_by(Application.confirmed_at, Application.id)).all()
    return list(rows)


def records_on(project: Project, day: date) -> dict[int, ActivityRecord]:
    """The day's records, by application id."""
    rows = db.session.scalars(select(ActivityRecord).join(Application).where(
        Application.project_id == project.id, ActivityRecord.activity_date == day))
    return {r.application_id: r for r in rows}


@dataclass
class DayRecord:
    day: date
    records: list[ActivityRecord]

    @property
    def present(self) -> int:
        return sum(1 for r in self.records if r.attended)

    @property
    def people(self) -> int:
        return sum(r.participants for r in self.records if r.attended)

    @property
    def minutes(self) -> int:
        return sum(r.minutes for r in self.records)


@dataclass
class ParticipantTotal:
    application: Application
    days: int = 0
    minutes: int = 0


@dataclass
class ParticipationRecord:
    days: list[DayRecord]
    totals: list[ParticipantTotal]

    @property
    def minutes(self) -> int:
        return sum(d.minutes for d in self.days)


def participation(project: Project) -> ParticipationRecord:
    """参加の記録: every recorded day (newest first) and each participant's days and hours. One query."""
    rows = db.session.scalars(select(ActivityRecord).join(Application).where(Application.project_id == project.id)
                              .options(selectinload(ActivityRecord.application).selectinload(Application.volunteer),
                                       selectinload(ActivityRecord.application).selectinload(Application.group))
                              .order_by(ActivityRecord.activity_date.desc(), ActivityRecord.application_id)).all()
    by_day: dict[date, list[ActivityRecord]] = defaultdict(list)
    totals: dict[int, ParticipantTotal] = {}
    for r in rows:
        by_day[r.activity_date].append(r)
        total = totals.setdefault(r.application_id, ParticipantTotal(r.application))
        if r.attended:
            total.days += 1
            total.minutes += r.minutes
    return ParticipationRecord([DayRecord(d, rs) for d, rs in by_day.items()],
                               sorted(totals.values(), key=lambda t: t.application.id))


def hours(minutes: int) -> str:
    """Minutes as hours for people: 90 → "1.5"."""
    return f"{round(minutes / 60, 2):g}"

