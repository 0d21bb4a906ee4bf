"""協働のパートナーの選定 (V-2) and 協働事業の協定 (V-3): choosing partners, and both sides confirming the agreement.

Plain functions: they change the session and the calling view commits once. Exported for other slices:
:func:`reset_agreement` (call it when the role split, period or budget change during 協定).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import exists, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from .. import audit
from ..errors import Conflict, FieldRefused, NotAllowed, RuleViolation
from ..extensions import db
from ..i18n import today_jst
from ..labels import GROUP_TYPE_LABELS
from ..models import (
    CivicGroup,
    GroupRepresentative,
    GroupStatus,
    Project,
    ProjectPartner,
    ProjectStatus,
    User,
    VolunteerProfile,
    utcnow,
)
from ..notifications import notify_many, site_path
from .lifecycle import can_manage, lock_project

REASON_MAX = 2000
SEARCH_LIMIT = 20


# --- who may do what ------------------------------------------------------------------------------------------

def can_select_partners(user, project: Project) -> bool:
    """Choose or remove partners: those who manage the project, while it is in 選定."""
    return can_manage(user, project) and project.status == ProjectStatus.SELECTING


# --- helpers --------------------------------------------------------------------------------------------------

def partner_name(partner: ProjectPartner) -> str:
    """The public name: the group's name, or the volunteer's display name (never the real name)."""
    if partner.group is not None:
        return partner.group.name
    return partner.volunteer.display_name if partner.volunteer is not None else _("（退会した利用者）")


# --- 選定: choosing and removing partners ------------------------------------------------------------------------

@dataclass
class _Choice:
    column: object  # ProjectPartner.group_id or .volunteer_user_id
    name: str
    needed: int
    full: str  # the refusal when no place is left
    recipients: list[User]


def _group_choice(project: Project, group_id: int) -> _Choice:
    group = db.session.get(CivicGroup, group_id)
    if group is None:
        raise RuleViolation(_("選んだ団体が見つかりません。画面を読み込み直してください。"))
    if group.status != GroupStatus.VERIFIED:
        raise RuleViolation(_("「%(name)s」は市民活動センターの確認が済んでいないため、パートナーに選べません。",
                              name=group.name))
    needed = project.needed_groups or 0
    full = (_("募集する団体数（%(n)d団体）まで選定済みです。", n=needed) if needed
            else _("この事業は団体を募集していません。"))
    return _Choice(ProjectPartner.group_id, group.name, needed, full, [r.user for r in group.representatives])


def _volunteer_choice(project: Project, user_id: int, today: date) -> _Choice:
    profile = db.session.get(VolunteerProfile, user_id)
    user = profile.user if profile is not None else None
    if profile is None or user is None or not user.is_active:
        raise RuleViolation(_("人材バンクに登録している個人ボランティアだけをパートナーに選べます。"))
    if profile.expires_on is None or profile.expires_on < today:
        message = _("「%(name)s」さんは人材バンクの登録の有効期限が切れているため選べません。更新後に選んでください。",
                    name=user.display_name)
        raise RuleViolation(message)
    needed = project.needed_individuals or 0
    full = (_("募集する人数（%(n)d人）まで選定済みです。", n=needed) if needed
            else _("この事業は個人の参加者を募集していません。"))
    return _Choice(ProjectPartner.volunteer_user_id, user.display_name, needed, full, [user])


def select_partner(project: Project, actor, *, group_id: int | None = None, volunteer_user_id: int | None = None,
                   reason: str, today: date | None = None) -> ProjectPartner:
    """Choose a verified group or a volunteer with a current registration as a partner, with the reason
    (選定理由, published: 選定過程の公開), and notify them.

    Raises NotAllowed (403) for someone who does not manage the project; Conflict (409) outside 選定, for the
    same partner twice, or beyond the number of groups / individuals the project asks for; FieldRefused
    ("reason") without a reason; RuleViolation (422) for an unverified group or a lapsed registration.
    """
    if not can_manage(actor, project):
        raise NotAllowed()
    if project.status != ProjectStatus.SELECTING:
        raise Conflict(_("パートナーを選べるのは「選定中」の事業だけです。"))
    if (group_id is None) == (volunteer_user_id is None):
        raise RuleViolation(_("パートナーにする団体か個人を一つ選んでください。"))
    reason = (reason or "").strip()
    if not reason:
        raise FieldRefused("reason", _("選定理由を入力してください。選定理由は事業のページで公開されます。"))
    if len(reason) > REASON_MAX:
        raise FieldRefused("reason", _("選定理由は%(n)d文字以内で入力してください。", n=REASON_MAX))
    lock_project(project)
    if group_id is not None:
        choice = _group_choice(project, group_id)
    else:
        choice = _volunteer_choice(project, volunteer_user_id, today or today_jst())
    chosen = group_id if group_id is not None else volunteer_user_id
    twice = Conflict(_("「%(name)s」はすでにパートナーに選ばれています。", name=choice.name))
    if db.session.scalar(select(exists().where(ProjectPartner.project_id == project.id, choice.column == chosen))):
        raise twice
    count = db.session.scalar(select(func.count()).select_from(ProjectPartner).where(
        ProjectPartner.project_id == project.id, choice.column.is_not(None))) or 0
    if count >= choice.needed:
        raise Conflict(choice.full)
    partner = ProjectPartner(project_id=project.id, group_id=group_id, volunteer_user_id=volunteer_user_id,
                             reason=reason, selected_by_id=actor.id, selected_at=utcnow())
    try:
        with db.session.begin_nested():
            db.session.add(partner)
    except IntegrityError:  # chosen by someone else a moment ago (the unique constraint)
        raise twice from None
    db.session.expire(project, ["partners"])
    audit.record("project_partner_selected", actor=actor, target=f"project:{project.id}",
                 partner=f"group:{group_id}" if group_id else f"user:{volunteer_user_id}")
    notify_many(choice.recipients, "project_partner_selected",
                _l("「%(title)s」の協働のパートナーに選ばれました。協定の内容を確認してください。",
                   title=project.title),
                site_path("projects.agreement", project_id=project.id))
    return partner


def remove_partner(project: Project, actor, partner_id: int, reason: str) -> None:
    """Undo a choice while the project is in 選定, with a reason (kept in the audit log; the partner is told).

    Raises NotAllowed (403), Conflict (409) outside 選定 or when the choice no longer exists, FieldRefused
    ("reason") without a reason.
    """
    if not can_manage(actor, project):
        raise NotAllowed()
    if project.status != ProjectStatus.SELECTING:
        raise Conflict(_("パートナーの選定を取り消せるのは「選定中」の事業だけです。"))
    reason = (reason or "").strip()
    if not reason:
        raise FieldRefused("reason", _("取り消す理由を入力してください。"))
    partner = db.session.scalar(select(ProjectPartner).where(ProjectPartner.id == partner_id,
                                                             ProjectPartner.project_id == project.id))
    if partner is None:
        raise Conflict(_("この選定はすでに取り消されています。"))
    recipients = [partner.volunteer] if partner.volunteer else [r.user for r in partner.group.representatives]
    audit.record("project_partner_removed", actor=actor, target=f"project:{project.id}",
                 partner=f"group:{partner.group_id}" if partner.group_id else f"user:{partner.volunteer_user_id}",
                 reason=reason[:REASON_MAX])
    db.session.delete(partner)
    db.session.flush()
    db.session.expire(project, ["partners"])
    notify_many(recipients, "project_partner_removed",
                _l("「%(title)s」の協働のパートナーの選定が取り消されました。理由: %(reason)s",
                  title=project.title, reason=reason[:200]),
                site_path("projects.show", project_id=project.id))


@dataclass
class Candidates:
    """Public facts only: for groups name, type and districts; for volunteers display name and districts."""

    groups: list[dict]
    volunteers: list[dict]


def _like(q: str) -> str:
    escaped = q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def candidates(project: Project, q: str, *, today: date | None = None, limit: int = SEARCH_LIMIT) -> Candidates:
    """Who may still be chosen, filtered by name: verified groups (when the project asks for groups) and
    volunteers whose card is public and whose registration is current (when it asks for individuals).

    Current partners are left out. Volunteers are matched by display name only, never by real name.
    """
    q = (q or "").strip()[:100]
    today = today or today_jst()
    groups: list[dict] = []
    volunteers: list[dict] = []
    if project.needed_groups:
        query = (select(CivicGroup).where(CivicGroup.status == GroupStatus.VERIFIED)
                 .where(~CivicGroup.id.in_(select(ProjectPartner.group_id).where(
                     ProjectPartner.project_id == project.id, ProjectPartner.group_id.is_not(None))))
                 .options(selectinload(CivicGroup.districts)).order_by(CivicGroup.name, CivicGroup.id).limit(limit))
        if q:
            query = query.where(or_(CivicGroup.name.ilike(_like(q), escape="\\"),
                                    CivicGroup.name_kana.ilike(_like(q), escape="\\")))
        groups = [{"id": g.id, "name": g.name, "type": GROUP_TYPE_LABELS.get(g.group_type, ""),
                   "districts": [d.name for d in g.districts]} for g in db.session.scalars(query)]
    if project.needed_individuals:
        query = (select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
                 .where(VolunteerProfile.public_card.is_(True), User.active.is_(True), User.deleted_at.is_(None),
                        VolunteerProfile.expires_on >= today)
                 .where(~VolunteerProfile.user_id.in_(select(ProjectPartner.volunteer_user_id).where(
                     ProjectPartner.project_id == project.id, ProjectPartner.volunteer_user_id.is_not(None))))
                 .options(selectinload(VolunteerProfile.districts), selectinload(VolunteerProfile.user))
                 .order_by(User.display_name, User.id).limit(limit))
        if q:
            query = query.where(User.display_name.ilike(_like(q), escape="\\"))
        volunteers = [{"user_id": p.user_id, "display_name": p.user.display_name,
                       "districts": [d.name for d in p.districts]} for p in db.session.scalars(query)]
    return Candidates(groups, volunteers)


def load_partners(project_id: int) -> Project | None:
    """The project with its partners, their groups' representatives and the volunteers, in a few queries."""
    return db.session.scalar(select(Project).where(Project.id == project_id).options(
        selectinload(Project.department), selectinload(Project.contact_user),
        selectinload(Project.partners).selectinload(ProjectPartner.volunteer),
        selectinload(Project.partners).selectinload(ProjectPartner.group)
        .selectinload(CivicGroup.representatives).selectinload(GroupRepresentative.user)))


# --- わたしの協働事業 ----------------------------------------------------------------------------------------------

def partnered_projects(user) -> list[Project]:
    """Projects where ``user`` is a partner: as the volunteer, or as a representative of a partner group.
    One query for the projects, and selectinload for what the list shows (no N+1)."""
    if not getattr(user, "is_authenticated", False):
        return []
    rep_groups = select(GroupRepresentative.group_id).where(GroupRepresentative.user_id == user.id)
    mine = select(ProjectPartner.project_id).where(or_(ProjectPartner.volunteer_user_id == user.id,
                                                       ProjectPartner.group_id.in_(rep_groups)))
    return list(db.session.scalars(
        select(Project).where(Project.id.in_(mine))
        .options(selectinload(Project.department),
                 selectinload(Project.partners).selectinload(ProjectPartner.group),
                 selectinload(Project.partners).selectinload(ProjectPartner.volunteer))
        .order_by(Project.updated_at.desc(), Project.id.desc())))
