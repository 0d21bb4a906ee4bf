"""審査と参加の管理: the centre's queue, a project's applicants and invitations, attendance and hours, and the
summaries on the coordinator's desk and the department workspace.

The steps (承認する / 保留にする / 見送る / 参加を確定する …) are posted to the generic step route of .views from the
cards; these pages only list, invite and record.
"""

from __future__ import annotations

from flask import current_app, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from ..access import permitted, roles_required
from ..coordination.services import filter_choices
from ..errors import Conflict, FieldRefused, RuleViolation
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..i18n import local_day, today_jst
from ..models import Department, Project, Role, utcnow
from ..pagination import page_arg
from ..projects.lifecycle import STATUS_LABELS, can_manage
from . import attendance, review, services
from .notices import applicant_name
from .review_forms import InviteForm, QueueFilterForm, parse_attendance, parse_day, row_from_record
from .views import bp

COORDINATORS = (Role.COORDINATOR, Role.ADMIN)
MANAGERS = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)
# The matcher's suggestions panel, linked from the invite section when that blueprint is present.
SUGGESTIONS_ENDPOINT = "matching.panel"


def _managed(project_id: int) -> Project:
    """The project, if the current user manages it: 404 when missing, 403 for another department."""
    return permitted(review.load_project(project_id), can_manage)


def _me():
    return current_user._get_current_object()


@bp.route("/applications/queue")
@roles_required(*COORDINATORS)
def review_queue():
    """応募・招待の確認: every open item, the oldest last step first; filters in the URL (htmx swaps
    #application-queue-results); below, stale items and recruiting projects nobody applied to."""
    departments = db.session.scalars(select(Department).order_by(Department.id)).all()
    form = QueueFilterForm(formdata=request.args, departments=departments, **filter_choices())
    valid = form.validate()
    filters = form.filters()
    pagination = db.paginate(review.queue_query(filters), page=page_arg(), per_page=review.PER_PAGE,
                             error_out=False)
    sections = {} if is_htmx() else {"stale": review.stale(), "unasked": review.projects_without_applicants()}
    return render("applications/queue.html", block="results", status=200 if valid else 422, form=form,
                  pagination=pagination, args=filters.args(), stale_days=review.STALE_DAYS, **sections)


def _applicants_page(project: Project, q: str = "", status: int = 200, block: str = "content", **extra):
    board = review.applicants(project)
    waiting = next((rows for key, _label, rows in board.sections if key == "waitlisted"), [])
    found = review.invitable(project, q) if project.status in services.ACCEPTING else None
    suggestions = (url_for(SUGGESTIONS_ENDPOINT, project_id=project.id)
                   if SUGGESTIONS_ENDPOINT in current_app.view_functions else None)
    return render("applications/applicants.html", block=block, status=status, project=project, board=board,
                  positions=review.waiting_positions(waiting), q=q, found=found, suggestions_url=suggestions,
                  project_status_labels=STATUS_LABELS, **extra)


@bp.route("/issues/<int:project_id>/applicants")
@roles_required(*MANAGERS)
def project_applicants(project_id: int):
    """応募者と招待: the places at the top and everyone by state (htmx reloads #applicant-board after each step),
    everyone by state with their steps, the waiting list in order, and whom to invite."""
    return _applicants_page(_managed(project_id), block="board")


@bp.route("/issues/<int:project_id>/invite", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def project_invite(project_id: int):
    """GET: whom to invite, by name (htmx swaps #invite-candidates). POST 招待する: a verified group or a
    registered volunteer; 409 when they already applied or were invited, 422 beside the card when refused."""
    project = _managed(project_id)
    if request.method == "GET":
        return _applicants_page(project, q=request.args.get("q", "")[:100].strip(), block="candidates")
    form = InviteForm()
    q = (form.q.data or "")[:100]
    picked = (form.group_id.data, form.volunteer_user_id.data)
    if not form.validate_on_submit():
        return _applicants_page(project, q=q, status=422, block="candidates", picked=picked,
                                refusal=form.message.errors[0])
    try:
        invited = services.invite(project, _me(), group_id=form.group_id.data,
                                  volunteer_user_id=form.volunteer_user_id.data, message=form.message.data or "",
                                  today=today_jst())
    except Conflict:
        db.session.rollback()
        raise
    except RuleViolation as e:
        db.session.rollback()
        return _applicants_page(_managed(project_id), q=q, status=422, block="candidates", picked=picked,
                                refusal=e.message)
    name = applicant_name(invited)
    db.session.commit()
    flash(_("%(name)sさんを招待しました。返事はお知らせで届きます。", name=name), "success")
    return redirect_to(url_for("applications.project_applicants", project_id=project_id) + "#invite")


def _sheet(project: Project, day, rows, status: int = 200, date_error: str | None = None):
    return render("applications/attendance.html", status=status, project=project, day=day, rows=rows,
                  date_error=date_error, record=attendance.participation(project), today=today_jst())


@bp.route("/issues/<int:project_id>/attendance", methods=["GET", "POST"])
@roles_required(*MANAGERS)
def project_attendance(project_id: int):
    """出欠と活動時間: one day's sheet for every confirmed participant, saved in one transaction (a bad line is
    422 beside it and nothing is saved), and the project's participation record below."""
    project = _managed(project_id)
    day, date_error = parse_day(request.args.get("date"), today_jst())
    apps = attendance.participants(project)
    known = attendance.records_on(project, day)
    if request.method == "GET" or date_error:
        rows = [row_from_record(a, known.get(a.id)) for a in apps]
        return _sheet(project, day, rows, status=422 if date_error else 200, date_error=date_error)
    rows = parse_attendance(request.form, apps, recorded=set(known))
    if not any(r.errors for r in rows):
        try:
            for r in rows:
                if r.attended is not None:
                    services.record_attendance(r.application, _me(), activity_date=day, attended=r.attended,
                                               minutes=r.minutes, participants=r.count, note=r.note)
        except FieldRefused as e:  # ``r`` is the line the service refused
            db.session.rollback()
            r.errors[e.field] = e.message
        except Conflict:
            db.session.rollback()
            raise
    if any(r.errors for r in rows):
        db.session.rollback()
        return _sheet(_managed(project_id), day, rows, status=422)
    db.session.commit()
    flash(_("%(day)sの出欠と活動時間を保存しました。", day=local_day(day)), "success")
    return redirect_to(url_for("applications.project_attendance", project_id=project_id, date=day.isoformat()))


@bp.app_context_processor
def _review_helpers() -> dict:
    """For the summaries included in other domains' pages (called only where they are included)."""
    return {"application_desk_counts": review.desk_counts,
            "application_workspace_summary": review.workspace_summary}


@bp.context_processor
def _review_labels() -> dict:
    return {"age_days": review.age_days, "hours": attendance.hours, "now": utcnow()}
