"""My account: change my details, export everything held about me, delete my account (anonymised)."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update

from .. import audit
from ..auth.passwords import verify_password
from ..auth.services import end_all_sessions, find_user_by_email, normalise_email
from ..errors import FieldRefused, RuleViolation
from ..extensions import db
from ..labels import ROLE_LABELS
from ..models import (
    AuditEvent,
    ConsentRecord,
    Department,
    Notification,
    NotificationPreference,
    Role,
    User,
    UserRole,
    utcnow,
)
from ..pagination import page_count

DISPLAY_NAME_MAX = 60
# What remains of a deleted account: past matches keep pointing at this anonymous row.
DELETED_DISPLAY_NAME = "退会した利用者"


def account_details(user: User) -> tuple[Department | None, list[ConsentRecord]]:
    """The department and consent history shown on my account page (two queries, whatever the data)."""
    department = db.session.scalar(select(Department).where(Department.id == user.department_id))
    consents = db.session.scalars(
        select(ConsentRecord).where(ConsentRecord.user_id == user.id).order_by(ConsentRecord.accepted_at)
    ).all()
    return department, list(consents)


def normalise_display_name(value: str | None) -> str:
    """NFKC (full-width letters and digits become ordinary ones), surrounding spaces removed."""
    return unicodedata.normalize("NFKC", value or "").strip()


def update_account(user: User, *, display_name: str, email: str, current_password: str | None = None) -> list[str]:
    """Change my display name and e-mail; returns the names of the fields that changed.

    A new e-mail needs the current password and must not belong to another account; changing it ends
    every other session. Raises FieldRefused naming the field at fault.
    """
    name = normalise_display_name(display_name)
    if not 1 <= len(name) <= DISPLAY_NAME_MAX:
        raise FieldRefused("display_name", _("表示名は1文字以上%(n)d文字以内で入力してください。", n=DISPLAY_NAME_MAX))
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise FieldRefused("display_name", _("表示名に使えない文字が含まれています。"))
    new_email = normalise_email(email)
    changed = []
    if new_email != user.email:
        if not current_password:
            raise FieldRefused("current_password",
                               _("メールアドレスを変更するには、現在のパスワードを入力してください。"))
        if not verify_password(user.password_hash, current_password):
            raise FieldRefused("current_password", _("現在のパスワードが正しくありません。"))
        other = find_user_by_email(new_email)
        if other is not None and other.id != user.id:
            raise FieldRefused("email", email_in_use_message())
        user.email = new_email
        end_all_sessions(user)
        changed.append("email")
    if name != user.display_name:
        user.display_name = name
        changed.append("display_name")
    if changed:
        audit.record("account_updated", actor=user, target=f"user:{user.id}", fields=changed)
    return changed


def email_in_use_message() -> str:
    return _("このメールアドレスはほかのアカウントで使われています。別のアドレスを入力してください。")


def _iso(value: datetime | None) -> str | None:
    return value.astimezone(UTC).isoformat() if value else None


def export_data(user: User) -> dict:
    """Everything held about this user, for the user: never the password hash or the session version.

    Records `account_exported`. (A new domain that stores personal data adds its own section here.)
    """
    department, consents = account_details(user)
    events = db.session.scalars(
        select(AuditEvent).where(AuditEvent.actor_id == user.id).order_by(AuditEvent.created_at, AuditEvent.id)
    )
    data = {
        "exported_at": _iso(utcnow()),
        "account": {
            "id": user.id,
            "display_name": user.display_name,
            "email": user.email,
            "locale": user.locale,
            "active": user.is_active,
            "created_at": _iso(user.created_at),
            "last_login_at": _iso(user.last_login_at),
            "password_changed_at": _iso(user.password_changed_at),
        },
        "roles": [{"role": r.role, "label": str(ROLE_LABELS.get(r.role, r.role)), "granted_at": _iso(r.granted_at)}
                  for r in sorted(user.roles, key=lambda r: r.role)],
        "department": department.name if department else None,
        "consents": [{"notice_version": c.notice_version, "accepted_at": _iso(c.accepted_at)} for c in consents],
        "audit_events": [
            {"action": e.action, "outcome": e.outcome, "time": _iso(e.created_at), "ip": e.ip} for e in events
        ],
    }
    # --- volunteers (人材バンク): my volunteer profile, every field and qualification ---
    from ..volunteers.services import export_profile

    data["volunteer_profile"] = export_profile(user)
    # --- civic groups (市民活動団体): the groups this user represents ---
    from ..groups.services import memberships

    data["group_representatives"] = [
        {"group_id": m.group_id, "group_name": m.group.name, "joined_at": _iso(m.joined_at)} for m in memberships(user)
    ]
    # --- applications (応募), my messages, activity history and notification settings ---
    from ..models import ActivityRecord, Application, ApplicationMessage

    apps = db.session.scalars(select(Application).where(Application.volunteer_user_id == user.id)
                              .order_by(Application.id)).all()
    data["applications"] = [{
        "project_id": a.project_id, "status": a.status, "message": a.message, "created_at": _iso(a.created_at),
        "activity": [{"date": r.activity_date.isoformat(), "attended": r.attended, "minutes": r.minutes}
                     for r in db.session.scalars(select(ActivityRecord).where(ActivityRecord.application_id == a.id))],
    } for a in apps]
    data["application_messages"] = [
        {"application_id": m.application_id, "body": m.body, "created_at": _iso(m.created_at)}
        for m in db.session.scalars(select(ApplicationMessage).where(ApplicationMessage.author_id == user.id)
                                    .order_by(ApplicationMessage.id))]
    data["notification_settings"] = {
        p.kind: p.mode for p in db.session.scalars(
            select(NotificationPreference).where(NotificationPreference.user_id == user.id))}
    audit.record("account_exported", actor=user, target=f"user:{user.id}")
    return data


def _active_admin_ids(lock: bool = False) -> list[int]:
    query = (
        select(User.id).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN.value, User.active.is_(True), User.deleted_at.is_(None))
    )
    if lock:
        # PostgreSQL: two admins deleting themselves at once cannot both see the other one.
        # SQLite: write requests already run in BEGIN IMMEDIATE, one at a time.
        query = query.with_for_update(of=User)
    return list(db.session.scalars(query))


def can_delete_account(user: User) -> bool:
    """Anyone may delete their own account, except the last active administrator."""
    if user.deleted_at is not None:
        return False
    if not user.has_role(Role.ADMIN):
        return True
    return any(i != user.id for i in _active_admin_ids())


def delete_account(user: User) -> None:
    """Erase the user's personal data and keep an anonymous row, so that past records keep their link.

    Roles and consent records are deleted, every session ends. Raises RuleViolation for the last active
    administrator.
    """
    if user.has_role(Role.ADMIN) and not any(i != user.id for i in _active_admin_ids(lock=True)):
        raise RuleViolation(_("有効な管理者がほかにいないため、このアカウントは削除できません。"
                              "先にほかの人を管理者にしてから、もう一度お試しください。"))
    # --- civic groups (市民活動団体): leave them; refused while the user is a group's last representative ---
    from ..groups.services import leave_all_groups_for_deletion

    leave_all_groups_for_deletion(user)
    user.email = None
    user.password_hash = None
    user.display_name = DELETED_DISPLAY_NAME
    user.locale = None
    user.department_id = None
    user.last_login_at = None
    user.password_changed_at = None
    user.active = False
    user.deleted_at = utcnow()
    # --- volunteers (人材バンク): the profile row goes (cascade), and its card leaves the search index ---
    from ..volunteers.services import erase_profile

    erase_profile(user)
    from ..applications.flow import withdraw_for_deletion

    withdraw_for_deletion(user)
    from ..staffvol.signups import leave_for_deletion

    leave_for_deletion(user)
    db.session.execute(delete(Notification).where(Notification.user_id == user.id))
    db.session.execute(delete(NotificationPreference).where(NotificationPreference.user_id == user.id))
    user.roles.clear()
    user.consents.clear()
    end_all_sessions(user)
    audit.record("account_deleted", actor=user, target=f"user:{user.id}")



NOTIFICATIONS_PER_PAGE = 30


@dataclass
class NotificationPage:
    items: list
    unread_ids: set[int]
    total: int
    page: int
    pages: int


def notifications_page(user: User, page: int) -> NotificationPage:
    """One page of ``user``'s notices, newest first; those shown are marked read (the caller commits)."""
    base = select(Notification).where(Notification.user_id == user.id)
    total = db.session.scalar(select(func.count()).select_from(base.subquery())) or 0
    pages = page_count(total, NOTIFICATIONS_PER_PAGE)
    page = min(page, pages)
    items = list(db.session.scalars(base.order_by(Notification.created_at.desc(), Notification.id.desc())
                                    .limit(NOTIFICATIONS_PER_PAGE).offset((page - 1) * NOTIFICATIONS_PER_PAGE)))
    unread = {n.id for n in items if n.read_at is None}
    if unread:
        db.session.execute(update(Notification).where(Notification.id.in_(unread)).values(read_at=utcnow()))
    return NotificationPage(items, unread, total, page, pages)
