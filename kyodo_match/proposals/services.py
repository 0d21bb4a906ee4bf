"""事業提案 (IV-3-(2) 事業提案制度): proposing, routing to a department (担当課), accepting into a draft or declining.

Plain functions named for what users do; they change the session and the calling view commits once.
The steps a proposal may take are declared once, in :data:`TRANSITIONS`, with who may take each of them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import selectinload

from .. import audit
from ..errors import Conflict, FieldRefused, NotAllowed
from ..extensions import db
from ..models import (
    Area,
    CivicGroup,
    Department,
    District,
    GroupRepresentative,
    GroupStatus,
    Project,
    Proposal,
    ProposalStatus,
    Role,
    User,
    utcnow,
)
from ..notifications import department_staff, later, notify_many
from ..projects import services as project_services
from ..projects.lifecycle import is_overseer

S = ProposalStatus
STATUS_LABELS = {
    S.SUBMITTED.value: _l("受付（担当課への振り分け待ち）"),
    S.ROUTED.value: _l("担当課で検討中"),
    S.ACCEPTED.value: _l("採用"),
    S.DECLINED.value: _l("不採用"),
}
DECIDED = frozenset({S.ACCEPTED.value, S.DECLINED.value})  # 結果を公開する
OPEN = frozenset({S.SUBMITTED.value, S.ROUTED.value})
CITIZEN = _l("市民の方")  # how an individual proposer is shown publicly: never a person's name


# --- who may do what ------------------------------------------------------------------------------------------

def _signed_in(user) -> bool:
    return bool(getattr(user, "is_authenticated", False))


def represented_group_ids(user) -> set[int]:
    if not _signed_in(user):
        return set()
    return set(db.session.scalars(select(GroupRepresentative.group_id).where(GroupRepresentative.user_id == user.id)))


def is_proposer(user, proposal: Proposal) -> bool:
    """The person who proposed, or (for a group's proposal) any representative of that group."""
    if not _signed_in(user):
        return False
    if proposal.group_id is not None:
        return proposal.group_id in represented_group_ids(user)
    return proposal.proposer_id == user.id


def is_department_staff(user, proposal: Proposal) -> bool:
    """Staff of the department the proposal was routed to (担当課)."""
    return bool(_signed_in(user) and proposal.department_id is not None and user.has_role(Role.STAFF)
                and user.department_id == proposal.department_id)


def can_propose(user) -> bool:
    """Volunteers (for themselves) and group representatives (for a verified group they represent)."""
    return _signed_in(user) and user.has_role(Role.VOLUNTEER, Role.GROUP_REP)


def can_see_proposal(user, proposal: Proposal) -> bool:
    """Public once decided; before that only its proposers, the centre and the routed department."""
    return (proposal.status in DECIDED or is_proposer(user, proposal) or is_overseer(user)
            or is_department_staff(user, proposal))


def _may_route(user, proposal: Proposal) -> bool:
    return is_overseer(user)


def _may_decide(user, proposal: Proposal) -> bool:
    return is_overseer(user) or is_department_staff(user, proposal)


# --- the steps, declared once ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    label: object  # the button's words
    may: Callable[[object, Proposal], bool]  # who may take it


TRANSITIONS: dict[tuple[str, str], Step] = {
    (S.SUBMITTED.value, S.ROUTED.value): Step(_l("担当課に振り分ける"), _may_route),
    (S.ROUTED.value, S.ROUTED.value): Step(_l("別の担当課に振り分け直す"), _may_route),
    (S.ROUTED.value, S.ACCEPTED.value): Step(_l("採用して事業の下書きをつくる"), _may_decide),
    (S.ROUTED.value, S.DECLINED.value): Step(_l("不採用にする"), _may_decide),
}


def can_take(user, proposal: Proposal, target: str) -> bool:
    """The table allows this step from the proposal's state, and ``user`` may take it."""
    step = TRANSITIONS.get((proposal.status, target))
    return step is not None and step.may(user, proposal)


def _check(proposal: Proposal, target: str, actor) -> None:
    """Who first (403 for someone who may never take a step to ``target`` here), then the state (409)."""
    steps = [s for (_source, t), s in TRANSITIONS.items() if t == target]
    if not any(s.may(actor, proposal) for s in steps):
        raise NotAllowed()
    if (proposal.status, target) not in TRANSITIONS:
        raise Conflict(_("「%(status)s」の提案は、「%(step)s」ことはできません。",
                         status=STATUS_LABELS.get(proposal.status, proposal.status),
                         step=_step_words(target)))


def _step_words(target: str) -> str:
    return {S.ROUTED.value: _("担当課に振り分ける"), S.ACCEPTED.value: _("採用する"),
            S.DECLINED.value: _("不採用にする")}.get(target, target)


def _claim(proposal: Proposal, target: str, **values) -> None:
    """Move the row only if nobody moved it meanwhile (a conditional UPDATE holds on SQLite and PostgreSQL)."""
    where = [Proposal.id == proposal.id, Proposal.status == proposal.status]
    where.append(Proposal.department_id.is_(None) if proposal.department_id is None
                 else Proposal.department_id == proposal.department_id)
    result = db.session.execute(update(Proposal).where(*where).values(status=target, **values))
    if result.rowcount != 1:
        raise Conflict(_("この提案は、ほかの方が先に操作しました。"
                         "画面を読み込み直して、最新の状態を確認してください。"))
    for key, value in {"status": target, **values}.items():
        setattr(proposal, key, value)


# --- proposing ------------------------------------------------------------------------------------------------

def proposable_groups(user) -> tuple[list[CivicGroup], list[CivicGroup]]:
    """The groups ``user`` represents: (verified — may propose for them, not yet verified — may not)."""
    if not _signed_in(user):
        return [], []
    groups = db.session.scalars(
        select(CivicGroup).join(GroupRepresentative, GroupRepresentative.group_id == CivicGroup.id)
        .where(GroupRepresentative.user_id == user.id).order_by(CivicGroup.name_kana, CivicGroup.id)).all()
    verified = [g for g in groups if g.status == GroupStatus.VERIFIED.value]
    return verified, [g for g in groups if g.status != GroupStatus.VERIFIED.value]


def district_areas() -> list[Area]:
    """Areas with their active districts, for the checkboxes (none chosen = the whole city)."""
    return list(db.session.scalars(select(Area).order_by(Area.position).options(
        selectinload(Area.districts.and_(District.active.is_(True))))))


TEXT_FIELDS = ("title", "problem", "idea", "offer", "ask")


def submit_proposal(user: User, data: dict) -> Proposal:
    """提案する: a volunteer for themself (``group_id`` None), or a representative for a verified group.

    Raises NotAllowed for a user who may not propose or a group they do not represent, FieldRefused("group_id")
    for a group not yet verified (or a representative without a group), FieldRefused for a missing text.
    """
    if not can_propose(user):
        raise NotAllowed()
    group_id = data.get("group_id")
    group = None
    if group_id is None:
        if not user.has_role(Role.VOLUNTEER):
            raise FieldRefused("group_id", _("提案する団体を選んでください。個人として提案するには、"
                                             "ボランティアとしての登録が必要です。"))
    else:
        group = db.session.get(CivicGroup, group_id)
        if group is None or group.id not in represented_group_ids(user):
            raise NotAllowed()
        if group.status != GroupStatus.VERIFIED.value:
            raise FieldRefused("group_id", _("「%(name)s」は、まだ市民活動センターの確認が済んでいないため、"
                                             "団体として提案できません。確認が済んでから、もう一度お試しください。",
                                             name=group.name))
    values = {name: (data.get(name) or "").strip() for name in TEXT_FIELDS}
    required = (("title", _("題名を入力してください。")), ("problem", _("どんな地域課題かを入力してください。")),
                ("idea", _("解決のアイデアを入力してください。")))
    for name, message in required:
        if not values[name]:
            raise FieldRefused(name, message)
    proposal = Proposal(proposer_id=user.id, group_id=group.id if group else None,
                        status=S.SUBMITTED.value, **values)
    district_ids = list(dict.fromkeys(data.get("district_ids") or ()))
    proposal.districts = list(db.session.scalars(
        select(District).where(District.id.in_(district_ids)))) if district_ids else []
    db.session.add(proposal)
    db.session.flush()
    audit.record("proposal_submitted", actor=user, target=f"proposal:{proposal.id}", group=proposal.group_id)
    return proposal


# --- routing and deciding -------------------------------------------------------------------------------------

def _link(proposal: Proposal) -> str:
    return url_for("proposals.show", proposal_id=proposal.id)


def proposers(proposal: Proposal) -> list[User]:
    """Who hears about the proposal: every representative of its group, or the person who proposed."""
    if proposal.group_id is not None:
        return list(db.session.scalars(
            select(User).join(GroupRepresentative, GroupRepresentative.user_id == User.id)
            .where(GroupRepresentative.group_id == proposal.group_id).order_by(User.id)))
    return [proposal.proposer] if proposal.proposer is not None else []


def active_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.active.is_(True))
                                   .order_by(Department.position, Department.id)))


