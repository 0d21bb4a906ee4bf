"""In-app notices (お知らせ) with an e-mail copy: the one way every domain tells a user that something happened.

:func:`notify` adds the row to the caller's session (the caller commits, so the notice belongs to the same
transaction as the change) and sends the e-mail only after that commit, so a rolled-back change mails nobody.
"""

from __future__ import annotations

from flask import current_app
from flask_babel import LazyString, force_locale
from flask_babel import gettext as _
from sqlalchemy import event, func, select, update

from .extensions import db
from .mail import send_mail
from .models import Notification, NotificationPreference, Role, User, UserRole

_PENDING = "kyodo_pending_mail"
NOTIFICATIONS_PATH = "/account/notifications"  # the notification centre (account.notifications)


def notify(user: User | None, kind: str, message: str, link: str | None = None, *, email: bool = True) -> None:
    """Tell ``user`` (skipped for None, inactive or deleted users): an in-app notice, and an e-mail after commit.

    ``message`` is plain text (escaped wherever it is shown), ``link`` a path inside the site. Pass a lazy string
    (``lazy_gettext``) and it is written in the recipient's language, not in that of whoever took the step.
    """
    if user is None or not user.is_active:
        return
    locale = recipient_locale(user)
    with force_locale(locale):
        text = str(message)
    mode = mail_mode(user.id, kind) if email and user.email else OFF
    db.session.add(Notification(user_id=user.id, kind=kind, message=text[:400], link=link,
                                digest_pending=mode == DIGEST))
    if mode == INSTANT:
        db.session.info.setdefault(_PENDING, []).append((user.email, text, link, locale))


def later(build) -> LazyString:
    """A message built when it is written for each recipient (in their language): ``later(lambda: _("…") + …)``."""
    return LazyString(build)


def recipient_locale(user: User) -> str:
    return user.locale if user.locale in ("ja", "en") else "ja"


INSTANT, DIGEST, OFF = "instant", "digest", "off"
MODES = (INSTANT, DIGEST, OFF)


def mail_mode(user_id: int, kind: str) -> str:
    """How ``user_id`` wants notices of ``kind`` by e-mail (each time by default; the in-app notice always stays)."""
    mode = db.session.scalar(select(NotificationPreference.mode).where(
        NotificationPreference.user_id == user_id, NotificationPreference.kind == kind))
    return mode if mode in MODES else INSTANT


def set_mail_mode(user: User, kind: str, mode: str) -> None:
    """Store one preference (RuleViolation-free: unknown modes fall back to each time)."""
    mode = mode if mode in MODES else INSTANT
    pref = db.session.scalar(select(NotificationPreference).where(
        NotificationPreference.user_id == user.id, NotificationPreference.kind == kind))
    if pref is None:
        db.session.add(NotificationPreference(user_id=user.id, kind=kind, mode=mode))
    else:
        pref.mode = mode
    if mode == OFF:  # "no e-mail" also means no digest tomorrow of what was waiting (the notices stay in-app)
        db.session.execute(update(Notification).where(
            Notification.user_id == user.id, Notification.kind == kind, Notification.digest_pending.is_(True))
            .values(digest_pending=False).execution_options(synchronize_session=False))


def send_digests() -> int:
    """One e-mail per user with every notice waiting for the daily digest (then no longer pending).
    Returns how many e-mails were sent; the caller commits (the mail goes after the commit)."""
    rows = db.session.scalars(select(Notification).where(Notification.digest_pending.is_(True))
                              .order_by(Notification.user_id, Notification.created_at)).all()
    by_user: dict[int, list[Notification]] = {}
    for n in rows:
        by_user.setdefault(n.user_id, []).append(n)
    sent = 0
    for user_id, notices in by_user.items():
        user = db.session.get(User, user_id)
        for n in notices:
            n.digest_pending = False
        if user is None or not user.is_active or not user.email:
            continue
        lines = [f"・{n.message}" + (f"\n  {_absolute(n.link)}" if n.link else "") for n in notices]
        locale = recipient_locale(user)
        with force_locale(locale):
            summary = _("お知らせが%(n)d件あります。", n=len(notices))
        db.session.info.setdefault(_PENDING, []).append((user.email, summary, None, locale, "\n".join(lines)))
        sent += 1
    return sent


def notify_many(users, kind: str, message: str, link: str | None = None, *, email: bool = True) -> int:
    """:func:`notify` each distinct user once; returns how many were told."""
    seen: set[int] = set()
    for user in users:
        if user is not None and user.id not in seen:
            seen.add(user.id)
            notify(user, kind, message, link, email=email)
    return len(seen)


# --- who to tell: the recipients every domain looks for ---------------------------------------------------------

def department_staff(department_id: int) -> list[User]:
    """The active staff of one department (担当課)."""
    return list(db.session.scalars(
        select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.STAFF.value, User.department_id == department_id, User.active.is_(True),
               User.deleted_at.is_(None)).order_by(User.id)))


def centre_users() -> list[User]:
    """The 市民活動センター's coordinators."""
    return list(db.session.scalars(select(User).join(UserRole).where(
        UserRole.role == Role.COORDINATOR.value, User.active.is_(True), User.deleted_at.is_(None)).order_by(User.id)))


def site_path(endpoint: str, **values) -> str:
    """A path inside the site for a notice's link, also outside a request (services run from the CLI and tests)."""
    return current_app.url_map.bind("localhost").build(endpoint, values)


def unread_count(user) -> int:
    if not getattr(user, "is_authenticated", False):
        return 0
    return db.session.scalar(select(func.count()).select_from(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))) or 0


def _absolute(link: str | None) -> str:
    if not link:
        return ""
    base = current_app.config.get("KYODO_BASE_URL") or ""
    return f"{base.rstrip('/')}{link}" if base else link


def _send_pending(session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    for to, message, link, locale, *detail in pending:
        with force_locale(locale):
            body = "\n\n".join(filter(None, [
                message, *detail, _absolute(link),
                _("このメールは関市「協働マッチ」から自動で送信しています。お知らせの一覧: %(url)s",
                  url=_absolute(NOTIFICATIONS_PATH)),
            ]))
            subject = _("【協働マッチ】%(message)s", message=message[:60])
        try:
            send_mail(to, subject, body)
        except OSError:  # a mail server outage never undoes the change; the in-app notice is there
            current_app.logger.exception("notification mail to a user failed")


def _drop_pending(session) -> None:
    session.info.pop(_PENDING, None)


def register(app) -> None:
    """Send queued mail after each commit of the app's session; forget it on rollback."""
    session_class = db.session.session_factory.class_
    if getattr(session_class, "_kyodo_notifications", False):
        return
    event.listen(session_class, "after_commit", _send_pending)
    event.listen(session_class, "after_rollback", _drop_pending)
    session_class._kyodo_notifications = True
