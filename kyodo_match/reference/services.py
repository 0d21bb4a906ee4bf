"""Load the reference data idempotently from the product's own data files; queries the pages share."""

from __future__ import annotations

import csv
import io
import json
from importlib import resources

from flask_babel import gettext as _
from sqlalchemy import func, select

from .. import audit
from ..errors import RuleViolation
from ..extensions import db
from ..models import ActivityField, Area, Department, District, Skill, SkillCategory


def load_data(name: str) -> dict:
    return json.loads(resources.files("kyodo_match.data").joinpath(name).read_text(encoding="utf-8"))


def _by_name(model, name: str):
    return db.session.scalar(select(model).where(model.name == name))


def seed_reference() -> dict[str, int]:
    """Insert what is missing; never overwrite what an administrator has edited. Returns counts added."""
    added = {"areas": 0, "districts": 0, "departments": 0, "fields": 0, "skill_categories": 0, "skills": 0}
    districts = load_data("districts.json")
    for pos, name in enumerate(districts["areas"]):
        if _by_name(Area, name) is None:
            db.session.add(Area(name=name, position=pos))
            added["areas"] += 1
    db.session.flush()
    for pos, item in enumerate(districts["committees"]):
        if _by_name(District, item["name"]) is None:
            area = _by_name(Area, item["area"])
            db.session.add(District(name=item["name"], area_id=area.id, position=pos))
            added["districts"] += 1
    for pos, item in enumerate(load_data("departments.json")["departments"]):
        if _by_name(Department, item["name"]) is None:
            db.session.add(Department(name=item["name"], division=item.get("division"),
                                      staff_count=item.get("staff_count", 0), position=pos))
            added["departments"] += 1
    for item in load_data("fields.json")["fields"]:
        if db.session.get(ActivityField, item["code"]) is None:
            db.session.add(ActivityField(code=item["code"], label=item["label"], official=item["official"]))
            added["fields"] += 1
    for cpos, cat in enumerate(load_data("skills.json")["categories"]):
        category = _by_name(SkillCategory, cat["name"])
        if category is None:
            category = SkillCategory(name=cat["name"], position=cpos)
            db.session.add(category)
            db.session.flush()
            added["skill_categories"] += 1
        for spos, skill in enumerate(cat["skills"]):
            if _by_name(Skill, skill["name"]) is None:
                db.session.add(Skill(name=skill["name"], reading=skill["reading"], category_id=category.id,
                                     position=spos))
                added["skills"] += 1
    db.session.flush()
    return added


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.active).order_by(Department.position)))


def districts_by_area() -> list[Area]:
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(Area).options(selectinload(Area.districts)).order_by(Area.position)))


# --- Editing reference data (administrators; the skill vocabulary also coordinators) ---------------------------
# Rows other records point at are deactivated, never deleted. Each edit records what changed in the audit log.

MAX_IMPORT_BYTES = 200_000
_IMPORT_HEADERS = {("name", "area"), ("地域委員会", "地域"), ("地域委員会名", "地域"), ("名称", "地域")}


class NameTaken(RuleViolation):
    """Another row of the same kind already has this name (shown beside the name field)."""


def _ensure_unique(model, name: str, own_id=None) -> None:
    query = select(model.id).where(model.name == name)
    if own_id is not None:
        query = query.where(model.id != own_id)
    if db.session.scalar(query) is not None:
        raise NameTaken(_("同じ名前がすでに登録されています。別の名前にしてください。"))


def _next_position(model) -> int:
    return (db.session.scalar(select(func.max(model.position))) or 0) + 1


def _apply(obj, values: dict) -> dict:
    """Set the attributes and return what changed as {name: [before, after]}."""
    changes = {}
    for key, value in values.items():
        before = getattr(obj, key)
        if before != value:
            changes[key] = [before, value]
            setattr(obj, key, value)
    return changes


def _record(actor, kind: str, obj, change: str, changes: dict | None = None, **extra) -> None:
    audit.record("reference_changed", actor=actor, target=f"{kind}:{obj.id if hasattr(obj, 'id') else obj.code}",
                 kind=kind, change=change, changes=changes or None, **extra)


def areas() -> list[Area]:
    return list(db.session.scalars(select(Area).order_by(Area.position)))


def save_district(actor, district: District | None, *, name: str, area_id: int, active: bool = True) -> District:
    """Add (district=None) or edit a regional committee. Raises NameTaken."""
    name = name.strip()
    _ensure_unique(District, name, district.id if district else None)
    if district is None:
        district = District(name=name, area_id=area_id, active=active, position=_next_position(District))
        db.session.add(district)
        db.session.flush()
        _record(actor, "district", district, "added", name=name)
        return district
    if changes := _apply(district, {"name": name, "area_id": area_id, "active": active}):
        _record(actor, "district", district, "edited", changes)
    return district


