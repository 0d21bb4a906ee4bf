"""里親の申請 (adoption): applying for a section, and the approvals declared once as a table of steps.

申請 → 担当課承認 and センター承認 in either order (both needed) → 合意 (when the department writes the agreement,
see agreements.py); 見送り (a reason, shown to the group) or 取り下げ at any point before that. While an application
is being decided its section is 協議中; a declined or withdrawn one gives the section back (募集中).

Every change of status is a conditional ``UPDATE … WHERE status = <what we read>`` (409 when someone else moved it
first), so two people deciding at once cannot both win; an illegal step is Conflict (409), never a silent no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from ..access import is_centre
from ..errors import Conflict, FieldRefused, NotAllowed
from ..extensions import db
from ..models import (
    AdoptAgreement,
    Adoption,
    AdoptionStatus,
    AdoptSection,
    CivicGroup,
    GroupRepresentative,
    GroupStatus,
    Role,
    SectionStatus,
    utcnow,
)
from ..notifications import centre_users, department_staff, notify_many, site_path

A = AdoptionStatus

STATUS_LABELS = {
    A.APPLIED.value: _l("申請中"),
    A.DEPARTMENT_APPROVED.value: _l("担当課承認"),
    A.CENTRE_APPROVED.value: _l("センター承認"),
    A.AGREED.value: _l("合意"),
    A.DECLINED.value: _l("見送り"),
    A.WITHDRAWN.value: _l("取り下げ"),
}
BOTH_APPROVED_LABEL = _l("承認済み（合意書の作成待ち）")
SECTION_LABELS = {
    SectionStatus.OPEN.value: _l("募集中"),
    SectionStatus.NEGOTIATING.value: _l("協議中"),
    SectionStatus.ACTIVE.value: _l("活動中"),
    SectionStatus.PAUSED.value: _l("休止"),
    SectionStatus.ENDED.value: _l("終了"),
}
ACTIVITIES = {
    "cleaning": _l("清掃"), "mowing": _l("草刈り"), "flowerbed": _l("花壇の手入れ"),
    "planting": _l("植栽"), "patrol": _l("パトロール"), "other": _l("その他"),
}
LOCAL_TIES = {
    "live": _l("関市に住んでいる"), "study": _l("関市で学んでいる"), "work": _l("関市で働いている"),
    "other": _l("それ以外（市民活動センターの承認が必要です）"),
}
DECIDING = frozenset({A.APPLIED.value, A.DEPARTMENT_APPROVED.value, A.CENTRE_APPROVED.value})


# --- who is who ------------------------------------------------------------------------------------------------

def is_representative(user, group: CivicGroup | None) -> bool:
    return bool(getattr(user, "is_authenticated", False) and group is not None
                and any(r.user_id == user.id for r in group.representatives))


def is_department(user, section: AdoptSection) -> bool:
    """Staff of the section's managing department (担当課)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.STAFF)
                and user.department_id == section.department_id)


def can_see_adoption(user, adoption: Adoption) -> bool:
    return (is_representative(user, adoption.group) or is_department(user, adoption.section)
            or is_centre(user))


def both_approved(adoption: Adoption) -> bool:
    return (adoption.status in DECIDING and adoption.department_approved_by_id is not None
            and adoption.centre_approved_by_id is not None)


def status_label(adoption: Adoption):
    return BOTH_APPROVED_LABEL if both_approved(adoption) else STATUS_LABELS.get(adoption.status, adoption.status)


# --- the steps, declared once ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    label: object  # lazy string: the button's words
    sources: frozenset[str]
    target: str
    who: Callable[[object, Adoption], bool]
    guard: Callable[[Adoption], bool] = lambda a: True
    needs_reason: bool = False
    stamp: str | None = None  # the column that records who approved
    button: bool = True  # False: taken by another page (the agreement form), not offered as a button


def _dept(user, a):
    return is_department(user, a.section)


def _centre(user, a):
    return is_centre(user)


def _either(user, a):
    return is_department(user, a.section) or is_centre(user)


def _group(user, a):
    return is_representative(user, a.group)


STEPS: dict[str, Step] = {
    "department_approve": Step(_l("担当課として承認する"), frozenset({A.APPLIED.value, A.CENTRE_APPROVED.value}),
                               A.DEPARTMENT_APPROVED.value, _dept,
                               guard=lambda a: a.department_approved_by_id is None,
                               stamp="department_approved_by_id"),
    "centre_approve": Step(_l("センターとして承認する"), frozenset({A.APPLIED.value, A.DEPARTMENT_APPROVED.value}),
                           A.CENTRE_APPROVED.value, _centre, guard=lambda a: a.centre_approved_by_id is None,
                           stamp="centre_approved_by_id"),
    "decline": Step(_l("見送る"), DECIDING, A.DECLINED.value, _either, needs_reason=True),
    "withdraw": Step(_l("申請を取り下げる"), DECIDING, A.WITHDRAWN.value, _group),
    "agree": Step(_l("合意書を作成する"), frozenset({A.DEPARTMENT_APPROVED.value, A.CENTRE_APPROVED.value}),
                  A.AGREED.value, _dept, guard=both_approved, button=False),
}


