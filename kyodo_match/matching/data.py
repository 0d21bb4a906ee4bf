"""Database rows → the matcher's plain data (matcher.Issue, matcher.Candidate); the only database reads it needs."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..models import CivicGroup, District, GroupStatus, Project, ProjectStatus, User, VolunteerProfile
from ..models.people import group_district, group_field, volunteer_district, volunteer_field
from ..search import analysis
from ..search.documents import project_free_text, volunteer_texts
from .loader import FREE_SKILLS_LABEL, WANTED_SKILLS_LABEL
from .matcher import Candidate, Issue


class Places:
    """District → area, and the names shown in reasons (15 rows, read once per suggestion request)."""

    def __init__(self):
        rows = db.session.scalars(select(District).options(selectinload(District.area))).all()
        self.area_of = {d.id: d.area_id for d in rows}
        self.district_names = {d.id: d.name for d in rows}
        self.area_names = {d.area_id: d.area.name for d in rows}

    def areas(self, district_ids) -> frozenset[int]:
        return frozenset(self.area_of[d] for d in district_ids if d in self.area_of)


def _split_free(text: str, label: str) -> tuple[str, list[str]]:
    """The free skill names load-json kept in a text field (a line starting with ``label``), and the rest."""
    lines, skills = [], []
    for line in (text or "").splitlines():
        if line.startswith(label):
            skills += [s for s in line[len(label):].split("、") if s]
        else:
            lines.append(line)
    return "\n".join(lines), skills


def issue_of(p: Project, places: Places) -> Issue:
    partner_role, free = _split_free(p.partner_role, WANTED_SKILLS_LABEL)
    skills = [s.name for s in p.skills] + free
    districts = frozenset(d.id for d in p.districts)
    return Issue(
        id=p.id, key=p.external_key or f"issue:{p.id}", title=p.title, districts=districts,
        areas=places.areas(districts), slots=frozenset(p.schedule_slots or ()),
        fields=frozenset(f.code for f in p.fields),
        accepts_individuals=p.needed_individuals > 0 or p.needed_groups == 0,
        accepts_groups=p.needed_groups > 0 or p.needed_individuals == 0,
        # Open for suggestions while partners are still wanted: 公募中, and 選定 (the department may still invite).
        open=p.status in (ProjectStatus.RECRUITING, ProjectStatus.SELECTING),
        skill_concepts=tuple(analysis.concepts("\n".join(skills))),
        text_concepts=tuple(analysis.concepts(project_free_text(p))),
        skill_words=tuple(dict.fromkeys(analysis.words("\n".join(skills)))),
        district_names=places.district_names, area_names=places.area_names,
    )


def volunteer_of(p: VolunteerProfile, places: Places, today: date) -> Candidate:
    skills, free_text = volunteer_texts(p)
    districts = frozenset(d.id for d in p.districts) | ({p.home_district_id} if p.home_district_id else set())
    return Candidate(
        kind="volunteer", id=p.user_id, key=p.external_key or f"volunteer:{p.user_id}", name=p.user.display_name,
        districts=districts, areas=places.areas(districts), slots=frozenset(p.availability or ()),
        fields=frozenset(f.code for f in p.fields),
        eligible=bool(p.user.is_active and p.expires_on is not None and p.expires_on >= today),
        skill_concepts=tuple(analysis.concepts("\n".join(skills))), text_concepts=tuple(analysis.concepts(free_text)),
        district_names=places.district_names, area_names=places.area_names,
    )


def group_of(g: CivicGroup, places: Places) -> Candidate:
    description, free = _split_free(g.description, FREE_SKILLS_LABEL)
    skills = [s.name for s in g.skills] + free
    districts = frozenset(d.id for d in g.districts)
    return Candidate(
        kind="group", id=g.id, key=g.external_key or f"group:{g.id}", name=g.name, districts=districts,
        areas=places.areas(districts), slots=frozenset(g.availability or ()),
        fields=frozenset(f.code for f in g.fields),
        eligible=g.status == GroupStatus.VERIFIED,
        skill_concepts=tuple(analysis.concepts("\n".join(skills))),
        text_concepts=tuple(analysis.concepts("\n".join([description, g.equipment, g.facilities]))),
        district_names=places.district_names, area_names=places.area_names,
    )


_VOLUNTEER_OPTIONS = (selectinload(VolunteerProfile.skills), selectinload(VolunteerProfile.fields),
                      selectinload(VolunteerProfile.districts), selectinload(VolunteerProfile.qualifications),
                      selectinload(VolunteerProfile.user))
_GROUP_OPTIONS = (selectinload(CivicGroup.skills), selectinload(CivicGroup.fields), selectinload(CivicGroup.districts))
_PROJECT_OPTIONS = (selectinload(Project.skills), selectinload(Project.fields), selectinload(Project.districts))


def volunteers(ids, places: Places, today: date) -> list[Candidate]:
    if not ids:
        return []
    rows = db.session.scalars(select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
                              .where(VolunteerProfile.user_id.in_(list(ids))).options(*_VOLUNTEER_OPTIONS))
    return [volunteer_of(p, places, today) for p in rows]


def groups(ids, places: Places) -> list[Candidate]:
    if not ids:
        return []
    rows = db.session.scalars(select(CivicGroup).where(CivicGroup.id.in_(list(ids))).options(*_GROUP_OPTIONS))
    return [group_of(g, places) for g in rows]


def _links(table, key_column: str, value_column: str, ids) -> dict[int, set]:
    out: dict[int, set] = {}
    for key, value in db.session.execute(select(table.c[key_column], table.c[value_column])
                                         .where(table.c[key_column].in_(ids))):
        out.setdefault(key, set()).add(value)
    return out


def volunteer_candidates(ids, places: Places, today: date) -> list[Candidate]:
    """The volunteers with these ids as candidates for an issue: the structured data only, three queries.

    An issue's ranking needs districts, times, fields and eligibility; the text was scored by the index, so
    neither ORM objects nor the analyser are needed for the pool (the reverse direction uses volunteer_of).
    """
    ids = list(ids)
    if not ids:
        return []
    rows = db.session.execute(
        select(VolunteerProfile.user_id, VolunteerProfile.external_key, VolunteerProfile.home_district_id,
               VolunteerProfile.availability, VolunteerProfile.expires_on, User.display_name, User.active,
               User.deleted_at)
        .join(User, User.id == VolunteerProfile.user_id).where(VolunteerProfile.user_id.in_(ids))).all()
    districts = _links(volunteer_district, "user_id", "district_id", ids)
    fields = _links(volunteer_field, "user_id", "field_code", ids)
    out = []
    for r in rows:
        ds = frozenset(districts.get(r.user_id, ())) | ({r.home_district_id} if r.home_district_id else set())
        out.append(Candidate(
            kind="volunteer", id=r.user_id, key=r.external_key or f"volunteer:{r.user_id}", name=r.display_name,
            districts=ds, areas=places.areas(ds), slots=frozenset(r.availability or ()),
            fields=frozenset(fields.get(r.user_id, ())),
            eligible=bool(r.active and r.deleted_at is None and r.expires_on is not None and r.expires_on >= today),
            district_names=places.district_names, area_names=places.area_names))
    return out


def group_candidates(ids, places: Places) -> list[Candidate]:
    """The groups with these ids as candidates for an issue (structured data only, three queries)."""
    ids = list(ids)
    if not ids:
        return []
    rows = db.session.execute(select(CivicGroup.id, CivicGroup.external_key, CivicGroup.name,
                                     CivicGroup.availability, CivicGroup.status)
                              .where(CivicGroup.id.in_(ids))).all()
    districts = _links(group_district, "group_id", "district_id", ids)
    fields = _links(group_field, "group_id", "field_code", ids)
    out = []
    for r in rows:
        ds = frozenset(districts.get(r.id, ()))
        out.append(Candidate(
            kind="group", id=r.id, key=r.external_key or f"group:{r.id}", name=r.name, districts=ds,
            areas=places.areas(ds), slots=frozenset(r.availability or ()), fields=frozenset(fields.get(r.id, ())),
            eligible=r.status == GroupStatus.VERIFIED, district_names=places.district_names,
            area_names=places.area_names))
    return out


def issues(ids, places: Places) -> list[Issue]:
    if not ids:
        return []
    rows = db.session.scalars(select(Project).where(Project.id.in_(list(ids))).options(*_PROJECT_OPTIONS))
    return [issue_of(p, places) for p in rows]


def project_by_key(key: str) -> Project | None:
    return db.session.scalar(select(Project).where(Project.external_key == key).options(*_PROJECT_OPTIONS))


def volunteer_by_key(key: str) -> VolunteerProfile | None:
    return db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.external_key == key)
                             .options(*_VOLUNTEER_OPTIONS))


def group_by_key(key: str) -> CivicGroup | None:
    return db.session.scalar(select(CivicGroup).where(CivicGroup.external_key == key).options(*_GROUP_OPTIONS))
