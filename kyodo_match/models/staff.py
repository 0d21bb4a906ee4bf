"""1課1ボランティア (IV-6-(2)-④): each department of the city volunteers as a team at least once a fiscal year.

A department posts an activity (date and time, place, seats, sign-up deadline, optionally an adopt section or a
project it serves); city staff sign up; when the seats are taken they join the waiting list in order, and a
cancellation promotes the first waiting person. Afterwards the organiser records who came and for how long.
市民協働課 reads the yearly picture per department from these rows.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class Audience(enum.StrEnum):
    DEPARTMENT = "department"  # 課内のみ
    ALL_STAFF = "all"  # 全職員


class Participation(enum.StrEnum):
    WORKPLACE = "workplace"  # 職場単位: the department takes part as a team
    INDIVIDUAL = "individual"  # 個人単位: each staff member on their own


class StaffActivityStatus(enum.StrEnum):
    OPEN = "open"  # 予定 (sign-ups until the deadline)
    CANCELLED = "cancelled"  # 中止


class SignupStatus(enum.StrEnum):
    CONFIRMED = "confirmed"  # 参加
    WAITLISTED = "waitlisted"  # キャンセル待ち
    CANCELLED = "cancelled"  # 取り消し (by the person or the organiser)
    CALLED_OFF = "called_off"  # 中止 (the activity was called off while the person held a seat or a place in line)


class StaffActivity(db.Model):
    """One department's volunteer activity on one day."""

    __tablename__ = "staff_activity"
    __table_args__ = (
        CheckConstraint("capacity >= 1 AND capacity <= 500", name="capacity_in_range"),
        CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
        CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        CheckConstraint("signup_deadline <= starts_at", name="deadline_before_start"),
        Index("ix_staff_activity_status_starts", "status", "starts_at"),
        Index("ix_staff_activity_department_starts", "department_id", "starts_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    place: Mapped[str] = mapped_column(String(200), default="")
    meeting_point: Mapped[str] = mapped_column(String(200), default="")  # 集合場所
    bring: Mapped[str] = mapped_column(String(500), default="")  # 持ち物
    capacity: Mapped[int] = mapped_column(default=10)
    taken: Mapped[int] = mapped_column(default=0)  # confirmed seats (kept by conditional UPDATEs)
    signup_deadline: Mapped[datetime] = mapped_column(UTCDateTime())
    audience: Mapped[str] = mapped_column(String(12), default=Audience.ALL_STAFF.value)
    participation: Mapped[str] = mapped_column(String(12), default=Participation.INDIVIDUAL.value)
    adopt_section_id: Mapped[int | None] = mapped_column(ForeignKey("adopt_section.id", ondelete="SET NULL"),
                                                         index=True)
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=StaffActivityStatus.OPEN.value)
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    attendance_recorded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # `flask ikka-reminders` tells participants the day before, and the organisers when attendance is missing —
    # once each (stamped by a conditional UPDATE, so two runs at once never both send).
    reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attendance_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    department: Mapped[Department] = relationship()  # noqa: F821
    adopt_section: Mapped[AdoptSection | None] = relationship()  # noqa: F821
    project: Mapped[Project | None] = relationship()  # noqa: F821
    signups: Mapped[list[StaffSignup]] = relationship(back_populates="activity", cascade="all, delete-orphan",
                                                      order_by="StaffSignup.id")

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.taken, 0)


class StaffSignup(db.Model):
    """One staff member on one activity: confirmed, waiting (in order of ``waitlisted_at``) or cancelled.

    One row per person and activity; signing up again after cancelling reuses it. Attendance and minutes are
    recorded by the organiser after the day (``attended`` is None until then).
    """

    __tablename__ = "staff_signup"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id", name="uq_staff_signup_person"),
        CheckConstraint("minutes >= 0 AND minutes <= 1440", name="minutes_in_a_day"),
        Index("ix_staff_signup_activity_status", "activity_id", "status", "waitlisted_at"),
        Index("ix_staff_signup_user_status", "user_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("staff_activity.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    # The department the person belonged to when signing up (the yearly picture counts them there).
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(12), default=SignupStatus.CONFIRMED.value)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    attended: Mapped[bool | None] = mapped_column()
    minutes: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    activity: Mapped[StaffActivity] = relationship(back_populates="signups")
    user: Mapped[User] = relationship()  # noqa: F821


class CalendarFeed(db.Model):
    """A staff member's secret iCal address. Only a hash of the token is stored; resetting replaces it."""

    __tablename__ = "calendar_feed"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
