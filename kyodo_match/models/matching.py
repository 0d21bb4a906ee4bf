"""The matcher's stored feedback: a suggestion (提案) that staff or a coordinator marked as wrong for an issue."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db
from .types import UTCDateTime, utcnow


class SuggestionFeedback(db.Model):
    """「この提案は合っていない」: the candidate (a volunteer or a group) is no longer suggested for the project.

    One row per project and candidate (two unique constraints, as for ProjectPartner); the reason is a code of
    ``matching.feedback.REASONS``. Kept when the person who marked it leaves; gone with the project or candidate.
    """

    __tablename__ = "suggestion_feedback"
    __table_args__ = (
        UniqueConstraint("project_id", "group_id", name="uq_suggestion_feedback_group"),
        UniqueConstraint("project_id", "volunteer_user_id", name="uq_suggestion_feedback_volunteer"),
        CheckConstraint("(group_id IS NULL) <> (volunteer_user_id IS NULL)", name="one_kind_of_candidate"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id", ondelete="CASCADE"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("civic_group.id", ondelete="CASCADE"))
    volunteer_user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    user: Mapped[User | None] = relationship(foreign_keys=[user_id])  # noqa: F821

    @property
    def candidate_kind(self) -> str:
        return "group" if self.group_id is not None else "volunteer"

    @property
    def candidate_id(self) -> int:
        return self.group_id if self.group_id is not None else self.volunteer_user_id
