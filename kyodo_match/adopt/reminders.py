"""コーディネーターへのお知らせ: sections with no report for 3 months, agreements ending within 30 days, repair
requests unanswered for 14 days — on /adopt/reminders and by ``flask --app kyodo_match adopt-reminders``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import click
from flask import Flask
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from ..database import write_intent
from ..extensions import db
from ..models import ActivityReport, AdoptAgreement, AgreementStatus, RepairRequest, RepairStatus
from ..models.types import utcnow
from ..notifications import centre_users, notify_many

QUIET_MONTHS = 3
ENDING_DAYS = 30
UNANSWERED_DAYS = 14
REMINDERS_PATH = "/adopt/reminders"


def months_before(day: date, months: int) -> date:
    """The same day ``months`` earlier (the last day of that month when it is shorter)."""
    y, m = divmod(day.year * 12 + day.month - 1 - months, 12)
    m += 1
    for d in range(day.day, 27, -1):
        try:
            return date(y, m, d)
        except ValueError:
            continue
    return date(y, m, min(day.day, 28))


@dataclass
class Quiet:
    agreement: AdoptAgreement
    last_report: date | None  # None: no report yet


@dataclass
class Reminders:
    quiet: list[Quiet]
    ending: list[AdoptAgreement]
    unanswered: list[RepairRequest]

    @property
    def count(self) -> int:
        return len(self.quiet) + len(self.ending) + len(self.unanswered)


def collect(today: date | None = None, now: datetime | None = None) -> Reminders:
    """What the coordinator should look at today.

    - quiet: active agreements whose section has had no report for 3 months (counted from the start when the
      group has never reported);
    - ending: active agreements ending within 30 days (today included);
    - unanswered: repair requests still 受付 (no answer) 14 days after they came in.
    """
    today = today or date.today()
    now = now or utcnow()
    since = months_before(today, QUIET_MONTHS)
    last = (select(ActivityReport.agreement_id, func.max(ActivityReport.activity_date).label("last"))
            .group_by(ActivityReport.agreement_id).subquery())
    active = AdoptAgreement.status == AgreementStatus.ACTIVE.value
    rows = db.session.execute(
        select(AdoptAgreement, last.c.last).outerjoin(last, last.c.agreement_id == AdoptAgreement.id)
        .where(active, AdoptAgreement.starts_on <= since,
               (last.c.last.is_(None)) | (last.c.last < since))
        .options(selectinload(AdoptAgreement.section), selectinload(AdoptAgreement.group))
        .order_by(last.c.last.nulls_first(), AdoptAgreement.id)).all()
    ending = db.session.scalars(
        select(AdoptAgreement).where(active, AdoptAgreement.ends_on >= today,
                                     AdoptAgreement.ends_on <= today + timedelta(days=ENDING_DAYS))
        .options(selectinload(AdoptAgreement.section), selectinload(AdoptAgreement.group))
        .order_by(AdoptAgreement.ends_on, AdoptAgreement.id)).all()
    unanswered = db.session.scalars(
        select(RepairRequest).where(RepairRequest.status == RepairStatus.RECEIVED.value,
                                    RepairRequest.created_at <= now - timedelta(days=UNANSWERED_DAYS))
        .options(selectinload(RepairRequest.section)).order_by(RepairRequest.created_at, RepairRequest.id)).all()
    return Reminders([Quiet(a, d) for a, d in rows], list(ending), list(unanswered))


def send(result: Reminders) -> int:
    """One notice (and e-mail) to each coordinator when there is something to look at; the caller commits."""

    if not result.count:
        return 0
    message = _l("アダプトプログラム: 報告のない区間%(quiet)d件、終了が近い合意書%(ending)d件、"
                 "未回答の修繕などの依頼%(repairs)d件があります。", quiet=len(result.quiet),
                 ending=len(result.ending), repairs=len(result.unanswered))
    return notify_many(centre_users(), "adopt_reminders", message, REMINDERS_PATH)


def register(app: Flask) -> None:
    @app.cli.command("adopt-reminders")
    def adopt_reminders_command():
        """Print the adopt program's reminders and send one notice to each coordinator (run daily or weekly)."""
        with write_intent():
            result = collect()
            click.echo(f"活動報告が{QUIET_MONTHS}か月ない区間: {len(result.quiet)} 件")
            for q in result.quiet:
                last = q.last_report.isoformat() if q.last_report else "報告なし"
                click.echo(f"  - {q.agreement.section.name}（{q.agreement.group.name}、最後の報告: {last}）")
            click.echo(f"{ENDING_DAYS}日以内に終わる合意書: {len(result.ending)} 件")
            for a in result.ending:
                click.echo(f"  - {a.section.name}（{a.group.name}、終了日: {a.ends_on.isoformat()}）")
            click.echo(f"{UNANSWERED_DAYS}日以上未回答の修繕などの依頼: {len(result.unanswered)} 件")
            for r in result.unanswered:
                click.echo(f"  - {r.section.name}: {r.description[:60]}")
            sent = send(result)
            db.session.commit()  # the e-mails leave after this commit
        click.echo(f"コーディネーターに知らせました: {sent} 人")
