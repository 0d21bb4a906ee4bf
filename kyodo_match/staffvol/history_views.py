"""1課1ボランティア: わたしの参加 (one's sign-ups, record and calendar feed) and each department's record."""

from __future__ import annotations

from flask import request
from flask_login import current_user
from sqlalchemy import func, select

from ..access import permitted, roles_required
from ..extensions import db
from ..htmx import render
from ..i18n import fiscal_year, jst_date
from ..models import Department, Role, StaffActivity, StaffSignup, utcnow
from . import calendar
from .activities import can_see_overview, is_staff
from .attendance import department_history, person_history
from .overview import requested_year, yearly_picture
from .signups import STATUS_LABELS, waiting_positions
from .views import bp

FIRST_YEAR = 2000


def _years(first_start) -> list[int]:
    """年度 to choose from: the current one back to the first with data, newest first."""
    current = fiscal_year(jst_date(utcnow()))
    first = fiscal_year(jst_date(first_start)) if first_start is not None else current
    return list(range(current, max(min(first, current), FIRST_YEAR) - 1, -1))


def _year_arg(years: list[int]) -> int:
    """The year asked for (400 when malformed, as on the yearly picture); a valid year without records is shown
    empty, and offered in the selector, rather than replaced by another."""
    year = requested_year(request.args.get("year"))
    if year not in years:
        years[:] = sorted({*years, year}, reverse=True)
    return year


# --- わたしの参加 -------------------------------------------------------------------------------------------------

def mine_context(feed_url: str | None = None) -> dict:
    user = current_user
    years = _years(db.session.scalar(
        select(func.min(StaffActivity.starts_at)).join(StaffSignup, StaffSignup.activity_id == StaffActivity.id)
        .where(StaffSignup.user_id == user.id)))
    year = _year_arg(years)
    history = person_history(user.id, year, utcnow())
    positions = waiting_positions(history.upcoming)
    webcal = "webcal://" + feed_url.split("://", 1)[1] if feed_url else None
    return dict(history=history, year=year, years=years, positions=positions, status_labels=STATUS_LABELS,
                feed=calendar.feed_of(user), can_feed=is_staff(user), feed_url=feed_url, webcal_url=webcal)


@bp.route("/mine")
@roles_required(Role.STAFF)
def mine():
    """わたしの参加: sign-ups to come, the chosen 年度's record with its totals, and the calendar feed."""
    return render("staffvol/mine.html", **mine_context())


# --- a department's record -------------------------------------------------------------------------------------

def can_see_department(user, department: Department) -> bool:
    """The department's own staff, and those who read the yearly picture (市民協働課, the centre, administrators)."""
    return (is_staff(user) and user.department_id == department.id) or can_see_overview(user)


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
                  participation=yearly_picture(year, only=dept.id).rows[0])
