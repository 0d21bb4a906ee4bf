"""Civic groups (市民活動団体): registration, representatives, invitations and the registration status.

Plain functions named for what users do; they change the session and the calling view commits once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload, selectinload

from .. import audit, search
from ..errors import Conflict, FieldRefused, NotAllowed, RuleViolation
from ..extensions import db
from ..labels import GROUP_TYPE_LABELS, group_status_label
from ..mail import send_mail
from ..models import (
    SLOTS,
    ActivityField,
    Area,
    CivicGroup,
    District,
    GroupInvitation,
    GroupRepresentative,
    GroupStatus,
    GroupType,
    Role,
    Skill,
    SkillCategory,
    User,
    UserRole,
    utcnow,
)
from ..validation import clean_corporate_number, clean_url

INVITATION_DAYS = 14
STAFF_ROLES = (Role.COORDINATOR, Role.ADMIN)

# 法人番号 is asked of these types only (other groups have none).
CORPORATE_TYPES = frozenset({GroupType.NPO.value, GroupType.COMPANY.value})

class InvitationUnusable(RuleViolation):
    """The invitation link is unknown, already used or expired: shown like a missing page (404)."""

    status = 404


# --- the registration status, declared once -------------------------------------------------------------------

@dataclass(frozen=True)
class Transition:
    label: object  # the button text
    roles: tuple[Role, ...]  # who may make it
    needs_reason: bool  # 休止・停止 are explained to the group


P, V, H, S = (GroupStatus.PENDING.value, GroupStatus.VERIFIED.value, GroupStatus.PAUSED.value,
              GroupStatus.STOPPED.value)
TRANSITIONS: dict[tuple[str, str], Transition] = {
    (P, V): Transition(_l("確認済みにする"), STAFF_ROLES, needs_reason=False),
    (P, S): Transition(_l("差し戻す（停止）"), STAFF_ROLES, needs_reason=True),
    (V, H): Transition(_l("休止にする"), STAFF_ROLES, needs_reason=True),
    (V, S): Transition(_l("停止にする"), STAFF_ROLES, needs_reason=True),
    (H, V): Transition(_l("活動を再開する（確認済みに戻す）"), STAFF_ROLES, needs_reason=False),
    (H, S): Transition(_l("停止にする"), STAFF_ROLES, needs_reason=True),
    (S, V): Transition(_l("確認済みに戻す"), STAFF_ROLES, needs_reason=False),
}


def transitions_from(status: str) -> list[tuple[str, Transition]]:
    """The status changes possible from ``status``, as (target, transition)."""
    return [(target, t) for (source, target), t in TRANSITIONS.items() if source == status]


def change_status(group: CivicGroup, target: str, actor: User, reason: str | None = None) -> None:
    """Move a group to ``target``. Raises Conflict (409) for a change the table does not allow, NotAllowed
    when the actor may not make it, FieldRefused("reason") when a reason is needed and missing."""
    transition = TRANSITIONS.get((group.status, target))
    if transition is None:
        raise Conflict(_("「%(source)s」の団体を「%(target)s」にすることはできません。",
                         source=group_status_label(group.status), target=group_status_label(target)))
    if not actor.has_role(*transition.roles):
        raise NotAllowed()
    reason = (reason or "").strip()[:300]
    if transition.needs_reason and not reason:
        raise FieldRefused("reason", _("休止・停止にするときは、団体に伝える理由を入力してください。"))
    before = group.status
    group.status = target
    group.status_reason = reason or None
    if target == GroupStatus.VERIFIED.value:
        group.verified_at = utcnow()
        group.verified_by_id = actor.id
    search.enqueue("group", group.id)
    audit.record("group_status_changed", actor=actor, target=f"group:{group.id}", before=before, after=target,
                 reason=reason or None)


def verify_group(group: CivicGroup, actor: User) -> None:
    """確認済みにする: the group appears in the public directory. Raises like :func:`change_status`."""
    change_status(group, GroupStatus.VERIFIED.value, actor)


# --- who may do what ------------------------------------------------------------------------------------------

def is_representative(user, group: CivicGroup) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    return db.session.scalar(select(GroupRepresentative.id).where(
        GroupRepresentative.group_id == group.id, GroupRepresentative.user_id == user.id)) is not None


def can_edit_group(user, group: CivicGroup) -> bool:
    """A representative of this very group, or a coordinator or administrator."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.has_role(*STAFF_ROLES) or is_representative(user, group)


def can_see_group(user, group: CivicGroup) -> bool:
    """Verified groups are public; the others only to their representatives and to coordinators/admins."""
    return group.status == GroupStatus.VERIFIED.value or can_edit_group(user, group)


def can_register_group(user) -> bool:
    return getattr(user, "is_authenticated", False) and user.has_role(Role.GROUP_REP, *STAFF_ROLES)


# --- registering and editing -------------------------------------------------------------------------------

@dataclass
class ProfileChoices:
    """The reference data a group profile picks from (inactive skills and committees are not offered)."""

    fields: list[ActivityField]
    categories: list[SkillCategory]
    areas: list[Area]


