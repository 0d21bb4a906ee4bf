"""Accounts: users, their roles and their consent to the personal-information notice."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Role(enum.StrEnum):
    """The five roles; one user may hold several (a staff member is also a volunteer)."""

    VOLUNTEER = "volunteer"  # 個人ボランティア
    GROUP_REP = "group_rep"  # 市民活動団体の代表者
    STAFF = "staff"  # 市職員（担当課）
    COORDINATOR = "coordinator"  # 市民活動センターのコーディネーター
    ADMIN = "admin"  # システム管理者


SELF_SERVICE_ROLES = (Role.VOLUNTEER, Role.GROUP_REP)


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    display_name: Mapped[str] = mapped_column(String(60))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on logout, password change, role change and deactivation: every older cookie stops working.
    session_version: Mapped[int] = mapped_column(default=1)
    locale: Mapped[str | None] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )
    department: Mapped[Department | None] = relationship()  # noqa: F821
    consents: Mapped[list[ConsentRecord]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="ConsentRecord.accepted_at"
    )

    # Flask-Login: the stored id carries the session version, checked on every request.
    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return self.active and self.deleted_at is None

    @property
    def role_names(self) -> set[str]:
        return {r.role for r in self.roles}

    def has_role(self, *roles: str) -> bool:
        return bool(self.role_names.intersection(str(r) for r in roles))

    def __repr__(self) -> str:
        return f"<User {self.id}>"


class UserRole(db.Model):
    __tablename__ = "user_role"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="roles")


class ConsentRecord(db.Model):
    """個人情報の取扱いへの同意: which version of the notice, and when."""

    __tablename__ = "consent_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    notice_version: Mapped[str] = mapped_column(String(20))
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User] = relationship(back_populates="consents")
