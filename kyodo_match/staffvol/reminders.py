"""1課1ボランティア reminders, by ``flask --app kyodo_match ikka-reminders`` (run hourly or daily from cron):

- the day before: everyone with a seat is told when and where to meet and what to bring (activities starting
  within the next 36 hours);
- after the day: the organising department is asked to record attendance when nobody has (activities that ended
  more than a day ago, within the last 30 days) — the yearly picture counts hours only from the record.

Each activity is reminded once per kind: a conditional ``UPDATE … WHERE reminded_at IS NULL`` claims it first,
so two runs at the same moment never both send.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import click
from flask import Flask
from flask_babel import gettext as _
from sqlalchemy import select, update

from ..database import write_intent
from ..extensions import db
from ..i18n import jst_when
from ..models import StaffActivity, StaffActivityStatus, utcnow
from ..notifications import department_staff, later, notify_many, site_path
from .activities import NOTICE_KIND, participants

AHEAD = timedelta(hours=36)
RECORD_AFTER = timedelta(days=1)
RECORD_WITHIN = timedelta(days=30)


@dataclass
class Sent:
    before: list[tuple[StaffActivity, int]] = field(default_factory=list)  # (activity, people told)
    attendance: list[tuple[StaffActivity, int]] = field(default_factory=list)


def _claim(activity_id: int, column) -> bool:
    result = db.session.execute(
        update(StaffActivity).where(StaffActivity.id == activity_id, column.is_(None))
        .values({column: utcnow()}).execution_options(synchronize_session=False))
    return result.rowcount == 1


def send(now: datetime | None = None) -> Sent:
    """Send what is due (see the module's docstring). The caller commits (the e-mails leave after the commit)."""
    now = now or utcnow()
    sent = Sent()
    is_open = StaffActivity.status == StaffActivityStatus.OPEN.value
    coming = db.session.scalars(select(StaffActivity).where(
        is_open, StaffActivity.reminded_at.is_(None), StaffActivity.starts_at > now,
        StaffActivity.starts_at <= now + AHEAD).order_by(StaffActivity.starts_at))
    for activity in coming:
        if not _claim(activity.id, StaffActivity.reminded_at):
            continue
        title, starts, meeting = activity.title, activity.starts_at, activity.meeting_point or activity.place
        bring = activity.bring

        def message(title=title, starts=starts, meeting=meeting, bring=bring):
            text = _("もうすぐ「%(title)s」です。%(when)s、集合場所: %(meeting)s。", title=title,
                     when=jst_when(starts), meeting=meeting)
            return text + (_("持ち物: %(bring)s", bring=bring) if bring else "")

        told = notify_many(participants(activity), NOTICE_KIND, later(message),
                           site_path("staffvol.show", activity_id=activity.id))
        sent.before.append((activity, told))
    unrecorded = db.session.scalars(select(StaffActivity).where(
        is_open, StaffActivity.attendance_recorded_at.is_(None), StaffActivity.attendance_reminded_at.is_(None),
        StaffActivity.ends_at <= now - RECORD_AFTER, StaffActivity.ends_at > now - RECORD_WITHIN,
        StaffActivity.taken > 0).order_by(StaffActivity.ends_at))
    for activity in unrecorded:
        if not _claim(activity.id, StaffActivity.attendance_reminded_at):
            continue
        title = activity.title
        told = notify_many(department_staff(activity.department_id), NOTICE_KIND, later(
            lambda title=title: _("「%(title)s」の参加の記録がまだです。参加した人と活動時間を記録してください。",
                                  title=title)),
            site_path("staffvol.record_attendance", activity_id=activity.id))
        sent.attendance.append((activity, told))
    return sent


def register(app: Flask) -> None:
    @app.cli.command("ikka-reminders")
    def ikka_reminders_command():
        """1課1ボランティア: remind participants the day before, and organisers to record attendance."""
        with write_intent():
            sent = send()
            db.session.commit()
        click.echo(f"前日のお知らせ: {len(sent.before)} 件の活動、{sum(n for _a, n in sent.before)} 人")
        for activity, n in sent.before:
            click.echo(f"  - {activity.title}（{n} 人）")
        click.echo(f"参加の記録のお願い: {len(sent.attendance)} 件の活動")
        for activity, n in sent.attendance:
            click.echo(f"  - {activity.title}（主催課の {n} 人）")
