"""Administration rules: creating and editing accounts, the last-administrator guard, audit-log queries."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import joinedload

from .. import audit
from ..auth.services import create_user, end_all_sessions
from ..errors import Conflict, RuleViolation
from ..extensions import db
from ..i18n import JST
from ..models import AuditEvent, District, Role, Skill, User, UserRole, utcnow

OUTCOME_LABELS = {"ok": _l("成功"), "fail": _l("失敗"), "denied": _l("拒否")}
USERS_PER_PAGE = 30
AUDIT_PER_PAGE = 50


def _department_problem(roles: list[str], department_id: int | None) -> None:
    if Role.STAFF.value in roles and not department_id:
        raise RuleViolation(_("市職員には所属の課を選んでください。"))


def _active_admin_count() -> int:
    return db.session.scalar(
        select(func.count(User.id)).join(UserRole).where(
            UserRole.role == Role.ADMIN.value, User.active.is_(True), User.deleted_at.is_(None))) or 0


def _is_last_active_admin(user: User) -> bool:
    return user.is_active and user.has_role(Role.ADMIN) and _active_admin_count() <= 1


def create_account(actor: User, *, email: str, display_name: str, roles: list[str], department_id: int | None,
                   password: str | None) -> User:
    """An administrator creates an account with any roles. Without a password the account gets an unusable
    random one, and the caller mails a password-setting link. Raises RuleViolation (bad or duplicate input)."""
    if not roles:
        raise RuleViolation(_("役割を1つ以上選んでください。"))
    _department_problem(roles, department_id)
    user = create_user(email=email, password=password or secrets.token_urlsafe(32), display_name=display_name,
                       roles=roles, department_id=department_id)
    audit.record("user_created", actor=actor, target=f"user:{user.id}", roles=sorted(roles),
                 department_id=department_id, password_set_by="admin" if password else "mail")
    return user


def update_account(actor: User, user: User, *, display_name: str, roles: list[str],
                   department_id: int | None) -> dict:
    """Change name, roles and department. A role change ends the user's sessions. The last active
    administrator keeps the admin role (Conflict). Returns what changed."""
    before = sorted(user.role_names)
    after = sorted(set(roles))
    if not after:
        raise RuleViolation(_("役割を1つ以上選んでください。"))
    _department_problem(after, department_id)
    if Role.ADMIN.value in before and Role.ADMIN.value not in after and _is_last_active_admin(user):
        raise Conflict(_("最後の管理者からは管理者の役割を外せません。先にほかの人を管理者にしてください。"))
    changes: dict = {}
    if user.display_name != display_name.strip():
        changes["display_name"] = [user.display_name, display_name.strip()]
        user.display_name = display_name.strip()
    if user.department_id != department_id:
        changes["department_id"] = [user.department_id, department_id]
        user.department_id = department_id
    if before != after:
        changes["roles"] = [before, after]
        kept = [r for r in user.roles if r.role in after]
        user.roles = kept + [UserRole(role=r) for r in after if r not in before]
        end_all_sessions(user)
    if changes:
        audit.record("user_updated", actor=actor, target=f"user:{user.id}", changes=changes)
    return changes


def can_deactivate(actor: User, user: User) -> bool:
    return actor.id != user.id and not _is_last_active_admin(user)


def deactivate_account(actor: User, user: User) -> None:
    """Stop an account: it can no longer log in, and every session it has ends at once.
    Raises RuleViolation for oneself, Conflict for the last active administrator."""
    if actor.id == user.id:
        raise RuleViolation(_("自分のアカウントは停止できません。"))
    if _is_last_active_admin(user):
        raise Conflict(_("最後の管理者は停止できません。"))
    if not user.active:
        return
    user.active = False
    end_all_sessions(user)
    audit.record("user_deactivated", actor=actor, target=f"user:{user.id}", roles=sorted(user.role_names))


def reactivate_account(actor: User, user: User) -> None:
    """Let a stopped account log in again (its old sessions stay ended)."""
    if user.active or user.deleted_at is not None:
        return
    user.active = True
    audit.record("user_reactivated", actor=actor, target=f"user:{user.id}", roles=sorted(user.role_names))


def users_query(*, q: str = "", role: str = "", status: str = "") -> Select:
    """Users matching a name or e-mail fragment, a role and active/inactive; department joined."""
    query = select(User).options(joinedload(User.department)).where(User.deleted_at.is_(None))
    if q:
        query = query.where(or_(User.display_name.icontains(q, autoescape=True),
                                User.email.icontains(q, autoescape=True)))
    if role:
        query = query.where(User.roles.any(UserRole.role == role))
    if status == "active":
        query = query.where(User.active.is_(True))
    elif status == "inactive":
        query = query.where(User.active.is_(False))
    return query.order_by(User.id.desc())


@dataclass
class AuditFilters:
    action: str = ""
    outcome: str = ""
    actor: str = ""
    date_from: date | None = None
    date_to: date | None = None


def jst_day_start(day: date) -> datetime:
    """The UTC instant at which ``day`` begins in Japan."""
    return datetime.combine(day, time.min, tzinfo=JST)


def audit_query(f: AuditFilters) -> Select:
    """Audit events, newest first, filtered; the actor is joined (one query for any page size)."""
    query = select(AuditEvent).options(joinedload(AuditEvent.actor))
    if f.action:
        query = query.where(AuditEvent.action == f.action)
    if f.outcome:
        query = query.where(AuditEvent.outcome == f.outcome)
    if f.actor:
        query = query.where(AuditEvent.actor.has(User.email.icontains(f.actor.strip(), autoescape=True)))
    if f.date_from:
        query = query.where(AuditEvent.created_at >= jst_day_start(f.date_from))
    if f.date_to:
        query = query.where(AuditEvent.created_at < jst_day_start(f.date_to + timedelta(days=1)))
    return query.order_by(AuditEvent.created_at.desc(), AuditEvent.id.desc())


def describe_details(details: dict | None) -> list[tuple[str, str]]:
    """An audit event's details as readable pairs (Japanese kept as is, not escaped)."""
    return [(key, value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str))
            for key, value in (details or {}).items()]


def overview() -> dict[str, int]:
    """Small counts for the administrator's start page."""
    since = utcnow() - timedelta(days=7)
    return {
        "users": db.session.scalar(select(func.count(User.id)).where(User.deleted_at.is_(None))) or 0,
        "inactive": db.session.scalar(select(func.count(User.id)).where(User.active.is_(False))) or 0,
        "denied_week": db.session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.outcome != "ok", AuditEvent.created_at >= since)) or 0,
        "districts": db.session.scalar(select(func.count(District.id)).where(District.active.is_(True))) or 0,
        "skills": db.session.scalar(select(func.count(Skill.id)).where(Skill.active.is_(True))) or 0,
    }