def route_proposal(proposal: Proposal, department_id: int | None, actor: User, *, note: str = "") -> None:
    """担当課に振り分ける (or re-route a routed one elsewhere): coordinators and administrators only.

    The proposers and the department's staff are told; the note goes to the staff. Raises NotAllowed (403),
    Conflict (409) for a decided proposal, FieldRefused("department_id") for no, an unknown or the same department.
    """
    _check(proposal, S.ROUTED.value, actor)
    department = db.session.get(Department, department_id) if department_id else None
    if department is None or not department.active:
        raise FieldRefused("department_id", _("振り分ける担当課を選んでください。"))
    if department.id == proposal.department_id:
        raise FieldRefused("department_id", _(
            "この提案は、すでに%(dept)sに振り分けています。別の担当課を選んでください。", dept=department.name))
    before = proposal.department_id
    _claim(proposal, S.ROUTED.value, department_id=department.id, routed_by_id=actor.id)
    note = (note or "").strip()[:300]
    notify_many(proposers(proposal), "proposal_routed", _l(
        "事業提案「%(title)s」を%(dept)sに届けました。担当課が検討し、結果をお知らせします。",
        title=proposal.title, dept=department.name), _link(proposal))
    message = later(lambda: _("市民活動センターから、事業提案「%(title)s」が%(dept)sに振り分けられました。"
                              "採用か不採用かを決めてください。", title=proposal.title, dept=department.name)
                    + (_("センターからのメモ: %(note)s", note=note) if note else ""))
    notify_many(department_staff(department.id), "proposal_routed_to_department", message, _link(proposal))
    audit.record("proposal_routed", actor=actor, target=f"proposal:{proposal.id}", before=before,
                 after=department.id, note=note or None)


