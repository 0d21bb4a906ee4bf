"""1課1ボランティア: the yearly picture per department (page and CSV) for 市民協働課, the centre and administrators.

``?year=YYYY`` picks the fiscal year; without it the current one is shown. A year that is not four digits within
2000–2100 is answered 400 (the selector offers only valid years, so only an edited address gets there) rather than
silently showing another year than the one asked for.
"""

from __future__ import annotations

from flask import current_app, make_response, redirect, request, url_for
from flask_login import current_user

from ..access import roles_required
from ..errors import NotAllowed
from ..htmx import render
from ..models import Role
from . import activities
from .overview import available_years, requested_year, yearly_picture
from .overview import overview_csv as picture_csv
from .views import bp

READERS = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)


def _year() -> int:
    return requested_year(request.args.get("year"))


def _without_department() -> bool:
    """Staff whose department is not registered: told why on the page (as on 区間の登録), not a bare 403."""
    user = current_user
    return user.has_role(Role.STAFF) and not user.department_id and not activities.is_centre(user)


def _check_reader() -> None:
    if not activities.can_see_overview(current_user) and not _without_department():
        raise NotAllowed()


@bp.route("/overview")
@roles_required(*READERS)
def overview():
    """年間の実施状況: per department, activities held and planned, participants and share; htmx gets ``picture``."""
    _check_reader()
    year = _year()
    if _without_department():
        return render("staffvol/overview.html", block="picture", picture=None, year=year, years=[year],
                      back_url=None)
    years = available_years()
    if year not in years:
        years = sorted({*years, year}, reverse=True)
    back = url_for("staffvol.index") if "staffvol.index" in current_app.view_functions else None
    return render("staffvol/overview.html", block="picture", picture=yearly_picture(year), year=year,
                  years=years, back_url=back)


@bp.route("/overview.csv")
@roles_required(*READERS)
def overview_csv():
    """The same picture as CSV for Excel (UTF-8 with BOM), one row per department."""
    _check_reader()
    year = _year()
    if _without_department():
        return redirect(url_for("staffvol.overview", year=year), 303)
    response = make_response(picture_csv(yearly_picture(year)).encode("utf-8"))
    response.headers["Content-Type"] = "text/csv; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="1ka1vol_{year}.csv"'
    response.headers["Cache-Control"] = "no-store"
    return response