def available_steps(adoption: Adoption, user) -> list[tuple[str, Step]]:
    """The buttons ``user`` may press on ``adoption`` now."""
    return [(name, s) for name, s in STEPS.items()
            if s.button and adoption.status in s.sources and s.guard(adoption) and s.who(user, adoption)]


def can_write_agreement(user, adoption: Adoption) -> bool:
    step = STEPS["agree"]
    return adoption.status in step.sources and step.guard(adoption) and step.who(user, adoption)


# --- moving -----------------------------------------------------------------------------------------------------

def set_section_status(section: AdoptSection, source: str | frozenset[str], target: str) -> bool:
    """Conditional UPDATE of the section's status; True when it moved."""
    sources = {source} if isinstance(source, str) else set(source)
    result = db.session.execute(
        update(AdoptSection).where(AdoptSection.id == section.id, AdoptSection.status.in_(sources))
        .values(status=target, updated_at=utcnow()).execution_options(synchronize_session=False))
    db.session.expire(section, ["status", "updated_at"])
    return result.rowcount == 1


def _claim(adoption: Adoption, source: str, target: str, stamp: str | None = None, **values) -> None:
    query = update(Adoption).where(Adoption.id == adoption.id, Adoption.status == source)
    if stamp:
        query = query.where(getattr(Adoption, stamp).is_(None))
    result = db.session.execute(query.values(status=target, updated_at=utcnow(), **values)
                                .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(adoption)
        raise Conflict(_("この申請はほかの人の操作で状態が変わりました。画面を更新してください。"))
    db.session.expire(adoption)


def group_side(adoption: Adoption) -> list:
    return [r.user for r in adoption.group.representatives]


def city_side(adoption: Adoption) -> list:
    return department_staff(adoption.section.department_id) + centre_users()


def move(adoption: Adoption, action: str, actor, *, reason: str = "") -> Adoption:
    """Take step ``action`` of STEPS. Raises NotAllowed (403) for someone not on the application or whose step it
    is not, Conflict (409) for a step the table does not allow now, FieldRefused (422, field ``reason``) when a
    reason is required and missing. Tells the other side. The caller commits."""
    if not can_see_adoption(actor, adoption):
        raise NotAllowed()
    step = STEPS.get(action)
    if step is None or adoption.status not in step.sources or not step.guard(adoption):
        raise Conflict(_("「%(status)s」の申請にこの操作はできません。", status=status_label(adoption)))
    if not step.who(actor, adoption):
        raise NotAllowed()
    reason = (reason or "").strip()[:2000]
    if step.needs_reason and not reason:
        raise FieldRefused("reason", _("理由を入力してください。理由は申請した団体に伝わります。"))
    values = {step.stamp: actor.id} if step.stamp else {}
    if step.needs_reason:
        values["reason"] = reason
    section, group_name = adoption.section, adoption.group.name
    _claim(adoption, adoption.status, step.target, step.stamp, **values)
    if step.target in (A.DECLINED.value, A.WITHDRAWN.value):
        set_section_status(section, SectionStatus.NEGOTIATING.value, SectionStatus.OPEN.value)
    _tell(adoption, action, actor, section.name, group_name, reason)
    return adoption


def move_to_agreed(adoption: Adoption, actor) -> None:
    """The last step (合意), taken by agreements.create_agreement when the department writes the agreement."""
    if not can_write_agreement(actor, adoption):
        raise Conflict(_("合意書は、担当課とセンターの両方が承認した申請についてだけ作成できます。"))
    _claim(adoption, adoption.status, A.AGREED.value)


def _tell(adoption: Adoption, action: str, actor, section_name: str, group_name: str, reason: str) -> None:
    link = site_path("adopt.adoption", adoption_id=adoption.id)
    if action == "withdraw":
        notify_many(city_side(adoption), "adopt_adoption",
                    _l("「%(group)s」が「%(section)s」の里親の申請を取り下げました。",
                       group=group_name, section=section_name), link)
        return
    if action == "decline":
        message = _l("「%(section)s」の里親の申請は見送りとなりました。理由: %(reason)s",
                     section=section_name, reason=reason)
    elif action == "department_approve":
        message = _l("「%(section)s」の里親の申請を担当課が承認しました。", section=section_name)
    elif action == "centre_approve":
        message = _l("「%(section)s」の里親の申請を市民活動センターが承認しました。", section=section_name)
    else:
        return
    notify_many(group_side(adoption), "adopt_adoption", message, link)
    others = [u for u in city_side(adoption) if u.id != actor.id]
    if action == "decline":
        others_message = _l("「%(group)s」の「%(section)s」の申請を%(who)sが見送りました。",
                            group=group_name, section=section_name, who=actor.display_name)
    elif both_approved(adoption):
        others_message = _l("「%(group)s」の「%(section)s」の申請は担当課とセンターの承認がそろいました。"
                            "担当課は合意書を作成してください。", group=group_name, section=section_name)
    else:
        others_message = message
    notify_many(others, "adopt_adoption", others_message, link)


# --- applying ---------------------------------------------------------------------------------------------------

def my_groups(user) -> list[CivicGroup]:
    """Every group ``user`` represents (verified or not: the form explains why an unverified one cannot apply)."""
    return list(db.session.scalars(
        select(CivicGroup).join(GroupRepresentative).where(GroupRepresentative.user_id == user.id)
        .order_by(CivicGroup.name)))


def open_application(section: AdoptSection, group_id: int) -> Adoption | None:
    return db.session.scalar(select(Adoption).where(
        Adoption.section_id == section.id, Adoption.group_id == group_id, Adoption.status.in_(DECIDING)))


def apply_for_section(section: AdoptSection, group: CivicGroup, actor, values: dict) -> Adoption:
    """A representative of a verified group applies for an open (募集中) section; it becomes 協議中.

    Raises NotAllowed (403) for someone who does not represent the group or a group not verified by the centre,
    Conflict (409) when the group already has an open application for it or the section is not 募集中,
    FieldRefused (422) for times per year below the section's minimum or without volunteer insurance.
    Notifies the department's staff and the centre. The caller commits."""
    if not is_representative(actor, group):
        raise NotAllowed()
    if group.status != GroupStatus.VERIFIED.value:
        raise NotAllowed(_("「%(name)s」はまだ市民活動センターの確認が済んでいないため、申請できません。",
                           name=group.name))
    if open_application(section, group.id) is not None:
        raise Conflict(_("この団体はこの区間にすでに申請しています。結果をお待ちください。"))
    if values["times_per_year"] < section.min_activities_per_year:
        raise FieldRefused("times_per_year", _("この区間では年%(n)d回以上の活動をお願いしています。",
                                               n=section.min_activities_per_year))
    if not values["has_insurance"]:
        raise FieldRefused("has_insurance", _("活動中のけがや事故に備えて、ボランティア保険への加入が必要です。"
                                              "加入の方法は市民活動センターにご相談ください。"))
    if not set_section_status(section, SectionStatus.OPEN.value, SectionStatus.NEGOTIATING.value):
        raise Conflict(_("この区間はいま募集していません（ほかの団体と協議中か、活動中です）。"))
    adoption = Adoption(section_id=section.id, group_id=group.id, activities=values["activities"],
                        plan=values["plan"], times_per_year=values["times_per_year"],
                        members_count=values["members_count"], has_insurance=True, local_tie=values["local_tie"],
                        status=A.APPLIED.value, created_by_id=actor.id)
    db.session.add(adoption)
    db.session.flush()
    note = _l("（関市外の団体のため、センターの承認が必要です）") if values["local_tie"] == "other" else ""
    notify_many(city_side(adoption), "adopt_adoption",
                _l("「%(group)s」から「%(section)s」の里親の申請が届きました。%(note)s",
                   group=group.name, section=section.name, note=note),
                site_path("adopt.adoption", adoption_id=adoption.id))
    return adoption


# --- lists ------------------------------------------------------------------------------------------------------

QUEUE_FILTERS = {"deciding": DECIDING, "agreed": frozenset({A.AGREED.value}),
                 "closed": frozenset({A.DECLINED.value, A.WITHDRAWN.value})}


PER_PAGE = 20


def _listed(query):
    """What a listed row shows, loaded with the page (the query count does not grow with its rows): the section
    and its department, the group and its representatives (the steps ask whether the viewer represents it)."""
    return query.options(joinedload(Adoption.section).joinedload(AdoptSection.department),
                         joinedload(Adoption.group).selectinload(CivicGroup.representatives))


def queue_query(user, current: str):
    """The applications a user decides on: their department's sections (staff), every section (the centre);
    oldest first, for the status filter ``current`` (a key of QUEUE_FILTERS)."""
    query = (select(Adoption).join(AdoptSection, Adoption.section_id == AdoptSection.id)
             .where(Adoption.status.in_(QUEUE_FILTERS[current])).order_by(Adoption.created_at, Adoption.id))
    if not is_centre(user):
        query = query.where(AdoptSection.department_id == user.department_id)
    return _listed(query)


def queue(user, current: str, page: int = 1):
    """One page (PER_PAGE rows) of queue_query; ``.total`` counts them all, a page past the end is empty."""
    return db.paginate(queue_query(user, current), page=page, per_page=PER_PAGE, error_out=False)


def mine_query(user):
    """Every application of the groups ``user`` represents, newest first."""
    represented = select(GroupRepresentative.group_id).where(GroupRepresentative.user_id == user.id)
    return _listed(select(Adoption).where(Adoption.group_id.in_(represented))
                   .order_by(Adoption.created_at.desc(), Adoption.id.desc()))


def mine(user, page: int = 1):
    """One page (PER_PAGE rows) of mine_query."""
    return db.paginate(mine_query(user), page=page, per_page=PER_PAGE, error_out=False)


def agreements_of(items) -> dict[int, AdoptAgreement]:
    """The agreement of each listed application that has one, by adoption id, in one query."""
    ids = [a.id for a in items]
    if not ids:
        return {}
    return {g.adoption_id: g for g in db.session.scalars(select(AdoptAgreement)
                                                        .where(AdoptAgreement.adoption_id.in_(ids)))}
