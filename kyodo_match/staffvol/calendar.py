"""1課1ボランティア: each staff member's own iCal feed of their sign-ups, at a secret address that can be reset.

The address carries a random token (``secrets.token_urlsafe(32)``, 256 bits); only its SHA-256 is stored, so the
address can be shown once, right after it is made, and a copy of the database does not reveal anyone's feed.
Issuing again replaces the stored hash (the old address stops at once); stopping deletes it.

What the feed holds (RFC 5545, CRLF, lines folded at 75 octets): one event per confirmed and per waitlisted
sign-up for activities that ended in the last 90 days or are still to come (a waiting place only until the
activity ends — after that the person did not take part). An activity called off in the last 30 days stays in the
feed as ``STATUS:CANCELLED`` with 「中止: 」 in front, for the people who held a seat or a place in line when it was
called off: subscribed calendars then show it as called off instead of letting it silently vanish. A sign-up the
person cancelled themself simply leaves the feed. No names of people are written into the feed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, delete, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..errors import NotAllowed
from ..extensions import db
from ..models import CalendarFeed, SignupStatus, StaffActivity, StaffActivityStatus, StaffSignup, User, utcnow
from ..projects.feeds import ical_escape
from .activities import is_staff
from .signups import waiting_positions

TOKEN_BYTES = 32
TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{20,100}")
PAST_DAYS = 90  # activities that ended this long ago still show (the calendar keeps a short history)
CANCELLED_DAYS = 30  # a called-off activity shows as cancelled this long after it was called off
PRODID = "-//Seki City//kyodo_match 1ka1 volunteer//JA"
FOLD_OCTETS = 75
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # RFC 5545 TEXT allows no control characters but tab


# --- the secret address -----------------------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_of(user) -> CalendarFeed | None:
    return db.session.get(CalendarFeed, user.id)


def has_feed(user) -> bool:
    return feed_of(user) is not None


def issue_token(user, now: datetime | None = None) -> str:
    """Make (or reset) the user's feed address; returns the token, which is not stored. The caller commits.

    Raises NotAllowed for anyone who is not a staff member of a department.
    """
    if not is_staff(user):
        raise NotAllowed()
    now = now or utcnow()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = feed_of(user)
    if feed is None:
        try:
            with db.session.begin_nested():
                db.session.add(CalendarFeed(user_id=user.id, token_hash=_hash(token), created_at=now))
            return token
        except IntegrityError:  # the same person in another request, a moment earlier: replace theirs
            feed = feed_of(user)
    feed.token_hash, feed.created_at = _hash(token), now
    return token


def revoke(user) -> None:
    """Stop the feed: the address no longer works. The caller commits."""
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))


def user_for_token(token: str) -> User | None:
    """The staff member whose feed this is; None for an unknown token, or a person who is stopped, deleted or no
    longer staff of a department."""
    if not token or not TOKEN_RE.fullmatch(token):
        return None
    user = db.session.scalar(select(User).join(CalendarFeed, CalendarFeed.user_id == User.id)
                             .where(CalendarFeed.token_hash == _hash(token)))
    if user is None or not user.is_active or not is_staff(user):
        return None
    return user


# --- what the feed holds ----------------------------------------------------------------------------------------

def feed_signups(user_id: int, now: datetime) -> list[StaffSignup]:
    """The sign-ups the feed shows (see the module's docstring), soonest first."""
    holding = and_(StaffActivity.status == StaffActivityStatus.OPEN.value,
                   or_(StaffSignup.status == SignupStatus.CONFIRMED.value,
                       and_(StaffSignup.status == SignupStatus.WAITLISTED.value, StaffActivity.ends_at > now)))
    called_off = and_(StaffActivity.status == StaffActivityStatus.CANCELLED.value,
                      StaffSignup.status == SignupStatus.CALLED_OFF.value,
                      StaffActivity.updated_at >= now - timedelta(days=CANCELLED_DAYS))
    return list(db.session.scalars(
        select(StaffSignup).join(StaffActivity, StaffActivity.id == StaffSignup.activity_id)
        .options(selectinload(StaffSignup.activity).selectinload(StaffActivity.department))
        .where(StaffSignup.user_id == user_id, StaffActivity.ends_at >= now - timedelta(days=PAST_DAYS),
               or_(holding, called_off))
        .order_by(StaffActivity.starts_at, StaffSignup.id)))


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    return ical_escape(_CONTROL.sub("", value or ""))


def fold(line: str) -> str:
    """RFC 5545 §3.1: lines of at most 75 octets, continued after CRLF + one space, never inside a character."""
    out, current, size = [], [], 0
    for char in line:
        width = len(char.encode())
        limit = FOLD_OCTETS if not out else FOLD_OCTETS - 1  # a continuation line starts with the space
        if size + width > limit:
            out.append("".join(current))
            current, size = [], 0
        current.append(char)
        size += width
    out.append("".join(current))
    return "\r\n ".join(out)


def _event(signup: StaffSignup, now: datetime, link: Callable[[StaffActivity], str] | None,
           position: int | None) -> list[str]:
    a = signup.activity
    called_off = a.status == StaffActivityStatus.CANCELLED.value
    summary = a.title
    details = []
    if called_off:
        summary = _("中止: %(title)s", title=a.title)
        if a.cancel_reason:
            details.append(_("中止の理由: %(reason)s", reason=a.cancel_reason))
    elif signup.status == SignupStatus.WAITLISTED.value:
        summary = _("キャンセル待ち: %(title)s", title=a.title)
        if position:
            details.append(_("キャンセル待ち %(n)d番目です。参加が決まるとお知らせが届きます。", n=position))
    place = a.place
    if a.meeting_point:
        place = _("%(place)s（集合場所: %(meeting)s）", place=a.place, meeting=a.meeting_point) if a.place \
            else _("集合場所: %(meeting)s", meeting=a.meeting_point)
    details.append(_("主催: %(department)s", department=a.department.name))
    if a.bring:
        details.append(_("持ち物: %(bring)s", bring=a.bring))
    if a.description:
        details.append(a.description)
    lines = ["BEGIN:VEVENT", f"UID:staff-signup-{signup.id}@kyodo-match", f"DTSTAMP:{_stamp(now)}",
             f"DTSTART:{_stamp(a.starts_at)}", f"DTEND:{_stamp(a.ends_at)}", f"LAST-MODIFIED:{_stamp(a.updated_at)}",
             "SUMMARY:" + _text(summary)]
    if place:
        lines.append("LOCATION:" + _text(place))
    lines.append("DESCRIPTION:" + _text("\n\n".join(details)))
    if link is not None:
        lines.append("URL:" + link(a))
    lines += ["STATUS:" + ("CANCELLED" if called_off else "CONFIRMED" if signup.status == SignupStatus.CONFIRMED.value
                           else "TENTATIVE"),
              "TRANSP:" + ("TRANSPARENT" if called_off else "OPAQUE"), "END:VEVENT"]
    return lines


def feed_ics(user, now: datetime | None = None, link: Callable[[StaffActivity], str] | None = None) -> str:
    """The user's calendar as iCalendar text, in their language; ``link(activity)`` gives each event's absolute
    URL (none when not given)."""
    now = now or utcnow()
    with force_locale(user.locale or "ja"):
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN", "METHOD:PUBLISH",
                 "X-WR-CALNAME:" + _text(_("1課1ボランティア わたしの予定")),
                 "X-WR-CALDESC:" + _text(_("関市 1課1ボランティアで申し込んだ活動です。")),
                 "X-WR-TIMEZONE:Asia/Tokyo", "REFRESH-INTERVAL;VALUE=DURATION:PT6H", "X-PUBLISHED-TTL:PT6H"]
        signups = feed_signups(user.id, now)
        positions = waiting_positions(signups)
        for signup in signups:
            lines += _event(signup, now, link, positions.get(signup.id))
        lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
