"""The adopt program (アダプトプログラム, IV-3-(5)): sections of roads, rivers and parks that groups look after as 里親.

A section is posted by its managing department; a verified group applies with its plan; the department and the
centre approve; an agreement (合意書) records the period, duties and sign board; changes are records of their own
(変更届・休止届・再開届・廃止届); activity reports (with photos) and repair requests follow; supplies come from the
city's catalogue (原材料支給) with stock per item.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class SectionKind(enum.StrEnum):
    ROAD = "road"  # 道路
    RIVER = "river"  # 河川
    PARK = "park"  # 公園
    OTHER = "other"  # その他


class SectionStatus(enum.StrEnum):
    """募集中 → 協議中 → 活動中 → 休止 / 終了."""

    OPEN = "open"  # 募集中
    NEGOTIATING = "negotiating"  # 協議中 (an application is being approved)
    ACTIVE = "active"  # 活動中 (an agreement is in force)
    PAUSED = "paused"  # 休止
    ENDED = "ended"  # 終了


class AdoptSection(db.Model):
    """区間: a stretch of road or river, or a park, described from … to …, drawn as GeoJSON (line or polygon)."""

    __tablename__ = "adopt_section"
    __table_args__ = (Index("ix_adopt_section_status_kind", "status", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(10), default=SectionKind.ROAD.value)
    district_id: Mapped[int | None] = mapped_column(ForeignKey("district.id", ondelete="SET NULL"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    description: Mapped[str] = mapped_column(Text, default="")
    start_point: Mapped[str] = mapped_column(String(200), default="")  # 起点（…から）
    end_point: Mapped[str] = mapped_column(String(200), default="")  # 終点（…まで）
    geometry: Mapped[dict | None] = mapped_column(JSON)  # a GeoJSON geometry: LineString / MultiLineString / Polygon
    length_m: Mapped[int | None] = mapped_column()  # 延長（m）
    area_m2: Mapped[int | None] = mapped_column()  # 面積（㎡）
    min_activities_per_year: Mapped[int] = mapped_column(default=4)  # the program's minimum
    status: Mapped[str] = mapped_column(String(20), default=SectionStatus.OPEN.value)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    district: Mapped[District | None] = relationship()  # noqa: F821
    department: Mapped[Department] = relationship()  # noqa: F821


class AdoptionStatus(enum.StrEnum):
    """A group's application for a section: 申請 → 担当課承認 / センター承認 → 合意 (both approved),
    or 見送り / 取り下げ."""

    APPLIED = "applied"  # 申請
    DEPARTMENT_APPROVED = "department_approved"  # 担当課が承認（センター待ち）
    CENTRE_APPROVED = "centre_approved"  # センターが承認（担当課待ち）
    AGREED = "agreed"  # 合意: an agreement exists
    DECLINED = "declined"  # 見送り (with a reason)
    WITHDRAWN = "withdrawn"  # 取り下げ


class Adoption(db.Model):
    """里親の申請: a verified group's plan for one section (activities, times per year, members, insurance)."""

    __tablename__ = "adoption"
    __table_args__ = (
        CheckConstraint("times_per_year >= 1", name="times_per_year_positive"),
        Index("ix_adoption_section_status", "section_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("adopt_section.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("civic_group.id", ondelete="CASCADE"), index=True)
    activities: Mapped[list] = mapped_column(JSON, default=list)  # 清掃, 草刈り, 花壇の手入れ … (codes)
    plan: Mapped[str] = mapped_column(Text, default="")
    times_per_year: Mapped[int] = mapped_column(default=4)
    members_count: Mapped[int] = mapped_column(default=1)
    has_insurance: Mapped[bool] = mapped_column(default=False)  # ボランティア保険
    # 関市に住む・学ぶ・働く (live / study / work), or approved as an exception
    local_tie: Mapped[str] = mapped_column(String(20), default="")
    status: Mapped[str] = mapped_column(String(30), default=AdoptionStatus.APPLIED.value)
    reason: Mapped[str] = mapped_column(Text, default="")
    department_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    centre_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    section: Mapped[AdoptSection] = relationship()
    group: Mapped[CivicGroup] = relationship()  # noqa: F821


class AgreementStatus(enum.StrEnum):
    ACTIVE = "active"  # 有効
    PAUSED = "paused"  # 休止
    ENDED = "ended"  # 廃止・終了


class AdoptAgreement(db.Model):
    """合意書: the period (start, end, automatic renewal or not), duties of each side, the sign board, the contact."""

    __tablename__ = "adopt_agreement"

    id: Mapped[int] = mapped_column(primary_key=True)
    adoption_id: Mapped[int] = mapped_column(ForeignKey("adoption.id", ondelete="CASCADE"), unique=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("adopt_section.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int] = mapped_column(ForeignKey("civic_group.id", ondelete="CASCADE"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)  # at least a year after the start
    auto_renew: Mapped[bool] = mapped_column(default=True)
    group_duties: Mapped[str] = mapped_column(Text, default="")  # 里親の役割
    city_duties: Mapped[str] = mapped_column(Text, default="")  # 市の支援
    sign_text: Mapped[str] = mapped_column(String(100), default="")  # 表示板の文言
    sign_approved: Mapped[bool] = mapped_column(default=False)
    contact_name: Mapped[str] = mapped_column(String(60), default="")  # 連絡担当者（非公開）
    contact_phone: Mapped[str] = mapped_column(String(20), default="")  # 非公開
    status: Mapped[str] = mapped_column(String(20), default=AgreementStatus.ACTIVE.value, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    adoption: Mapped[Adoption] = relationship()
    section: Mapped[AdoptSection] = relationship()
    group: Mapped[CivicGroup] = relationship()  # noqa: F821


class ChangeKind(enum.StrEnum):
    CHANGE = "change"  # 変更届（代表者・団体名など）
    PAUSE = "pause"  # 休止届
    RESUME = "resume"  # 再開届
    END = "end"  # 廃止届


class AdoptChange(db.Model):
    """変更届・休止届・再開届・廃止届: one record per notice, with what changed and from when."""

    __tablename__ = "adopt_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("adopt_agreement.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))
    details: Mapped[dict] = mapped_column(JSON, default=dict)  # e.g. {"representative": ["旧", "新"]}
    reason: Mapped[str] = mapped_column(Text, default="")
    effective_on: Mapped[date] = mapped_column(Date)
    filed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ActivityReport(db.Model):
    """活動報告: one day's work on a section — participants, hours, work done, garbage collected, problems found."""

    __tablename__ = "adopt_report"
    __table_args__ = (
        CheckConstraint("participants >= 1", name="participants_positive"),
        CheckConstraint("minutes >= 0 AND bags >= 0 AND kg_tenths >= 0", name="amounts_not_negative"),
        Index("ix_adopt_report_section_date", "section_id", "activity_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("adopt_agreement.id", ondelete="CASCADE"), index=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("adopt_section.id", ondelete="CASCADE"))
    activity_date: Mapped[date] = mapped_column(Date)
    participants: Mapped[int] = mapped_column(default=1)
    minutes: Mapped[int] = mapped_column(default=0)
    work: Mapped[list] = mapped_column(JSON, default=list)  # 清掃, 草刈り, 花壇の手入れ, 植栽, パトロール … (codes)
    bags: Mapped[int] = mapped_column(default=0)  # ごみ袋の数
    kg_tenths: Mapped[int] = mapped_column(default=0)  # ごみの重さ（0.1 kg 単位）
    note: Mapped[str] = mapped_column(Text, default="")
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    agreement: Mapped[AdoptAgreement] = relationship()
    photos: Mapped[list[ReportPhoto]] = relationship(back_populates="report", cascade="all, delete-orphan",
                                                     order_by="ReportPhoto.id")


class ReportPhoto(db.Model):
    """A photo of a report (JPEG/PNG, re-encoded without metadata, stored under instance/); public if the group
    chose so."""

    __tablename__ = "adopt_report_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("adopt_report.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column()
    public: Mapped[bool] = mapped_column(default=False)
    caption: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    report: Mapped[ActivityReport] = relationship(back_populates="photos")


class RepairStatus(enum.StrEnum):
    RECEIVED = "received"  # 受付
    IN_PROGRESS = "in_progress"  # 対応中
    DONE = "done"  # 対応済み
    DECLINED = "declined"  # 対応しない（理由つき）


class RepairRequest(db.Model):
    """A problem found on a section (破損・不法投棄・危険箇所), sent to the managing department, followed by the
    group."""

    __tablename__ = "adopt_repair"
    __table_args__ = (Index("ix_adopt_repair_status_created", "status", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    section_id: Mapped[int] = mapped_column(ForeignKey("adopt_section.id", ondelete="CASCADE"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("adopt_report.id", ondelete="SET NULL"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("civic_group.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(20))  # damage / dumping / hazard
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=RepairStatus.RECEIVED.value)
    answer: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    section: Mapped[AdoptSection] = relationship()


class SupplyItem(db.Model):
    """The city's catalogue of supplies (ごみ袋, 軍手, 花苗, 土, 道路補修材) and tools on loan, with stock."""

    __tablename__ = "adopt_supply_item"
    __table_args__ = (
        UniqueConstraint("name", name="uq_adopt_supply_item_name"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    unit: Mapped[str] = mapped_column(String(10), default="個")
    is_loan: Mapped[bool] = mapped_column(default=False)  # a tool lent with a return date
    stock: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class SupplyStatus(enum.StrEnum):
    REQUESTED = "requested"  # 申請
    APPROVED = "approved"  # 承認（在庫を確保）
    HANDED_OVER = "handed_over"  # 受け渡し済み
    RETURNED = "returned"  # 返却済み（貸し出しのとき）
    DECLINED = "declined"  # 見送り


class SupplyRequest(db.Model):
    """原材料支給の申請: one item, a quantity, and for a tool the date it comes back."""

    __tablename__ = "adopt_supply_request"
    __table_args__ = (CheckConstraint("quantity >= 1", name="quantity_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(ForeignKey("adopt_agreement.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("adopt_supply_item.id", ondelete="RESTRICT"), index=True)
    quantity: Mapped[int] = mapped_column(default=1)
    return_on: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20), default=SupplyStatus.REQUESTED.value, index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    item: Mapped[SupplyItem] = relationship()
    agreement: Mapped[AdoptAgreement] = relationship()
