"""The agreement (協定, V-3): the role split, period and budget confirmed by the city and by the partner side.

Who confirmed comes from the audit log (action ``project_agreement_confirmed``); the project keeps the times.
An edit of what was agreed during 協定 clears both confirmations (``reset_agreement``, called by update_project).
"""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from .. import audit
from ..errors import Conflict, NotAllowed, RuleViolation
from ..extensions import db
from ..models import AuditEvent, Project, ProjectStatus, User, utcnow
from ..notifications import notify_many, site_path
from .lifecycle import can_manage, department_contacts, is_partner, lock_project, partner_users

SIDES = ("city", "partner")
CONFIRMED = "project_agreement_confirmed"  # audit action: who confirmed which side


def can_see_agreement(user, project: Project) -> bool:
    """The agreement sheet (協定書): the department, the centre, administrators and the partners themselves."""
    return can_manage(user, project) or is_partner(user, project)


def can_confirm(user, project: Project, side: str) -> bool:
    """Whether ``user`` may confirm ``side`` now (協定 only, not yet confirmed)."""
    if project.status != ProjectStatus.AGREEMENT or side not in SIDES:
        return False
    if side == "city":
        return can_manage(user, project) and project.agreement_city_at is None
    return is_partner(user, project) and project.agreement_partner_at is None


def confirm_agreement(project: Project, actor, side: str) -> None:
    """One side confirms the agreement (role split, period, budget) while the project is in 協定.

    ``side`` "city" is for those who manage the project, "partner" for a partner (a volunteer partner or a
    representative of a partner group confirms for the partner side). The other side is notified.
    Raises RuleViolation (422) for an unknown side, NotAllowed (403) for the wrong person, Conflict (409)
    outside 協定 or when that side has already confirmed.
    """
    if side not in SIDES:
        raise RuleViolation(_("確認する側を選んでください。"))
    allowed = can_manage(actor, project) if side == "city" else is_partner(actor, project)
    if not allowed:
        raise NotAllowed()
    if project.status != ProjectStatus.AGREEMENT:
        raise Conflict(_("協定を確認できるのは「協定」の段階の事業だけです。"))
    lock_project(project)
    column = "agreement_city_at" if side == "city" else "agreement_partner_at"
    if getattr(project, column) is not None:
        raise Conflict(_("この協定はすでに確認済みです。"))
    setattr(project, column, utcnow())
    audit.record(CONFIRMED, actor=actor, target=f"project:{project.id}", side=side)
    link = site_path("projects.agreement", project_id=project.id)
    if side == "city":
        notify_many(partner_users(project), "project_agreement_confirmed",
                    _l("「%(title)s」の協定を市（%(dept)s）が確認しました。内容を確認してください。",
                      title=project.title, dept=project.department.name), link)
    else:
        notify_many(department_contacts(project), "project_agreement_confirmed",
                    _l("「%(title)s」の協定をパートナーが確認しました。", title=project.title), link)


def reset_agreement(project: Project) -> bool:
    """Clear both confirmations, so that both sides confirm again. Returns whether anything was cleared.

    For the lead's ``services.update_project``: call it when the role split (city_role / partner_role), the
    period or the budget change while the project is in 協定 — what was confirmed is no longer what is written.
    It neither commits nor notifies; the caller decides.
    """
    if project.agreement_city_at is None and project.agreement_partner_at is None:
        return False
    project.agreement_city_at = None
    project.agreement_partner_at = None
    return True


def confirmers(project: Project) -> dict[str, User | None]:
    """Who gave the current confirmation of each side (from the audit log; None when not recorded)."""
    out: dict[str, User | None] = {side: None for side in SIDES}
    events = db.session.scalars(select(AuditEvent).where(
        AuditEvent.action == CONFIRMED, AuditEvent.target == f"project:{project.id}")
        .options(selectinload(AuditEvent.actor)).order_by(AuditEvent.id.desc()).limit(20))
    for e in events:
        side = (e.details or {}).get("side")
        if side in out and out[side] is None:
            out[side] = e.actor
    if project.agreement_city_at is None:
        out["city"] = None
    if project.agreement_partner_at is None:
        out["partner"] = None
    return out