def profile_choices() -> ProfileChoices:
    fields = db.session.scalars(select(ActivityField).order_by(ActivityField.code)).all()
    categories = db.session.scalars(select(SkillCategory).order_by(SkillCategory.position).options(
        selectinload(SkillCategory.skills.and_(Skill.active.is_(True))))).all()
    areas = db.session.scalars(select(Area).order_by(Area.position).options(
        selectinload(Area.districts.and_(District.active.is_(True))))).all()
    return ProfileChoices(list(fields), list(categories), list(areas))


PLAIN_FIELDS = ("name", "name_kana", "group_type", "representative_name", "members_count", "founded_year",
                "equipment", "facilities", "availability_note", "description", "public_contact",
                "contact_email", "contact_phone", "postal_code", "address")


def _apply(group: CivicGroup, data: dict) -> None:
    """Copy the form's cleaned values onto the group, checking the rules that span fields."""
    name = (data.get("name") or "").strip()
    if not name:
        raise FieldRefused("name", _("団体名を入力してください。"))
    group_type = data.get("group_type")
    if group_type not in GROUP_TYPE_LABELS:
        raise FieldRefused("group_type", _("団体の種類を選んでください。"))
    for key in PLAIN_FIELDS:
        value = data.get(key)
        setattr(group, key, value.strip() if isinstance(value, str) else value)
    group.name = name
    for key in ("name_kana", "representative_name", "equipment", "facilities", "availability_note", "description"):
        setattr(group, key, getattr(group, key) or "")
    group.corporate_number = _corporate_number(group_type, data.get("corporate_number"))
    website = data.get("website")
    try:
        group.website = clean_url(website) if website else None
    except ValueError as e:
        raise FieldRefused("website", str(e)) from e
    group.availability = [s for s in SLOTS if s in set(data.get("availability") or ())]
    group.skills = _rows(Skill, Skill.id, data.get("skill_ids"))
    group.fields = _rows(ActivityField, ActivityField.code, data.get("field_codes"))
    group.districts = _rows(District, District.id, data.get("district_ids"))


def _corporate_number(group_type: str, value: str | None) -> str | None:
    if group_type not in CORPORATE_TYPES:
        return None  # other types have no 法人番号: whatever was typed is dropped
    if not value:
        raise FieldRefused("corporate_number", _("NPO法人と企業は、法人番号（13桁）を入力してください。"))
    try:
        return clean_corporate_number(value)
    except ValueError as e:
        raise FieldRefused("corporate_number", str(e)) from e


def _rows(model, key, values) -> list:
    values = list(dict.fromkeys(values or ()))
    if not values:
        return []
    return list(db.session.scalars(select(model).where(key.in_(values))))


def register_group(user: User, data: dict) -> CivicGroup:
    """A representative (or a coordinator on the group's behalf) registers a group: it starts 申請中 and
    stays out of the directory until a coordinator verifies it. A group_rep becomes its first representative.
    Raises NotAllowed for other users, FieldRefused for a refused value."""
    if not can_register_group(user):
        raise NotAllowed()
    group = CivicGroup(status=GroupStatus.PENDING.value)
    _apply(group, data)
    if user.has_role(Role.GROUP_REP):
        group.representatives = [GroupRepresentative(user_id=user.id)]
    db.session.add(group)
    db.session.flush()
    search.enqueue("group", group.id)
    return group


def update_group(group: CivicGroup, data: dict) -> None:
    """Save the group's profile (the status does not change). Raises FieldRefused."""
    _apply(group, data)
    search.enqueue("group", group.id)


def form_data(group: CivicGroup) -> dict:
    """The group as the edit form's initial data."""
    data = {key: getattr(group, key) for key in PLAIN_FIELDS}
    data.update(corporate_number=group.corporate_number, website=group.website,
                availability=list(group.availability or []),
                skill_ids=[s.id for s in group.skills], field_codes=[f.code for f in group.fields],
                district_ids=[d.id for d in group.districts])
    return data


# --- representatives and invitations --------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_representative(group: CivicGroup, email: str, inviter: User) -> GroupInvitation:
    """E-mail a single-use link (valid 14 days) that makes its holder another representative of the group.

    Only the token's SHA-256 is stored. Raises NotAllowed unless the inviter may edit the group, and
    FieldRefused("email") when that address already belongs to one of its representatives.
    """
    if not can_edit_group(inviter, group):
        raise NotAllowed()
    already = db.session.scalar(
        select(GroupRepresentative.id).join(User, User.id == GroupRepresentative.user_id)
        .where(GroupRepresentative.group_id == group.id, func.lower(User.email) == email.lower()))
    if already is not None:
        raise FieldRefused("email", _("このメールアドレスの方は、すでにこの団体の代表者です。"))
    token = secrets.token_urlsafe(32)
    invitation = GroupInvitation(group_id=group.id, email=email, token_hash=_token_hash(token),
                                 invited_by_id=inviter.id, expires_at=utcnow() + timedelta(days=INVITATION_DAYS))
    db.session.add(invitation)
    db.session.flush()
    link = url_for("groups.accept_invitation", token=token, _external=True)
    send_mail(email, _("【協働マッチ】「%(name)s」の代表者への招待", name=group.name), _(
        "%(inviter)sさんから、関市の協働マッチで「%(name)s」の代表者に招待されました。\n\n"
        "次のリンクを開き、ログインしてから「代表者になる」を押してください（%(days)d日間有効・1回限り）。\n"
        "%(link)s\n\n"
        "協働マッチのアカウントをお持ちでない方は、先に新規登録をしてから、もう一度このリンクを開いてください。\n"
        "心当たりがない場合は、このメールを破棄してください。\n\n"
        "関市 市民協働課・関市市民活動センター",
        inviter=inviter.display_name, name=group.name, days=INVITATION_DAYS, link=link))
    audit.record("group_representative_invited", actor=inviter, target=f"group:{group.id}",
                 invitation=invitation.id)
    return invitation


