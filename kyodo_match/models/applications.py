"""Applications and matches (応募・マッチング): who applied to or was invited to which project, and what followed.

One row per (project, volunteer) or (project, group); every step is an ApplicationTransition, talk before contact
data is shared is an ApplicationMessage, and after the activity each participant's attendance and hours are an
ActivityRecord (活動履歴).
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class ApplicationStatus(enum.StrEnum):
    """応募 → 審査中 → 承認 → 確定 → 活動中 → 完了; 見送り, 辞退, 期限切れ; invitations and the waiting list."""

    INVITED = "invited"  # 招待中: a department or the centre invited them; they have not answered yet
    APPLIED = "applied"  # 応募
    REVIEWING = "reviewing"  # 審査中 (the centre put it on hold to look closer)
    APPROVED = "approved"  # 承認 (the centre), waiting for the department
    CONFIRMED = "confirmed"  # 確定 (the department): contact data is shared from here on
    WAITLISTED = "waitlisted"  # キャンセル待ち: confirmed by the department while every place was taken
    ACTIVE = "active"  # 活動中
    COMPLETED = "completed"  # 完了
    DECLINED = "declined"  # 見送り (with a reason shown to the applicant)
    WITHDRAWN = "withdrawn"  # 辞退
    EXPIRED = "expired"  # 期限切れ (recruitment closed before a decision)
    INVITATION_DECLINED = "invitation_declined"  # 招待を辞退


class ApplicationOrigin(enum.StrEnum):
    APPLICATION = "application"  # they applied from the project page
    INVITATION = "invitation"  # invited from the matcher's suggestions


class Application(db.Model):
    """A volunteer's or a group's application to (or invitation for) one project."""

    __tablename__ = "application"
    __table_args__ = (
        UniqueConstraint("project_id", "volunteer_user_id", name="uq_application_project_volunteer"),
        UniqueConstraint("project_id", "group_id", name="uq_application_project_group"),
        CheckConstraint("(group_id IS NULL) <> (volunteer_user_id IS NULL)", name="one_kind_of_applicant"),
        Index("ix_application_project_status", "project_id", "status"),
        Index("ix_application_status_updated", "status", "last_action_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    volunteer_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("civic_group.id", ondelete="CASCADE"), index=True)
    origin: Mapped[str] = mapped_column(String(20), default=ApplicationOrigin.APPLICATION.value)
    status: Mapped[str] = mapped_column(String(20), default=ApplicationStatus.APPLIED.value)
    message: Mapped[str] = mapped_column(Text, default="")  # 応募のひとこと
    skill_ids: Mapped[list] = mapped_column(JSON, default=list)  # which of their skills they offer
    slots: Mapped[list] = mapped_column(JSON, default=list)  # which of the project's weekly slots (SLOTS codes)
    dates: Mapped[list] = mapped_column(JSON, default=list)  # which of the project's dates (ISO)
    reason: Mapped[str] = mapped_column(Text, default="")  # the last decision's reason (見送り, 辞退 …)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_action_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # stale after 7 days
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # the waiting list's order
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    project: Mapped[Project] = relationship()  # noqa: F821
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_user_id])  # noqa: F821
    group: Mapped[CivicGroup | None] = relationship()  # noqa: F821
    transitions: Mapped[list[ApplicationTransition]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationTransition.id")
    messages: Mapped[list[ApplicationMessage]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ApplicationMessage.id")
    records: Mapped[list[ActivityRecord]] = relationship(
        back_populates="application", cascade="all, delete-orphan", order_by="ActivityRecord.activity_date")

    @property
    def kind(self) -> str:
        return "group" if self.group_id is not None else "volunteer"


class ApplicationTransition(db.Model):
    """One step of an application: who, when, from, to, reason (the timeline shown to those concerned)."""

    __tablename__ = "application_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))  # None: the application was created
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))  # None: automatic
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()  # noqa: F821


class ApplicationMessage(db.Model):
    """A plain-text message in the application's thread (applicant, department, centre)."""

    __tablename__ = "application_message"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship(back_populates="messages")
    author: Mapped[User | None] = relationship()  # noqa: F821


class ActivityRecord(db.Model):
    """活動履歴: one participant on one activity day — attended or not, and the minutes given."""

    __tablename__ = "activity_record"
    __table_args__ = (
        UniqueConstraint("application_id", "activity_date", name="uq_activity_record_day"),
        CheckConstraint("minutes >= 0 AND minutes <= 1440", name="minutes_in_a_day"),
        CheckConstraint("participants >= 1", name="at_least_one_participant"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("application.id", ondelete="CASCADE"), index=True)
    activity_date: Mapped[date] = mapped_column(Date)
    attended: Mapped[bool] = mapped_column(default=True)
    minutes: Mapped[int] = mapped_column(default=0)
    participants: Mapped[int] = mapped_column(default=1)  # a group counts the members who came
    note: Mapped[str] = mapped_column(String(300), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    application: Mapped[Application] = relationship(back_populates="records")


class NotificationPreference(db.Model):
    """How a user wants one kind of notice by e-mail: each time, in a daily digest, or not at all (in-app stays)."""

    __tablename__ = "notification_preference"
    __table_args__ = (UniqueConstraint("user_id", "kind", name="uq_notification_preference_kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    mode: Mapped[str] = mapped_column(String(10), default="instant")  # instant / digest / off
