"""Load the reference data idempotently from the product's own data files; queries the pages share."""

from __future__ import annotations

import json
from importlib import resources

from sqlalchemy import select

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
            if _by_name(Skill, skill) is None:
                db.session.add(Skill(name=skill, category_id=category.id, position=spos))
                added["skills"] += 1
    db.session.flush()
    return added


def departments() -> list[Department]:
    return list(db.session.scalars(select(Department).where(Department.active).order_by(Department.position)))


def districts_by_area() -> list[Area]:
    from sqlalchemy.orm import selectinload

    return list(db.session.scalars(select(Area).options(selectinload(Area.districts)).order_by(Area.position)))