def find_invitation(token: str) -> GroupInvitation:
    """The open invitation for this link. Raises InvitationUnusable (404) when unknown, used or expired."""
    invitation = db.session.scalar(select(GroupInvitation).where(GroupInvitation.token_hash == _token_hash(token)))
    if invitation is None or invitation.accepted_at is not None or invitation.expires_at <= utcnow():
        raise InvitationUnusable(_("この招待のリンクは使えません。有効期限が切れたか、すでに使われています。"
                                   "団体の代表者に、もう一度招待を送ってもらってください。"))
    return invitation


def accept_invitation(token: str, user: User) -> CivicGroup:
    """The signed-in user becomes a representative of the invitation's group (and gains the group_rep role).

    Single use. Raises InvitationUnusable when the link is unknown, used or expired.
    """
    invitation = find_invitation(token)
    invitation.accepted_at = utcnow()
    group = invitation.group
    if not is_representative(user, group):
        db.session.add(GroupRepresentative(group_id=group.id, user_id=user.id))
    if not user.has_role(Role.GROUP_REP):
        user.roles.append(UserRole(role=Role.GROUP_REP.value))
    audit.record("group_representative_joined", actor=user, target=f"group:{group.id}",
                 invitation=invitation.id)
    return group


def representatives(group: CivicGroup) -> list[GroupRepresentative]:
    return list(db.session.scalars(
        select(GroupRepresentative).options(joinedload(GroupRepresentative.user))
        .where(GroupRepresentative.group_id == group.id).order_by(GroupRepresentative.joined_at)))


def open_invitations(group: CivicGroup) -> list[GroupInvitation]:
    return list(db.session.scalars(
        select(GroupInvitation).where(GroupInvitation.group_id == group.id, GroupInvitation.accepted_at.is_(None),
                                      GroupInvitation.expires_at > utcnow()).order_by(GroupInvitation.created_at)))


def _lock_group(group_id: int) -> None:
    # PostgreSQL: two representatives leaving at once cannot both see the other one still there.
    # SQLite: write requests already run in BEGIN IMMEDIATE, one at a time.
    db.session.execute(select(CivicGroup.id).where(CivicGroup.id == group_id).with_for_update())


def leave_group(group: CivicGroup, user: User) -> None:
    """A representative stops representing the group. Raises NotAllowed for a non-representative and
    RuleViolation for the last representative (a group always has someone to contact)."""
    _lock_group(group.id)
    row = db.session.scalar(select(GroupRepresentative).where(
        GroupRepresentative.group_id == group.id, GroupRepresentative.user_id == user.id))
    if row is None:
        raise NotAllowed()
    count = db.session.scalar(select(func.count()).select_from(GroupRepresentative)
                              .where(GroupRepresentative.group_id == group.id))
    if count <= 1:
        raise RuleViolation(_("あなたはこの団体のただ一人の代表者のため、抜けることができません。"
                              "先にほかの方を代表者に招待し、その方が参加してから抜けてください。"))
    db.session.delete(row)
    audit.record("group_representative_left", actor=user, target=f"group:{group.id}")


# --- my account: export and deletion --------------------------------------------------------------------------

def memberships(user: User) -> list[GroupRepresentative]:
    return list(db.session.scalars(
        select(GroupRepresentative).options(joinedload(GroupRepresentative.group))
        .where(GroupRepresentative.user_id == user.id).order_by(GroupRepresentative.joined_at)))


def leave_all_groups_for_deletion(user: User) -> None:
    """Remove the user's representative rows before their account is deleted.

    Raises RuleViolation naming the groups where they are the last representative: hand them over first.
    """
    rows = memberships(user)
    for row in rows:
        _lock_group(row.group_id)
    counts = dict(db.session.execute(
        select(GroupRepresentative.group_id, func.count()).where(
            GroupRepresentative.group_id.in_([r.group_id for r in rows])).group_by(GroupRepresentative.group_id)
    ).all()) if rows else {}
    last = [r.group.name for r in rows if counts.get(r.group_id, 0) <= 1]
    if last:
        raise RuleViolation(
            _("あなたがただ一人の代表者になっている団体があるため、アカウントを削除できません。"
              "先にほかの方を代表者に招待し、その方に引き継いでから、もう一度お試しください。"),
            [_("ただ一人の代表者の団体: %(name)s", name=name) for name in last])
    for row in rows:
        db.session.delete(row)
