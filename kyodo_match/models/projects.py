"""Regional issues and collaboration projects (地域課題・協働事業), their lifecycle, evaluation and proposals."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, link_table, utcnow


class ProjectKind(enum.StrEnum):
    ISSUE = "issue"  # 地域課題: a problem the city shares, looking for partners
    PROJECT = "project"  # 協働事業: a collaboration with a domain and a method


class Domain(enum.StrEnum):
    """協働の領域 (図1): only ②③④ are collaboration."""

    CITIZEN_LED = "citizen_led"  # ② 市民主導
    COOPERATION = "cooperation"  # ③ 市民行政協力
    GOVERNMENT_LED = "government_led"  # ④ 行政主導


class Method(enum.StrEnum):
    """協働の手法, paired with the domains as the guideline's table does."""

    SUBSIDY = "subsidy"  # 補助・助成 (②)
    SPONSORSHIP = "sponsorship"  # 後援 (②)
    CO_HOSTING = "co_hosting"  # 共催 (③)
    EXECUTIVE_COMMITTEE = "executive_committee"  # 実行委員会 (③)
    JOINT_PROJECT = "joint_project"  # 共同事業 (③)
    COMMISSION = "commission"  # 事業委託 (④)
    COOPERATION = "cooperation"  # 事業協力 (④)


class ProjectStatus(enum.StrEnum):
    """Section V: 検討 → 公募中 → 選定 → 協定 → 実施中 → 評価 → 完了, or 中止."""

    DRAFT = "draft"  # 検討
    RECRUITING = "recruiting"  # 公募中
    SELECTING = "selecting"  # 選定
    AGREEMENT = "agreement"  # 協定
    RUNNING = "running"  # 実施中
    EVALUATING = "evaluating"  # 評価
    CLOSED = "closed"  # 完了
    CANCELLED = "cancelled"  # 中止


class SelectionMethod(enum.StrEnum):
    OPEN_CALL = "open_call"  # 公募（原則）
    DESIGNATED = "designated"  # 指名（理由を公開）


project_field = link_table("project_field", ("project_id", "project.id"), ("field_code", "activity_field.code"))
project_district = link_table("project_district", ("project_id", "project.id"), ("district_id", "district.id"))
project_skill = link_table("project_skill", ("project_id", "project.id"), ("skill_id", "skill.id"))
proposal_district = link_table("proposal_district", ("proposal_id", "proposal.id"), ("district_id", "district.id"))


