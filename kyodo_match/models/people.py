"""People and groups: volunteer profiles (人材バンク), civic groups (市民活動団体), consultations (相談記録)."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, link_table, utcnow

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAYPARTS = ("am", "pm", "ev")  # 午前・午後・夜間
SLOTS = tuple(f"{d}_{p}" for d in WEEKDAYS for p in DAYPARTS)
TRAVEL_MODES = ("walk", "bicycle", "car")  # 徒歩・自転車・車


class GroupType(enum.StrEnum):
    NPO = "npo"  # NPO法人
    NEIGHBOURHOOD = "neighbourhood"  # 自治会
    VOLUNTEER = "volunteer"  # ボランティア団体
    PTA = "pta"  # PTA
    SENIOR_CLUB = "senior_club"  # 老人クラブ
    COMPANY = "company"  # 企業
    UNIVERSITY = "university"  # 大学
    REGIONAL_COMMITTEE = "regional_committee"  # 地域委員会
    OTHER = "other"  # その他


class GroupStatus(enum.StrEnum):
    PENDING = "pending"  # 申請中
    VERIFIED = "verified"  # 確認済
    PAUSED = "paused"  # 休止
    STOPPED = "stopped"  # 停止


class Stage(enum.StrEnum):
    """ステップアップ支援 (IV-5-(1)): 相談 → 助成 → 協働事業."""

    CONSULTATION = "consultation"
    GRANT = "grant"
    COLLABORATION = "collaboration"


VOLUNTEER = ("user_id", "volunteer_profile.user_id")
volunteer_district = link_table("volunteer_district", VOLUNTEER, ("district_id", "district.id"))
volunteer_skill = link_table("volunteer_skill", VOLUNTEER, ("skill_id", "skill.id"))
volunteer_field = link_table("volunteer_field", VOLUNTEER, ("field_code", "activity_field.code"))
group_district = link_table("group_district", ("group_id", "civic_group.id"), ("district_id", "district.id"))
group_skill = link_table("group_skill", ("group_id", "civic_group.id"), ("skill_id", "skill.id"))
group_field = link_table("group_field", ("group_id", "civic_group.id"), ("field_code", "activity_field.code"))


class VolunteerProfile(db.Model):
    """個人ボランティアの登録（人材バンク）. Public card: display name, skills, districts — never contact data."""

    __tablename__ = "volunteer_profile"

    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    # Private (owner and coordinators; contact data to a confirmed partner once matching exists).
    real_name: Mapped[str] = mapped_column(String(60), default="")
    real_name_kana: Mapped[str] = mapped_column(String(60), default="")
    contact_email: Mapped[str | None] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    postal_code: Mapped[str | None] = mapped_column(String(8))
    is_minor: Mapped[bool] = mapped_column(default=False)
    guardian_name: Mapped[str | None] = mapped_column(String(60))
    guardian_consent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Matching facts.
    home_district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="SET NULL"), index=True)
    free_tags: Mapped[list] = mapped_column(JSON, default=list)
    availability: Mapped[list] = mapped_column(JSON, default=list)  # SLOTS codes
    availability_note: Mapped[str] = mapped_column(String(200), default="")
    travel_modes: Mapped[list] = mapped_column(JSON, default=list)  # TRAVEL_MODES
    has_insurance: Mapped[bool] = mapped_column(default=False)
    insurance_fiscal_year: Mapped[int | None] = mapped_column()
    bio: Mapped[str] = mapped_column(Text, default="")
    public_card: Mapped[bool] = mapped_column(default=False, index=True)
    stage: Mapped[str] = mapped_column(String(20), default=Stage.CONSULTATION.value)
    registered_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_on: Mapped[date] = mapped_column(Date)  # 登録の有効期限（3年）
    renewal_reminded_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    external_key: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)  # load-json の外部キー

    user: Mapped[User] = relationship()  # noqa: F821
    home_district: Mapped[District | None] = relationship()  # noqa: F821
    districts: Mapped[list[District]] = relationship(secondary=volunteer_district, order_by="District.position")  # noqa: F821
    skills: Mapped[list[Skill]] = relationship(secondary=volunteer_skill, order_by="Skill.position")  # noqa: F821
    fields: Mapped[list[ActivityField]] = relationship(secondary=volunteer_field, order_by="ActivityField.code")  # noqa: F821
    qualifications: Mapped[list[Qualification]] = relationship(
        back_populates="profile", cascade="all, delete-orphan", order_by="Qualification.id")


class Qualification(db.Model):
    """資格 (e.g. 普通自動車免許, 介護福祉士, 刈払機安全衛生教育) with the year obtained."""

    __tablename__ = "qualification"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("volunteer_profile.user_id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    year: Mapped[int | None] = mapped_column()

    profile: Mapped[VolunteerProfile] = relationship(back_populates="qualifications")


class CivicGroup(db.Model):
    """市民活動団体. Only verified groups appear in the public directory (事前登録制, V-2-②)."""

    __tablename__ = "civic_group"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    name_kana: Mapped[str] = mapped_column(String(100), default="")
    group_type: Mapped[str] = mapped_column(String(30), index=True)
    corporate_number: Mapped[str | None] = mapped_column(String(13))
    representative_name: Mapped[str] = mapped_column(String(60), default="")
    members_count: Mapped[int | None] = mapped_column()
    founded_year: Mapped[int | None] = mapped_column()
    equipment: Mapped[str] = mapped_column(Text, default="")  # 提供できる物品（財産の相互利用）
    facilities: Mapped[str] = mapped_column(Text, default="")  # 提供できる施設
    availability: Mapped[list] = mapped_column(JSON, default=list)
    availability_note: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    website: Mapped[str | None] = mapped_column(String(300))
    public_contact: Mapped[str | None] = mapped_column(String(200))  # shown in the directory, optional
    contact_email: Mapped[str | None] = mapped_column(String(254))  # private
    contact_phone: Mapped[str | None] = mapped_column(String(20))  # private
    postal_code: Mapped[str | None] = mapped_column(String(8))  # private
    address: Mapped[str | None] = mapped_column(String(200))  # private
    status: Mapped[str] = mapped_column(String(20), default=GroupStatus.PENDING.value, index=True)
    status_reason: Mapped[str | None] = mapped_column(String(300))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    verified_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    stage: Mapped[str] = mapped_column(String(20), default=Stage.CONSULTATION.value)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    external_key: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)  # load-json の外部キー

    districts: Mapped[list[District]] = relationship(secondary=group_district, order_by="District.position")  # noqa: F821
    skills: Mapped[list[Skill]] = relationship(secondary=group_skill, order_by="Skill.position")  # noqa: F821
    fields: Mapped[list[ActivityField]] = relationship(secondary=group_field, order_by="ActivityField.code")  # noqa: F821
    representatives: Mapped[list[GroupRepresentative]] = relationship(
        back_populates="group", cascade="all, delete-orphan", order_by="GroupRepresentative.joined_at")


class GroupRepresentative(db.Model):
    """A user who represents a group; a group has one or more, and the last one cannot leave."""

    __tablename__ = "group_representative"
    __table_args__ = (UniqueConstraint("group_id", "user_id", name="uq_group_representative_pair"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("civic_group.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"), index=True)
    joined_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    group: Mapped[CivicGroup] = relationship(back_populates="representatives")
    user: Mapped[User] = relationship()  # noqa: F821


class GroupInvitation(db.Model):
    """An e-mailed invitation to become another representative of a group (single use, 14 days)."""

    __tablename__ = "group_invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("civic_group.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    group: Mapped[CivicGroup] = relationship()


class Consultation(db.Model):
    """相談記録: a coordinator's note of a consultation with a person or a group."""

    __tablename__ = "consultation"
    __table_args__ = (Index("ix_consultation_subject", "volunteer_user_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    volunteer_user_id: Mapped[int | None] = mapped_column(ForeignKey("volunteer_profile.user_id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("civic_group.id", ondelete="CASCADE"))
    held_on: Mapped[date] = mapped_column(Date)
    topic: Mapped[str] = mapped_column(String(120))
    notes: Mapped[str] = mapped_column(Text, default="")
    next_step: Mapped[str] = mapped_column(String(300), default="")
    coordinator_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    coordinator: Mapped[User | None] = relationship()  # noqa: F821


class SearchOutbox(db.Model):
    """Index updates written in the same transaction as the change; one indexer drains them in order."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # volunteer / group (later: issue)
    object_id: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
