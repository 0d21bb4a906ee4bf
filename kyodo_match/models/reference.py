"""Reference data the whole product uses: areas, regional committees, departments, fields, skills."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..extensions import db


class Area(db.Model):
    """地域: 関 and the five former towns and villages merged in 2005."""

    __tablename__ = "area"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    districts: Mapped[list[District]] = relationship(back_populates="area", order_by="District.position")


class District(db.Model):
    """地域委員会: roughly one per elementary-school district."""

    __tablename__ = "district"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("area.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    area: Mapped[Area] = relationship(back_populates="districts")


class Department(db.Model):
    """担当課: a department of the city office."""

    __tablename__ = "department"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    division: Mapped[str | None] = mapped_column(String(60))  # 部
    staff_count: Mapped[int] = mapped_column(default=0)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)


class ActivityField(db.Model):
    """市民活動の分野: the 20 fields of the NPO Act's annexed table; codes are stable."""

    __tablename__ = "activity_field"

    code: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    label: Mapped[str] = mapped_column(String(40))
    official: Mapped[str] = mapped_column(String(120))


class SkillCategory(db.Model):
    __tablename__ = "skill_category"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40), unique=True)
    position: Mapped[int] = mapped_column(default=0)

    skills: Mapped[list[Skill]] = relationship(back_populates="category", order_by="Skill.position")


class Skill(db.Model):
    __tablename__ = "skill"
    __table_args__ = (UniqueConstraint("name", name="uq_skill_name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60))
    reading: Mapped[str] = mapped_column(String(120), default="")  # ひらがなの読み: 「くさかり」→ 草刈り
    category_id: Mapped[int] = mapped_column(ForeignKey("skill_category.id", ondelete="RESTRICT"), index=True)
    position: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[SkillCategory] = relationship(back_populates="skills")
