"""事業提案: the public list of decided proposals, a proposal's page, proposing, and my proposals."""

from __future__ import annotations

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from ..access import public, roles_required
from ..errors import commit_unless_refused
from ..extensions import db
from ..htmx import redirect_to, render
from ..models import Proposal, Role
from ..pagination import page_arg
from ..projects.lifecycle import can_manage, is_overseer
from . import queries, services
from .forms import ProposalForm

bp = Blueprint("proposals", __name__)

PER_PAGE = 20
PROPOSERS = (Role.VOLUNTEER, Role.GROUP_REP)
NOT_A_PROPOSER = _l("事業を提案できるのは、ボランティアとして登録した方と、確認済みの団体の代表者です。"
                    "アカウントの登録について、関市市民活動センターにご相談ください。")


def _status() -> int:
    return 422 if request.method == "POST" else 200


def load_proposal(proposal_id: int) -> Proposal:
    """The proposal, if the current user may see it; 404 otherwise, so that an undecided one does not show."""
    proposal = queries.load_proposal(proposal_id)
    if proposal is None or not services.can_see_proposal(current_user, proposal):
        abort(404)
    return proposal


def show_page(proposal: Proposal):
    """The proposal's page, with the steps the current user may take on it."""
    project = proposal.project
    return render(
        "proposals/show.html", proposal=proposal,
        published=queries.published_project(proposal),
        draft=project if project is not None and can_manage(current_user, project) else None,
        private=is_overseer(current_user), is_proposer=services.is_proposer(current_user, proposal),
        can_route=services.can_take(current_user, proposal, services.S.ROUTED.value),
        can_decide=services.can_take(current_user, proposal, services.S.ACCEPTED.value),
        departments=services.active_departments() if is_overseer(current_user) else [])


@bp.route("/")
@public
def index():
    """事業提案の結果: what 事業提案 is, and decided proposals with their outcome; htmx swaps #proposal-results."""
    outcome = request.args.get("outcome", "")
    outcome = outcome if outcome in services.DECIDED else ""
    pagination = db.paginate(queries.decided_query(outcome or None), page=page_arg(), per_page=PER_PAGE,
                             error_out=False)
    return render("proposals/index.html", block="results", pagination=pagination, outcome=outcome,
                  can_propose=services.can_propose(current_user))


@bp.route("/new", methods=["GET", "POST"])
@roles_required(*PROPOSERS, refusal=NOT_A_PROPOSER)
def new():
    """事業を提案する: for oneself (volunteers) or for a verified group one represents."""
    user = current_user._get_current_object()
    verified, unverified = services.proposable_groups(user)
    areas = services.district_areas()
    form = ProposalForm()
    form.set_choices(user, verified, areas)
    proposal = None

    def save():
        nonlocal proposal
        proposal = services.submit_proposal(user, form.values())

    if form.validate_on_submit() and commit_unless_refused(form, save):
        flash(_("提案を受け付けました。市民活動センターが内容を確認し、担当課に届けます。"), "success")
        return redirect_to(url_for("proposals.show", proposal_id=proposal.id))
    return render("proposals/form.html", block="form", status=_status(), form=form, areas=areas,
                  unverified=unverified)


@bp.route("/mine")
@roles_required(*PROPOSERS, refusal=NOT_A_PROPOSER)
def mine():
    """わたしの提案: my proposals and those of my groups, with where each one stands."""
    pagination = db.paginate(queries.mine_query(current_user), page=page_arg(), per_page=PER_PAGE,
                             error_out=False)
    return render("proposals/mine.html", pagination=pagination)


@bp.route("/<int:proposal_id>")
@public
def show(proposal_id: int):
    """The proposal's page: public once decided; before that only its proposers, the centre and the department."""
    return show_page(load_proposal(proposal_id))


@bp.context_processor
def _proposal_labels() -> dict:
    return {"proposal_status_labels": services.STATUS_LABELS, "proposer_label": queries.proposer_label,
            "proposal_steps": services.TRANSITIONS, "decided_statuses": services.DECIDED,
            "published_project": queries.published_project}
