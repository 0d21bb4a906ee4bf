"""1課1ボランティア: わたしの参加 (one's sign-ups, record and calendar feed) and each department's record."""

from __future__ import annotations

from flask import Response, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import distinct, func, select

from ..access import permitted, public, roles_required
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..i18n import fiscal_year, fiscal_year_bounds, jst_date
from ..models import Department, Role, SignupStatus, StaffActivity, StaffSignup, utcnow
from . import calendar
from .activities import can_see_overview, is_staff
from .attendance import department_history, person_history
from .signups import STATUS_LABELS, waiting_position
from .views import bp

FIRST_YEAR = 2000


def _years(first_start) -> list[int]:
    """年度 to choose from: the current one back to the first with data, newest first."""
    current = fiscal_year(jst_date(utcnow()))
    first = fiscal_year(jst_date(first_start)) if first_start is not None else current
    return list(range(current, max(min(first, current), FIRST_YEAR) - 1, -1))


def _year_arg(years: list[int]) -> int:
    raw = request.args.get("year", "")
    return int(raw) if raw.isdigit() and len(raw) == 4 and int(raw) in years else years[0]


# --- the feed ---------------------------------------------------------------------------------------------------

@bp.route("/calendar/<token>.ics")
@public
def calendar_feed(token: str):
    """The secret iCal address: no login, no cookie; an unknown or stopped address is a plain 404."""
    user = calendar.user_for_token(token)
    if user is None:
        # Not the HTML error page: it would start a session (its forms carry a CSRF token) for a calendar client.
        return Response("Not Found\n", 404, mimetype="text/plain", headers={"Cache-Control": "no-store"})
    body = calendar.feed_ics(user, utcnow(),
                             link=lambda a: url_for("staffvol.show", activity_id=a.id, _external=True))
    return Response(body, mimetype="text/calendar", headers={
        "Cache-Control": "private, no-store",  # who goes where is personal: no shared cache keeps it
        "Content-Disposition": 'inline; filename="ikka-volunteer.ics"',
        "X-Robots-Tag": "noindex, nofollow",
    })


def _calendar_page(status: int = 200, feed_url: str | None = None):
    """わたしの参加, or only its calendar section for htmx."""
    return render("staffvol/mine.html", block="calendar", status=status, **_mine_context(feed_url))


@bp.route("/calendar/reset", methods=["POST"])
@roles_required(Role.STAFF)
def calendar_reset():
    """Make the feed address (or a new one: the old one stops). It is shown in the answer to this request only."""
    token = calendar.issue_token(current_user)
    db.session.commit()
    flash(_("カレンダー用のURLを作りました。下に表示されたURLを、いまカレンダーアプリに登録してください。"), "success")
    return _calendar_page(feed_url=url_for("staffvol.calendar_feed", token=token, _external=True))


@bp.route("/calendar/stop", methods=["POST"])
@roles_required(Role.STAFF)
def calendar_stop():
    """Stop the feed: its address no longer works."""
    calendar.revoke(current_user)
    db.session.commit()
    flash(_("カレンダーへの配信を止めました。登録したカレンダーには、もう新しい予定は届きません。"), "success")
    if not is_htmx():
        return redirect_to(url_for("staffvol.mine") + "#staffvol-calendar")
    return _calendar_page()


# --- わたしの参加 -------------------------------------------------------------------------------------------------

def _mine_context(feed_url: str | None = None) -> dict:
    user = current_user
    years = _years(db.session.scalar(
        select(func.min(StaffActivity.starts_at)).join(StaffSignup, StaffSignup.activity_id == StaffActivity.id)
        .where(StaffSignup.user_id == user.id)))
    year = _year_arg(years)
    history = person_history(user.id, year, utcnow())
    positions = {s.id: waiting_position(s) for s in history.upcoming if s.status == SignupStatus.WAITLISTED.value}
    webcal = "webcal://" + feed_url.split("://", 1)[1] if feed_url else None
    return dict(history=history, year=year, years=years, positions=positions, status_labels=STATUS_LABELS,
                feed=calendar.feed_of(user), can_feed=is_staff(user), feed_url=feed_url, webcal_url=webcal)


@bp.route("/mine")
@roles_required(Role.STAFF)
def mine():
    """わたしの参加: sign-ups to come, the chosen 年度's record with its totals, and the calendar feed."""
    return render("staffvol/mine.html", **_mine_context())


# --- a department's record -------------------------------------------------------------------------------------

def can_see_department(user, department: Department) -> bool:
    """The department's own staff, and those who read the yearly picture (市民協働課, the centre, administrators)."""
    return (is_staff(user) and user.department_id == department.id) or can_see_overview(user)


def department_participation(department_id: int, year: int) -> dict:
    """How many of the department's staff took part in any activity of ``year`` (counted where they belonged when
    they signed up), how many times in all, and their minutes. Counts only: no names."""
    start, end = fiscal_year_bounds(year)
    people, times, minutes = db.session.execute(
        select(func.count(distinct(StaffSignup.user_id)), func.count(StaffSignup.id),
               func.coalesce(func.sum(StaffSignup.minutes), 0))
        .join(StaffActivity, StaffActivity.id == StaffSignup.activity_id)
        .where(StaffSignup.department_id == department_id, StaffSignup.status == SignupStatus.CONFIRMED.value,
               StaffSignup.attended.is_(True), StaffActivity.starts_at >= start, StaffActivity.starts_at < end)).one()
    return {"people": people, "times": times, "minutes": int(minutes)}


@bp.route("/departments/<int:department_id>")
@roles_required(Role.STAFF, Role.COORDINATOR, Role.ADMIN)
def department(department_id: int):
    """A department's 年度: its own activities with confirmed / attended / hours, and its staff's participation."""
    dept = permitted(db.session.get(Department, department_id), can_see_department)
    first = select(func.min(StaffActivity.starts_at))
    firsts = [db.session.scalar(first.where(StaffActivity.department_id == dept.id)),
              db.session.scalar(first.join(StaffSignup).where(StaffSignup.department_id == dept.id))]
    years = _years(min((f for f in firsts if f is not None), default=None))
    year = _year_arg(years)
    rows = department_history(dept.id, year)
    totals = {"activities": sum(1 for r in rows if r.activity.attendance_recorded_at is not None),
              "confirmed": sum(r.confirmed for r in rows), "attended": sum(r.attended for r in rows),
              "minutes": sum(r.minutes for r in rows)}
    return render("staffvol/department.html", department=dept, rows=rows, totals=totals, year=year, years=years,
                  participation=department_participation(dept.id, year))
