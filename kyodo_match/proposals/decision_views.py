"""担当課への振り分けと判断: the centre's queue and routing, the department's list, accepting and declining."""

from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..access import permitted, roles_required
from ..errors import commit_unless_refused
from ..extensions import db
from ..htmx import is_htmx, redirect_to, render
from ..models import Proposal, Role
from ..pagination import page_arg
from . import queries, services
from .forms import AcceptForm, DeclineForm, RouteForm
from .views import PER_PAGE, bp

S = services.S
OVERSEERS = (Role.COORDINATOR, Role.ADMIN)
DECIDERS = (Role.STAFF, Role.COORDINATOR, Role.ADMIN)
DEPARTMENT_STATUSES = (S.ROUTED.value, S.ACCEPTED.value, S.DECLINED.value)


def _actionable(proposal_id: int) -> Proposal:
    """404 when missing; 403 for staff who may not see it (another department's proposal)."""
    return permitted(queries.load_proposal(proposal_id), services.can_see_proposal)


def _route_row(proposal: Proposal, form=None, status: int = 200):
    return render("proposals/route.html", block="row", status=status, proposal=proposal, form=form,
                  departments=services.active_departments())


def _decision_row(proposal: Proposal, status: int = 200, accept_form=None, decline_form=None):
    return render("proposals/decide.html", block="row", status=status, proposal=proposal,
                  accept_form=accept_form, decline_form=decline_form)


@bp.route("/queue")
@roles_required(*OVERSEERS)
def queue():
    """事業提案の振り分け: submitted proposals (oldest first) to route, and routed ones to re-route."""
    status = request.args.get("status", S.SUBMITTED.value)
    status = status if status in services.OPEN else S.SUBMITTED.value
    pagination = db.paginate(queries.queue_query(status), page=page_arg(), per_page=PER_PAGE, error_out=False)
    return render("proposals/queue.html", pagination=pagination, current=status, form=None,
                  departments=services.active_departments())


@bp.route("/<int:proposal_id>/route", methods=["POST"])
@roles_required(*OVERSEERS)
def route(proposal_id: int):
    """担当課に振り分ける: one row of the queue, swapped in place (409 once decided)."""
    proposal = _actionable(proposal_id)
    form = RouteForm()
    if form.validate_on_submit() and commit_unless_refused(form, lambda: services.route_proposal(
            proposal, form.department_id.data, current_user._get_current_object(), note=form.note.data or "")):
        flash(_("「%(title)s」を%(dept)sに振り分けました。", title=proposal.title, dept=proposal.department.name),
              "success")
        return _route_row(proposal) if is_htmx() else redirect_to(url_for("proposals.queue", status=S.ROUTED.value))
    return _route_row(proposal, form=form, status=422)


@bp.route("/department")
@roles_required(Role.STAFF)
def department():
    """担当課に届いた提案: proposals routed to my department, to accept or decline; and those decided."""
    status = request.args.get("status", S.ROUTED.value)
    status = status if status in DEPARTMENT_STATUSES else S.ROUTED.value
    pagination = db.paginate(queries.department_query(current_user.department_id, status), page=page_arg(),
                             per_page=PER_PAGE, error_out=False)
    return render("proposals/department.html", pagination=pagination, current=status,
                  statuses=DEPARTMENT_STATUSES, department=current_user.department)


@bp.route("/<int:proposal_id>/accept", methods=["POST"])
@roles_required(*DECIDERS)
def accept(proposal_id: int):
    """採用する: a draft project of the department is created from the proposal (409 unless routed)."""
    proposal = _actionable(proposal_id)
    form = AcceptForm()
    project = None

    def save():
        nonlocal project
        project = services.accept_proposal(proposal, current_user._get_current_object(),
                                           comment=form.comment.data or "")

    if form.validate_on_submit() and commit_unless_refused(form, save):
        flash(_("「%(title)s」を採用し、事業の下書きをつくりました。内容を整えてから公開してください。",
                title=proposal.title), "success")
        return _decision_row(proposal) if is_htmx() else redirect_to(url_for("projects.show", project_id=project.id))
    return _decision_row(proposal, status=422, accept_form=form)


@bp.route("/<int:proposal_id>/decline", methods=["POST"])
@roles_required(*DECIDERS)
def decline(proposal_id: int):
    """不採用にする: the reason is required, sent to the proposers and shown publicly (409 unless routed)."""
    proposal = _actionable(proposal_id)
    form = DeclineForm()
    if form.validate_on_submit() and commit_unless_refused(form, lambda: services.decline_proposal(
            proposal, current_user._get_current_object(), form.reason.data or "")):
        flash(_("「%(title)s」を不採用にしました。理由は提案者に伝わり、公開されます。", title=proposal.title),
              "success")
        return _decision_row(proposal) if is_htmx() else redirect_to(url_for("proposals.show", proposal_id=proposal.id))
    return _decision_row(proposal, status=422, decline_form=form)
