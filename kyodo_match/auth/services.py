"""Account rules shared by views, the CLI and tests. Callers commit once per user action."""

from __future__ import annotations

import unicodedata

from flask import current_app
from flask_babel import gettext as _
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select

from .. import audit
from ..errors import RuleViolation
from ..extensions import db
from ..models import ConsentRecord, Role, User, UserRole, utcnow
from .passwords import hash_password, needs_rehash, password_problems, verify_password

RESET_SALT = "kyodo-password-reset"


def normalise_email(email: str) -> str:
    return unicodedata.normalize("NFKC", email or "").strip().lower()


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == normalise_email(email)))


def email_taken(email: str) -> bool:
    return find_user_by_email(email) is not None


def create_user(
    *, email: str, password: str, display_name: str, roles: list[str | Role],
    department_id: int | None = None, consent_version: str | None = None,
) -> User:
    """Create an account. Raises RuleViolation when the password or e-mail is refused."""
    email = normalise_email(email)
    if problems := password_problems(password, email=email, display_name=display_name):
        raise RuleViolation(_("パスワードを設定できません。"), problems)
    if email_taken(email):
        raise RuleViolation(_("このメールアドレスはすでに登録されています。"))
    user = User(
        email=email, display_name=display_name.strip(), password_hash=hash_password(password),
        department_id=department_id, password_changed_at=utcnow(),
    )
    user.roles = [UserRole(role=str(r)) for r in dict.fromkeys(str(r) for r in roles)]
    if consent_version:
        user.consents.append(ConsentRecord(notice_version=consent_version))
    db.session.add(user)
    db.session.flush()
    return user


def register_self(*, email: str, password: str, display_name: str, role: str, consent_version: str) -> User:
    """Self-registration: only volunteers and group representatives, with consent to the notice."""
    if role not in (Role.VOLUNTEER, Role.GROUP_REP):
        raise RuleViolation(_("登録できる種類は「個人ボランティア」か「団体の代表者」です。"))
    user = create_user(email=email, password=password, display_name=display_name, roles=[role],
                       consent_version=consent_version)
    user.last_login_at = utcnow()  # registration signs the new user in
    audit.record("register", actor=user, target=f"user:{user.id}", role=role)
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same work either way)."""
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session of this user, on every device (cookies carry the old version)."""
    user.session_version += 1


def change_password(user: User, current: str, new: str) -> None:
    if not verify_password(user.password_hash, current):
        raise RuleViolation(_("現在のパスワードが正しくありません。"))
    set_password(user, new)
    audit.record("password_changed", actor=user, target=f"user:{user.id}")


def set_password(user: User, new: str) -> None:
    if problems := password_problems(new, email=user.email or "", display_name=user.display_name):
        raise RuleViolation(_("パスワードを設定できません。"), problems)
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_all_sessions(user)


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _fingerprint(user: User) -> str:
    # Part of the current hash: the token stops working once the password changes (single use).
    return (user.password_hash or "")[-16:]


def token_max_age(purpose: str) -> int:
    """Seconds a password link stays valid: one hour for a reset, longer for a new account's first password."""
    key = "KYODO_WELCOME_LINK_MAX_AGE" if purpose == "welcome" else "KYODO_PASSWORD_RESET_MAX_AGE"
    return current_app.config[key]


def make_reset_token(user: User, purpose: str = "reset") -> str:
    return _serializer().dumps({"u": user.id, "f": _fingerprint(user), "p": purpose})


def user_for_reset_token(token: str) -> User | None:
    """The user a password link belongs to, or None when it is forged, expired or already used."""
    try:
        data, signed_at = _serializer().loads(token, max_age=token_max_age("welcome"), return_timestamp=True)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or data.get("p") not in ("reset", "welcome"):
        return None
    if (utcnow() - signed_at).total_seconds() > token_max_age(data["p"]):
        return None
    user = db.session.get(User, data.get("u")) if isinstance(data.get("u"), int) else None
    if user is None or not user.is_active or data.get("f") != _fingerprint(user):
        return None
    return user
