"""Suggestions (提案) for staff, coordinators and volunteers: the one code path of the CLI and the web panel."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from .. import search
from ..extensions import db
from ..i18n import today_jst
from ..models import Application, CivicGroup, Project, ProjectPartner, ProjectStatus, VolunteerProfile
from ..search import analysis
from . import data, matcher

MAX_LIMIT = 100


def already_involved(project_id: int) -> set[tuple[str, int]]:
    """Who is already in touch with the issue — a partner, or anyone who applied or was invited (whatever came of
    it): never suggested again."""
    rows = db.session.execute(
        select(ProjectPartner.group_id, ProjectPartner.volunteer_user_id).where(ProjectPartner.project_id == project_id)
        .union_all(select(Application.group_id, Application.volunteer_user_id)
                   .where(Application.project_id == project_id))).all()
    return {("group", g) if g is not None else ("volunteer", v) for g, v in rows}


def involved_issues(kind: str, object_id: int) -> set[int]:
    """The issues a volunteer or group is already a partner of or applied to (the reverse of
    :func:`already_involved`)."""
    partner = ProjectPartner.group_id if kind == "group" else ProjectPartner.volunteer_user_id
    applicant = Application.group_id if kind == "group" else Application.volunteer_user_id
    return set(db.session.scalars(select(ProjectPartner.project_id).where(partner == object_id)
                                  .union(select(Application.project_id).where(applicant == object_id))))


def _related(labels) -> dict[str, set[str]]:
    return {label: analysis.related([label]) for label in labels}


def suggest_for_issue(project: Project, *, limit: int = 10, today: date | None = None) -> list[matcher.Suggestion]:
    """Ranked volunteers and groups for an issue (for staff and coordinators). Nothing for a closed issue."""
    today = today or today_jst()
    limit = max(1, min(limit, MAX_LIMIT))
    places = data.Places()
    issue = data.issue_of(project, places)
    if not issue.open:
        return []
    kinds = [k for k, ok in (("volunteer", issue.accepts_individuals), ("group", issue.accepts_groups)) if ok]
    related = _related(issue.skill_concepts + issue.text_concepts)
    skills_text = "\n".join([s.name for s in project.skills] + [issue.title])
    hits = search.match(kinds, matcher.issue_query(issue, related), near_districts=issue.districts,
                        fallback_text=skills_text, limit=max(100, limit * 10))
    candidates = (data.volunteer_candidates([i for k, i in hits if k == "volunteer"], places, today)
                  + data.group_candidates([i for k, i in hits if k == "group"], places))
    text_hits = {key: matcher.TextHit(h.score, h.matched) for key, h in hits.items()}
    return matcher.rank_candidates(issue, candidates, text_hits, exclude=already_involved(project.id), limit=limit)


def suggest_for_candidate(obj: VolunteerProfile | CivicGroup, *, limit: int = 10,
                          today: date | None = None) -> list[matcher.Suggestion]:
    """Ranked open issues for a volunteer or group (あなたにおすすめ)."""
    today = today or today_jst()
    limit = max(1, min(limit, MAX_LIMIT))
    places = data.Places()
    cand = data.volunteer_of(obj, places, today) if isinstance(obj, VolunteerProfile) else data.group_of(obj, places)
    if not cand.eligible:
        return []
    related = _related(cand.skill_concepts + cand.text_concepts)
    hits = search.match(["project"], matcher.candidate_query(cand, related), near_districts=cand.districts,
                        status=ProjectStatus.RECRUITING.value, limit=max(100, limit * 10))
    issues = data.issues([i for _k, i in hits], places)
    text_hits = {i: matcher.TextHit(h.score, h.matched) for (_k, i), h in hits.items()}
    return matcher.rank_issues(cand, issues, text_hits, exclude=involved_issues(cand.kind, cand.id), limit=limit)


def suggestions_by_key(key: str, *, limit: int = 10) -> tuple[str, list[matcher.Suggestion]] | None:
    """For the CLI: suggestions for the record with this external key (an issue, a volunteer or a group)."""
    if (project := data.project_by_key(key)) is not None:
        return "issue", suggest_for_issue(project, limit=limit)
    if (profile := data.volunteer_by_key(key)) is not None:
        return "volunteer", suggest_for_candidate(profile, limit=limit)
    if (group := data.group_by_key(key)) is not None:
        return "group", suggest_for_candidate(group, limit=limit)
    return None
