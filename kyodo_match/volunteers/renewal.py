"""Renewal reminders: registrations last three years; the volunteer is e-mailed before theirs ends."""

from __future__ import annotations

from datetime import date, timedelta

from flask import render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from ..extensions import db
from ..mail import send_mail
from ..models import User, VolunteerProfile, utcnow

REMIND_BEFORE_DAYS = 60  # the first reminder, two months before the end
REMIND_AGAIN_AFTER_DAYS = 30  # at most one reminder a month


def due_for_reminder(today: date) -> list[VolunteerProfile]:
    """Active volunteers whose registration ends within 60 days and who were not reminded in the last 30."""
    recent = utcnow() - timedelta(days=REMIND_AGAIN_AFTER_DAYS)
    return list(db.session.scalars(
        select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
        .options(joinedload(VolunteerProfile.user))
        .where(VolunteerProfile.expires_on <= today + timedelta(days=REMIND_BEFORE_DAYS),
               User.active.is_(True), User.deleted_at.is_(None), User.email.is_not(None),
               (VolunteerProfile.renewal_reminded_at.is_(None)) | (VolunteerProfile.renewal_reminded_at < recent))
        .order_by(VolunteerProfile.expires_on)
    ))


def send_renewal_reminders(today: date) -> int:
    """E-mail each volunteer due a reminder and note when; the caller commits. Returns how many were sent."""
    sent = 0
    for profile in due_for_reminder(today):
        body = render_template("volunteers/renewal_mail.txt", user=profile.user, expires_on=profile.expires_on,
                               expired=profile.expires_on < today, link=url_for("volunteers.me", _external=True))
        send_mail(profile.user.email, _("【協働マッチ】人材バンクの登録の更新のお願い"), body)
        profile.renewal_reminded_at = utcnow()
        sent += 1
    return sent
