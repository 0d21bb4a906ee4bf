"""Feeds of projects now recruiting: Atom for readers, iCal (deadlines as all-day events) for calendars."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, render_template, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..access import public
from ..extensions import db
from ..i18n import today_jst
from ..models import Project, ProjectStatus, utcnow
from .views import bp

FEED_LIMIT = 50


def recruiting_projects() -> list[Project]:
    """Projects in 公募中 whose deadline has not passed, newest first."""
    return list(db.session.scalars(
        select(Project).options(selectinload(Project.department))
        .where(Project.status == ProjectStatus.RECRUITING, Project.recruit_until >= today_jst())
        .order_by(Project.published_at.desc(), Project.id.desc()).limit(FEED_LIMIT)
    ))


def ical_escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon, comma and newlines escaped."""
    return (text or "").replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r", "").replace(
        "\n", "\\n")


@bp.route("/feed.atom")
@public
def atom():
    """Atom feed of recruiting projects."""
    projects = recruiting_projects()
    updated = max((p.updated_at for p in projects), default=utcnow())
    # a .xml template, so Jinja escapes every value
    body = render_template("projects/feed.xml", projects=projects, updated=updated)
    return Response(body, mimetype="application/atom+xml")


@bp.route("/recruiting.ics")
@public
def ical():
    """iCal feed: each recruiting project's application deadline as an all-day event."""
    stamp = utcnow().strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Seki City//kyodo_match//JA", "CALSCALE:GREGORIAN",
             "X-WR-CALNAME:" + ical_escape("協働マッチ 募集中の地域課題・協働事業")]
    for p in recruiting_projects():
        lines += [
            "BEGIN:VEVENT", f"UID:project-{p.id}-deadline@kyodo-match", f"DTSTAMP:{stamp}",
            f"DTSTART;VALUE=DATE:{p.recruit_until:%Y%m%d}",
            f"DTEND;VALUE=DATE:{p.recruit_until + timedelta(days=1):%Y%m%d}",
            "SUMMARY:" + ical_escape(f"募集締切: {p.title}"),
            "DESCRIPTION:" + ical_escape(p.summary),
            "URL:" + url_for("projects.show", project_id=p.id, _external=True),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return Response("\r\n".join(lines) + "\r\n", mimetype="text/calendar")