class Project(db.Model):
    """地域課題・協働事業. Publication needs ルール2 (purpose), 4 (selection), 5 (end date) and 6 (roles)."""

    __tablename__ = "project"
    __table_args__ = (
        Index("ix_project_status_recruit_until", "status", "recruit_until"),
        Index("ix_project_status_published_at", "status", "published_at"),
        CheckConstraint("needed_individuals >= 0 AND needed_groups >= 0", name="needed_not_negative"),
        # The backstop of the capacity rule: confirmations never exceed the places (counted by conditional UPDATE).
        CheckConstraint("taken_individuals >= 0 AND taken_individuals <= needed_individuals", name="individuals_fit"),
        CheckConstraint("taken_groups >= 0 AND taken_groups <= needed_groups", name="groups_fit"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), default=ProjectKind.PROJECT.value)
    title: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(400), default="")
    background: Mapped[str] = mapped_column(Text, default="")  # 地域課題の背景
    beneficiaries: Mapped[str] = mapped_column(Text, default="")  # ルール2: 誰のために
    purpose: Mapped[str] = mapped_column(Text, default="")  # ルール2: 何のために
    outcome_goal: Mapped[str] = mapped_column(Text, default="")  # 成果目標
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id", ondelete="RESTRICT"), index=True)
    contact_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    domain: Mapped[str | None] = mapped_column(String(20))
    method: Mapped[str | None] = mapped_column(String(30))
    city_role: Mapped[str] = mapped_column(Text, default="")  # ルール6: 市の役割
    partner_role: Mapped[str] = mapped_column(Text, default="")  # ルール6: パートナーの役割
    selection_method: Mapped[str] = mapped_column(String(20), default=SelectionMethod.OPEN_CALL.value)
    selection_criteria: Mapped[str] = mapped_column(Text, default="")  # ルール4: 選考基準
    designation_reason: Mapped[str] = mapped_column(Text, default="")  # 指名のときの理由
    recruit_from: Mapped[date | None] = mapped_column(Date)
    recruit_until: Mapped[date | None] = mapped_column(Date)
    period_start: Mapped[date | None] = mapped_column(Date)
    period_end: Mapped[date | None] = mapped_column(Date)  # ルール5: 協働の期限
    needed_individuals: Mapped[int] = mapped_column(default=0)
    needed_groups: Mapped[int] = mapped_column(default=0)
    taken_individuals: Mapped[int] = mapped_column(default=0, server_default="0")  # confirmed places (確定)
    taken_groups: Mapped[int] = mapped_column(default=0, server_default="0")
    schedule_slots: Mapped[list] = mapped_column(JSON, default=list)  # weekly slots (SLOTS codes)
    schedule_dates: Mapped[list] = mapped_column(JSON, default=list)  # ISO dates
    schedule_note: Mapped[str] = mapped_column(String(300), default="")
    # Derived from the slots and dates when saved, so that the list filters 平日 / 土日 in SQL.
    on_weekdays: Mapped[bool] = mapped_column(default=False, server_default=false())
    on_weekends: Mapped[bool] = mapped_column(default=False, server_default=false())
    place: Mapped[str] = mapped_column(String(200), default="")
    budget_total: Mapped[int | None] = mapped_column()  # 収支計画（円）
    budget_city: Mapped[int | None] = mapped_column()
    budget_partner: Mapped[int | None] = mapped_column()
    budget_note: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=ProjectStatus.DRAFT.value, index=True)
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    agreement_city_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # 協定: confirmed by the city
    agreement_partner_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # … and by the partner
    outcome_achieved: Mapped[str] = mapped_column(Text, default="")  # 成果: against the 成果目標
    outcome_figures: Mapped[str] = mapped_column(Text, default="")
    improvement_notes: Mapped[str] = mapped_column(Text, default="")  # 改善
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id", ondelete="SET NULL"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    external_key: Mapped[str | None] = mapped_column(String(40), unique=True, index=True)  # load-json の外部キー

    department: Mapped[Department] = relationship()  # noqa: F821
    contact_user: Mapped[User | None] = relationship(foreign_keys=[contact_user_id])  # noqa: F821
    fields: Mapped[list[ActivityField]] = relationship(secondary=project_field, order_by="ActivityField.code")  # noqa: F821
    districts: Mapped[list[District]] = relationship(secondary=project_district, order_by="District.position")  # noqa: F821
    skills: Mapped[list[Skill]] = relationship(secondary=project_skill, order_by="Skill.position")  # noqa: F821
    partners: Mapped[list[ProjectPartner]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectPartner.selected_at")
    transitions: Mapped[list[ProjectTransition]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectTransition.id")
    revisions: Mapped[list[ProjectRevision]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectRevision.id")
    files: Mapped[list[ProjectFile]] = relationship(
        back_populates="project", cascade="all, delete-orphan", order_by="ProjectFile.id")

    @property
    def public_files(self) -> list[ProjectFile]:
        """成果の公表: the files marked public (shown once the project is closed)."""
        return [f for f in self.files if f.public]


class ProjectPartner(db.Model):
    """A selected partner (協働のパートナー): a civic group or an individual volunteer."""

    __tablename__ = "project_partner"
    __table_args__ = (
        UniqueConstraint("project_id", "group_id", name="uq_project_partner_group"),
        UniqueConstraint("project_id", "volunteer_user_id", name="uq_project_partner_volunteer"),
        CheckConstraint("(group_id IS NULL) <> (volunteer_user_id IS NULL)", name="one_kind_of_partner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("civic_group.id", ondelete="RESTRICT"), index=True)
    volunteer_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="RESTRICT"), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")  # why chosen (選定過程の公開)
    selected_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    selected_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="partners")
    group: Mapped[CivicGroup | None] = relationship()  # noqa: F821
    volunteer: Mapped[User | None] = relationship(foreign_keys=[volunteer_user_id])  # noqa: F821


class ProjectTransition(db.Model):
    """One step of the lifecycle: who, when, from, to, comment (shown as the project's timeline)."""

    __tablename__ = "project_transition"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="transitions")
    actor: Mapped[User | None] = relationship()  # noqa: F821


class ProjectRevision(db.Model):
    """An edit after publication: what changed (field: [before, after]), who, when."""

    __tablename__ = "project_revision"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    changes: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="revisions")
    actor: Mapped[User | None] = relationship()  # noqa: F821


class ProjectFile(db.Model):
    """A file of the outcome report (成果の報告): PDF, JPEG or PNG, stored under a server-chosen name."""

    __tablename__ = "project_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    original_name: Mapped[str] = mapped_column(String(120))  # sanitised, shown and used as the download name
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)  # random; the file's name on disk
    content_type: Mapped[str] = mapped_column(String(40))  # from the content, never from the upload
    size: Mapped[int] = mapped_column()
    public: Mapped[bool] = mapped_column(default=False)  # 成果の公表: shown once the project is closed
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    project: Mapped[Project] = relationship(back_populates="files")