def accept_proposal(proposal: Proposal, actor: User, *, comment: str = "") -> Project:
    """採用する: the routed department (or the centre) turns the proposal into a draft project (検討中) of that
    department, linked back to the proposal; the proposers are told. ``comment`` is shown publicly.

    Raises NotAllowed for staff of another department, Conflict (409) unless the proposal is routed.
    """
    _check(proposal, S.ACCEPTED.value, actor)
    department_id = proposal.department_id
    _claim(proposal, S.ACCEPTED.value, decided_by_id=actor.id, decided_at=utcnow(),
           decision_reason=(comment or "").strip()[:2000])
    project = project_services.create_project(department_id, actor, {
        "title": proposal.title, "background": proposal.problem, "purpose": proposal.idea,
        "partner_role": proposal.offer, "city_role": proposal.ask,
        "district_ids": [d.id for d in proposal.districts]})
    project.proposal_id = proposal.id
    notify_many(proposers(proposal), "proposal_accepted", _l(
        "事業提案「%(title)s」が%(dept)sに採用されました。担当課が協働事業として準備を始めます。"
        "公開されたら、提案のページから事業のページを開けます。",
        title=proposal.title, dept=proposal.department.name if proposal.department else ""), _link(proposal))
    audit.record("proposal_accepted", actor=actor, target=f"proposal:{proposal.id}", project=project.id)
    return project


def decline_proposal(proposal: Proposal, actor: User, reason: str) -> None:
    """不採用にする, with a reason that is shown publicly and sent to the proposers.

    Raises NotAllowed for staff of another department, Conflict (409) unless routed, FieldRefused("reason").
    """
    _check(proposal, S.DECLINED.value, actor)
    reason = (reason or "").strip()[:2000]
    if not reason:
        raise FieldRefused("reason", _("不採用の理由を入力してください。理由は提案者に伝わり、公開されます。"))
    _claim(proposal, S.DECLINED.value, decided_by_id=actor.id, decided_at=utcnow(), decision_reason=reason)
    notify_many(proposers(proposal), "proposal_declined", _l(
        "事業提案「%(title)s」は、今回は不採用となりました。理由: %(reason)s", title=proposal.title, reason=reason),
        _link(proposal))
    audit.record("proposal_declined", actor=actor, target=f"proposal:{proposal.id}")
