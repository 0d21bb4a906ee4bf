"""事業提案: reading — the public list of outcomes, my proposals, the centre's queue and a department's list.

Queries only (the rules and steps are in services.py); every list loads what its page shows up front (no N+1).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import Project, Proposal
from ..projects.lifecycle import PUBLIC_STATUSES
from .services import CITIZEN, DECIDED, S, represented_group_ids


def proposer_label(proposal: Proposal) -> str:
    """The public name of the proposer: the group's name, or 「市民の方」 (never a person's name)."""
    if proposal.group_id is not None and proposal.group is not None:
        return proposal.group.name
    return str(CITIZEN)


def published_project(proposal: Proposal) -> Project | None:
    """The project the proposal became, once it is published (a draft stays with its department)."""
    project = proposal.project
    return project if project is not None and project.status in PUBLIC_STATUSES else None


def _options():
    return (selectinload(Proposal.districts), joinedload(Proposal.group), joinedload(Proposal.department),
            selectinload(Proposal.project))


def load_proposal(proposal_id: int) -> Proposal | None:
    return db.session.scalar(select(Proposal).where(Proposal.id == proposal_id).options(
        *_options(), joinedload(Proposal.proposer)))


def decided_query(outcome: str | None = None):
    """Decided proposals, most recently decided first (the public list)."""
    statuses = [outcome] if outcome in DECIDED else sorted(DECIDED)
    return (select(Proposal).where(Proposal.status.in_(statuses)).options(*_options())
            .order_by(Proposal.decided_at.desc(), Proposal.id.desc()))


def mine_query(user):
    """The user's own proposals and those of the groups they represent, newest first."""
    groups = represented_group_ids(user)
    own = Proposal.proposer_id == user.id
    if groups:
        own = (own & Proposal.group_id.is_(None)) | Proposal.group_id.in_(groups)
    else:
        own = own & Proposal.group_id.is_(None)
    return select(Proposal).where(own).options(*_options()).order_by(Proposal.created_at.desc(), Proposal.id.desc())


def queue_query(status: str):
    """The centre's queue: submitted ones oldest first (first come, first routed); routed ones likewise."""
    return (select(Proposal).where(Proposal.status == status).options(*_options(), joinedload(Proposal.proposer))
            .order_by(Proposal.created_at, Proposal.id))


def department_query(department_id: int | None, status: str):
    order = (Proposal.created_at, Proposal.id) if status == S.ROUTED.value else (
        Proposal.decided_at.desc(), Proposal.id.desc())
    return (select(Proposal).where(Proposal.department_id == (department_id or -1), Proposal.status == status)
            .options(*_options()).order_by(*order))