class EvaluationAnswer(db.Model):
    """資料2 協働事業の評価シート: one side's answer (はい/いいえ/該当なし + comment) to one of the 25 items."""

    __tablename__ = "evaluation_answer"
    __table_args__ = (UniqueConstraint("project_id", "side", "item_key", name="uq_evaluation_answer_item"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"), index=True)
    side: Mapped[str] = mapped_column(String(20))  # department / partner
    item_key: Mapped[str] = mapped_column(String(20))  # e.g. "plan-1"
    answer: Mapped[str] = mapped_column(String(10))  # yes / no / na
    comment: Mapped[str] = mapped_column(Text, default="")
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class ProposalStatus(enum.StrEnum):
    SUBMITTED = "submitted"  # 受付
    ROUTED = "routed"  # 担当課で検討中
    ACCEPTED = "accepted"  # 採用（事業の検討へ）
    DECLINED = "declined"  # 不採用（理由を公開）


class Proposal(db.Model):
    """事業提案 (IV-3-(2)): a citizen's or group's proposal, routed by a coordinator to a department."""

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposer_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"), index=True)
    group_id: Mapped[int | None] = mapped_column(ForeignKey("civic_group.id", ondelete="SET NULL"), index=True)
    title: Mapped[str] = mapped_column(String(120))
    problem: Mapped[str] = mapped_column(Text, default="")  # どんな地域課題か
    idea: Mapped[str] = mapped_column(Text, default="")  # 解決のアイデア
    offer: Mapped[str] = mapped_column(Text, default="")  # 提案者ができること
    ask: Mapped[str] = mapped_column(Text, default="")  # 市にお願いしたいこと
    status: Mapped[str] = mapped_column(String(20), default=ProposalStatus.SUBMITTED.value, index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id", ondelete="SET NULL"), index=True)
    routed_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    decision_reason: Mapped[str] = mapped_column(Text, default="")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    proposer: Mapped[User | None] = relationship(foreign_keys=[proposer_id])  # noqa: F821
    group: Mapped[CivicGroup | None] = relationship()  # noqa: F821
    department: Mapped[Department | None] = relationship()  # noqa: F821
    districts: Mapped[list[District]] = relationship(secondary=proposal_district, order_by="District.position")  # noqa: F821
    project: Mapped[Project | None] = relationship(
        primaryjoin="Proposal.id == foreign(Project.proposal_id)", uselist=False, viewonly=True)


class Notification(db.Model):
    """An in-app notice to one user (the notification centre); e-mail follows the user's preferences."""

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    message: Mapped[str] = mapped_column(String(400))
    link: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    digest_pending: Mapped[bool] = mapped_column(default=False, server_default=false())  # for the daily digest
