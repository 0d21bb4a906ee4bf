"""What goes into the index: public cards, verified groups, published projects — and, for the matcher only, the
profiles of active volunteers who did not publish a card (``audience`` "staff"; public search never sees them).

The public fields (name, text) hold what an anonymous reader may see; the matcher's fields (m_*) hold what staff
and coordinators may see. Stored fields are ids only, and every caller filters the hits again in the database.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import CivicGroup, GroupStatus, Project, ProjectStatus, User, VolunteerProfile
from . import analysis

KINDS = ("volunteer", "group", "project")


def _keywords(values) -> str:
    return ",".join(str(v) for v in values)


def matcher_fields(skills, free_text: str, slots=()) -> dict:
    """The matcher's fields from the skill-like phrases (skills, qualifications) and the free text.

    Each text goes through the morphological analyser once: its words and its concepts come from the same run,
    and ``m_words`` holds the words themselves (one per line; the field does not analyse them again).
    """
    skill_text = "\n".join(skills)
    skill_words, skill_concepts = analysis.analyse(skill_text)
    free_words, free_concepts = analysis.analyse(free_text)
    return {
        "m_skill": " ".join(analysis.concept_term(c) for c in skill_concepts),
        "m_concept": " ".join(analysis.concept_term(c) for c in free_concepts),
        "m_words": "\n".join(skill_words + skill_words + free_words),  # skills count twice
        "m_grams": skill_text,
        "slots": _keywords(slots or ()),
    }


def volunteer_texts(p: VolunteerProfile) -> tuple[list[str], str]:
    """(skill-like phrases, free text) of a profile, as the matcher reads them."""
    skills = [s.name for s in p.skills] + list(p.free_tags or []) + [q.name for q in p.qualifications]
    return skills, p.bio or ""


def volunteer_doc(p: VolunteerProfile) -> dict | None:
    if p.user is None or not p.user.is_active:
        return None
    public = bool(p.public_card)
    card_skills = [s.name for s in p.skills] + list(p.free_tags or [])
    skills, free_text = volunteer_texts(p)
    return {
        "doc_id": f"volunteer:{p.user_id}", "kind": "volunteer", "object_id": p.user_id,
        "name": p.user.display_name if public else "",
        "text": " ".join([p.user.display_name, *card_skills, *(f.label for f in p.fields)]) if public else "",
        "districts": _keywords(d.id for d in p.districts), "fields": _keywords(f.code for f in p.fields),
        "group_type": "", "audience": "public" if public else "staff", "status": "",
        **matcher_fields(skills, free_text, p.availability),
    }


def group_doc(g: CivicGroup) -> dict | None:
    if g.status != GroupStatus.VERIFIED:
        return None
    return {
        "doc_id": f"group:{g.id}", "kind": "group", "object_id": g.id,
        "name": f"{g.name} {g.name_kana}",
        "text": " ".join([g.name, g.name_kana, g.description, g.equipment, g.facilities,
                          *(s.name for s in g.skills), *(f.label for f in g.fields)]),
        "districts": _keywords(d.id for d in g.districts), "fields": _keywords(f.code for f in g.fields),
        "group_type": g.group_type, "audience": "public", "status": g.status,
        **matcher_fields([s.name for s in g.skills],
                         "\n".join([g.description, g.equipment, g.facilities]), g.availability),
    }


def project_doc(p: Project) -> dict | None:
    """Published projects (every state but 検討中) are public."""
    if p.status == ProjectStatus.DRAFT:
        return None
    return {
        "doc_id": f"project:{p.id}", "kind": "project", "object_id": p.id,
        "name": p.title,
        "text": " ".join([p.title, p.summary, p.background, p.beneficiaries, p.purpose, p.outcome_goal, p.place,
                          p.partner_role, p.department.name if p.department else "",
                          *(s.name for s in p.skills), *(f.label for f in p.fields)]),
        "districts": _keywords(d.id for d in p.districts), "fields": _keywords(f.code for f in p.fields),
        "group_type": "", "audience": "public", "status": p.status,
        **matcher_fields([s.name for s in p.skills], project_free_text(p), p.schedule_slots),
    }


def project_free_text(p: Project) -> str:
    return "\n".join([p.title, p.summary, p.background, p.purpose, p.partner_role])


def _volunteers(ids=None):
    q = select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id).options(
        selectinload(VolunteerProfile.skills), selectinload(VolunteerProfile.fields),
        selectinload(VolunteerProfile.districts), selectinload(VolunteerProfile.user),
        selectinload(VolunteerProfile.qualifications))
    if ids is not None:
        q = q.where(VolunteerProfile.user_id.in_(ids))
    return db.session.scalars(q)


def _groups(ids=None):
    q = select(CivicGroup).options(selectinload(CivicGroup.skills), selectinload(CivicGroup.fields),
                                   selectinload(CivicGroup.districts))
    if ids is not None:
        q = q.where(CivicGroup.id.in_(ids))
    return db.session.scalars(q)


def _projects(ids=None):
    q = select(Project).options(selectinload(Project.skills), selectinload(Project.fields),
                                selectinload(Project.districts), selectinload(Project.department))
    if ids is not None:
        q = q.where(Project.id.in_(ids))
    return db.session.scalars(q)


LOADERS = {
    "volunteer": (_volunteers, volunteer_doc, lambda o: o.user_id),
    "group": (_groups, group_doc, lambda o: o.id),
    "project": (_projects, project_doc, lambda o: o.id),
}
KEY_COLUMNS = {"volunteer": VolunteerProfile.user_id, "group": CivicGroup.id, "project": Project.id}
CHUNK = 1000  # rows loaded at a time: memory stays flat however large the talent bank grows


def all_documents() -> Iterator[dict]:
    """Every indexable document, read a chunk of rows at a time (the session forgets each chunk after use)."""
    for kind, (loader, to_doc, _key) in LOADERS.items():
        column = KEY_COLUMNS[kind]
        ids = db.session.scalars(select(column).order_by(column)).all()
        for start in range(0, len(ids), CHUNK):
            for obj in loader(ids[start:start + CHUNK]):
                if (doc := to_doc(obj)) is not None:
                    yield doc


def documents_for(kind: str, ids: set[int]) -> dict[int, dict | None]:
    """Current documents for these objects (None: not, or no longer, indexable)."""
    loader, to_doc, key = LOADERS[kind]
    found = {key(o): to_doc(o) for o in loader(ids)}
    return {i: found.get(i) for i in ids}


def count_indexable() -> dict[str, int]:
    counts = dict.fromkeys(KINDS, 0)
    for doc in all_documents():
        counts[doc["kind"]] += 1
    return counts