def decode_upload(data: bytes) -> str:
    """Text of an uploaded CSV: UTF-8 (with or without BOM) or Shift_JIS as Excel writes it (cp932)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp932")


def parse_district_csv(data: bytes) -> list[tuple[int, str, str]]:
    """Rows ``(line, name, area)`` of a ``name,area`` CSV. Raises RuleViolation listing each bad line."""
    if len(data) > MAX_IMPORT_BYTES:
        raise RuleViolation(_("ファイルが大きすぎます（%(kb)dKBまで）。", kb=MAX_IMPORT_BYTES // 1000))
    try:
        text = decode_upload(data)
    except UnicodeDecodeError:
        raise RuleViolation(
            _("ファイルの文字コードを読み取れませんでした。UTF-8かShift_JISのCSVを選んでください。")) from None
    known = {a.name for a in areas()}
    rows, problems = [], []
    for line, cells in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        cells = [c.strip() for c in cells]
        if not any(cells):
            continue
        if line == 1 and tuple(c.lower() for c in cells[:2]) in _IMPORT_HEADERS:
            continue
        if len(cells) != 2:
            problems.append(_("%(line)d行目: 「地域委員会名,地域」の2項目にしてください。", line=line))
        elif not cells[0] or len(cells[0]) > 40:
            problems.append(_("%(line)d行目: 地域委員会名は1〜40文字にしてください。", line=line))
        elif cells[1] not in known:
            problems.append(_("%(line)d行目: 地域「%(area)s」は登録されていません。", line=line, area=cells[1]))
        else:
            rows.append((line, cells[0], cells[1]))
    if problems:
        raise RuleViolation(_("ファイルに誤りがあるため、取り込みませんでした。"), problems)
    if not rows:
        raise RuleViolation(_("取り込む行がありません。"))
    return rows


def import_districts(actor, data: bytes) -> dict[str, list[str]]:
    """Add the committees of a CSV that are missing; report what was added and skipped. Nothing on error."""
    rows = parse_district_csv(data)
    area_ids = {a.name: a.id for a in areas()}
    existing = set(db.session.scalars(select(District.name)))
    position = _next_position(District)
    report: dict[str, list[str]] = {"added": [], "skipped": []}
    for _line, name, area in rows:
        if name in existing:
            report["skipped"].append(name)
            continue
        db.session.add(District(name=name, area_id=area_ids[area], position=position))
        existing.add(name)
        position += 1
        report["added"].append(name)
    db.session.flush()
    audit.record("reference_changed", actor=actor, target="district:import", kind="district", change="imported",
                 added=report["added"], skipped=len(report["skipped"]))
    return report


def all_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.position, Department.id)))


def save_department(actor, department: Department | None, *, name: str, division: str | None,
                    staff_count: int, active: bool = True) -> Department:
    """Add or edit a department (課). Raises NameTaken, RuleViolation for a negative staff count."""
    name = name.strip()
    if staff_count < 0:
        raise RuleViolation(_("職員数は0以上にしてください。"))
    _ensure_unique(Department, name, department.id if department else None)
    values = {"name": name, "division": (division or "").strip() or None, "staff_count": staff_count,
              "active": active}
    if department is None:
        department = Department(**values, position=_next_position(Department))
        db.session.add(department)
        db.session.flush()
        _record(actor, "department", department, "added", name=name)
        return department
    if changes := _apply(department, values):
        _record(actor, "department", department, "edited", changes)
    return department


def activity_fields() -> list[ActivityField]:
    return list(db.session.scalars(select(ActivityField).order_by(ActivityField.code)))


def relabel_field(actor, field: ActivityField, label: str) -> ActivityField:
    """Change the label of an activity field; its code and official wording stay."""
    if changes := _apply(field, {"label": label.strip()}):
        _record(actor, "activity_field", field, "edited", changes)
    return field


def skill_categories() -> list[SkillCategory]:
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(
        select(SkillCategory).options(selectinload(SkillCategory.skills)).order_by(SkillCategory.position)))


def save_skill_category(actor, category: SkillCategory | None, *, name: str) -> SkillCategory:
    """Add or rename a skill category. Raises NameTaken."""
    name = name.strip()
    _ensure_unique(SkillCategory, name, category.id if category else None)
    if category is None:
        category = SkillCategory(name=name, position=_next_position(SkillCategory))
        db.session.add(category)
        db.session.flush()
        _record(actor, "skill_category", category, "added", name=name)
        return category
    if changes := _apply(category, {"name": name}):
        _record(actor, "skill_category", category, "edited", changes)
    return category


def save_skill(actor, skill: Skill | None, *, name: str, category_id: int, active: bool = True) -> Skill:
    """Add or edit a skill of the vocabulary (deactivate with active=False). Raises NameTaken."""
    name = name.strip()
    _ensure_unique(Skill, name, skill.id if skill else None)
    if skill is None:
        position = (db.session.scalar(
            select(func.max(Skill.position)).where(Skill.category_id == category_id)) or 0) + 1
        skill = Skill(name=name, category_id=category_id, active=active, position=position)
        db.session.add(skill)
        db.session.flush()
        _record(actor, "skill", skill, "added", name=name)
        return skill
    if changes := _apply(skill, {"name": name, "category_id": category_id, "active": active}):
        _record(actor, "skill", skill, "edited", changes)
    return skill
