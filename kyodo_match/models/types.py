"""Column types shared by every model: times are stored in UTC and come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, ForeignKey, Table
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    """The current time in UTC (a callable default, never evaluated at import)."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A timestamp stored as UTC; SQLite's naive values are given back their UTC zone."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def link_table(name: str, owner: tuple[str, str], target: tuple[str, str]) -> Table:
    """A many-to-many table: ``owner`` (column, "table.column") is deleted with its rows; ``target`` (reference
    data such as districts, skills or fields) cannot be deleted while linked, and is indexed for facet filters."""
    from ..extensions import db

    return Table(
        name, db.metadata,
        Column(owner[0], ForeignKey(owner[1], ondelete="CASCADE"), primary_key=True),
        Column(target[0], ForeignKey(target[1], ondelete="RESTRICT"), primary_key=True, index=True),
    )
