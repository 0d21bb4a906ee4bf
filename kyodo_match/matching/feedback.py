"""The web side of the matcher: suggestions marked wrong (SuggestionFeedback), the wrapper that leaves them out,
and what the panel and the recommendations show — public names only, reasons with the matched words in <mark>.

Calls ``services.suggest_for_issue`` / ``suggest_for_candidate`` (the one code path of the CLI and the web) and
never changes them; every name, link and text shown here is read again from the database and is public.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup, escape
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from ..errors import Conflict, FieldRefused
from ..extensions import db
from ..models import (
    CivicGroup,
    GroupStatus,
    Project,
    ProjectStatus,
    SuggestionFeedback,
    User,
    VolunteerProfile,
)
from ..projects import lifecycle
from ..search import analysis
from . import services
from .matcher import MATCHED_PREFIX

# 「この提案は合っていない」の理由 (code → label); the codes are stored.
REASONS = {
    "district": _l("地域が合わない"),
    "skills": _l("得意なことが合わない"),
    "time": _l("時間が合わない"),
    "consulted": _l("すでに相談済み"),
    "other": _l("その他"),
}
KIND_LABELS = {"volunteer": _l("個人"), "group": _l("団体")}
# The panel is offered while partners are being found: 公募中 and 選定.
PANEL_STATUSES = frozenset({ProjectStatus.RECRUITING.value, ProjectStatus.SELECTING.value})
MAX_LIMIT = 50
EXCERPT_CHARS = 140


# --- who may see and mark -------------------------------------------------------------------------------------

def can_see_suggestions(user, project: Project) -> bool:
    """The panel: those who manage the project (its department's staff, coordinators, administrators)."""
    return lifecycle.can_manage(user, project)


def can_undo(user) -> bool:
    """Undoing a 「合っていない」 mark: the centre's coordinators and administrators."""
    return lifecycle.is_overseer(user)


def panel_open(project: Project) -> bool:
    return project.status in PANEL_STATUSES


# --- feedback -------------------------------------------------------------------------------------------------

def marked(project_id: int) -> set[tuple[str, int]]:
    """The candidates marked wrong for the project, as (kind, id)."""
    rows = db.session.execute(select(SuggestionFeedback.group_id, SuggestionFeedback.volunteer_user_id)
                              .where(SuggestionFeedback.project_id == project_id)).all()
    return {("group", g) if g is not None else ("volunteer", v) for g, v in rows}


def _candidate_exists(kind: str, candidate_id: int) -> bool:
    model = CivicGroup if kind == "group" else VolunteerProfile
    return db.session.get(model, candidate_id) is not None


def mark_wrong(project: Project, kind: str, candidate_id: int | None, reason: str, actor) -> SuggestionFeedback:
    """Store that a suggestion does not fit: the candidate is no longer suggested for this project.

    FieldRefused (422) for a missing or unknown reason or candidate; Conflict (409) when it is already marked or
    the project is no longer 公募中 or 選定.
    """
    if not panel_open(project):
        raise Conflict(_("おすすめは、公募中と選定中の事業にだけ表示されます。"))
    if reason not in REASONS:
        raise FieldRefused("reason", _("合っていない理由を選んでください。"))
    if kind not in KIND_LABELS or candidate_id is None or not _candidate_exists(kind, candidate_id):
        raise FieldRefused("candidate_id", _("この提案は見つかりません。画面を読み込み直してください。"))
    if (kind, candidate_id) in marked(project.id):
        raise Conflict(_("この提案はすでに「合っていない」とされています。"))
    row = SuggestionFeedback(project_id=project.id, reason=reason, user_id=actor.id,
                             group_id=candidate_id if kind == "group" else None,
                             volunteer_user_id=candidate_id if kind == "volunteer" else None)
    try:
        with db.session.begin_nested():  # two people marking at once: the unique constraint decides
            db.session.add(row)
    except IntegrityError:
        raise Conflict(_("この提案はすでに「合っていない」とされています。")) from None
    return row


def undo(row: SuggestionFeedback) -> None:
    """Take a mark back: the candidate may be suggested again."""
    db.session.delete(row)


def feedback_rows(project: Project) -> list[SuggestionFeedback]:
    return list(db.session.scalars(select(SuggestionFeedback).where(SuggestionFeedback.project_id == project.id)
                                   .options(selectinload(SuggestionFeedback.user))
                                   .order_by(SuggestionFeedback.created_at.desc(), SuggestionFeedback.id.desc())))


# --- highlighting ---------------------------------------------------------------------------------------------

def _phrases(terms: Iterable[str]) -> list[str]:
    """Folded phrases that stand for ``terms``: a concept label's every wording (草刈り: 除草, 刈払機 …), a word."""
    syn = analysis.synonyms()
    wanted = {t for t in terms if t}
    out = {analysis.fold(t) for t in wanted}
    out |= {phrase for phrase, labels in syn.phrases.items() if labels & wanted}
    return sorted((p for p in out if p.strip()), key=len, reverse=True)


def _pattern(phrases: list[str]) -> re.Pattern | None:
    if not phrases:
        return None
    return re.compile("|".join(rf"(?<![0-9a-z]){re.escape(p)}(?![0-9a-z])" if p.isascii() else re.escape(p)
                               for p in phrases))


def _folded(text: str) -> tuple[str, list[int]]:
    """``text`` folded one character at a time, and for each folded character the index it came from."""
    chars, origin = [], []
    for i, ch in enumerate(text):
        for f in analysis.fold(ch):
            chars.append(f)
            origin.append(i)
    return "".join(chars), origin


def _spans(text: str, pattern: re.Pattern | None) -> list[tuple[int, int]]:
    if pattern is None or not text:
        return []
    folded, origin = _folded(text)
    spans: list[tuple[int, int]] = []
    for m in pattern.finditer(folded):
        if m.end() > m.start():
            start, end = origin[m.start()], origin[m.end() - 1] + 1
            if not spans or start >= spans[-1][1]:
                spans.append((start, end))
    return spans


def _marked_up(text: str, spans: list[tuple[int, int]]) -> Markup:
    """Escape first, then wrap the matched spans: user text never becomes markup."""
    out, pos = [], 0
    for start, end in spans:
        out += [escape(text[pos:start]), Markup("<mark>%s</mark>") % text[start:end]]
        pos = end
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def highlight(text: str | None, terms: Iterable[str]) -> Markup:
    """``text`` escaped, with every wording of ``terms`` in <mark>."""
    text = text or ""
    return _marked_up(text, _spans(text, _pattern(_phrases(terms))))


def excerpt(text: str | None, terms: Iterable[str], size: int = EXCERPT_CHARS) -> Markup:
    """About ``size`` characters of ``text`` around its first match, highlighted (… where it was cut)."""
    text = " ".join((text or "").split())
    pattern = _pattern(_phrases(terms))
    spans = _spans(text, pattern)
    start = max(0, spans[0][0] - 30) if spans and spans[0][0] > size - 40 else 0
    piece = text[start:start + size]
    body = _marked_up(piece, _spans(piece, pattern))
    return Markup("").join([Markup("…") if start else Markup(""), body,
                            Markup("…") if start + size < len(text) else Markup("")])


def reasons_html(reasons: Iterable[str], matched: Iterable[str]) -> list[Markup]:
    """The reasons, escaped; in the one listing the matched skills and words, each of them in <mark>."""
    marked = Markup("、").join(Markup("<mark>%s</mark>") % t for t in matched)
    return [escape(MATCHED_PREFIX) + marked if r.startswith(MATCHED_PREFIX) and marked else escape(r)
            for r in reasons]


# --- suggestions for an issue (for those who manage it) -------------------------------------------------------

@dataclass(frozen=True)
class Suggested:
    """One row of the panel and of the JSON API: public facts only."""

    kind: str  # "volunteer" | "group"
    id: int
    name: str
    score: float
    reasons: tuple[str, ...]
    name_html: Markup
    reasons_html: list[Markup]
    excerpt_html: Markup  # a group's description, or a public card's skills; empty otherwise
    link: tuple[str, int] | None  # ("group", id) → the group's page; ("card", user id) → the talent-bank card


def _public_facts(suggestions) -> dict[tuple[str, int], tuple[str, str, tuple[str, int] | None]]:
    """(kind, id) → (public name, public text, link), read again from the database: verified groups, active
    volunteers; a volunteer's skills and card link only when they publish a card. Never contact data."""
    group_ids = [s.id for s in suggestions if s.kind == "group"]
    volunteer_ids = [s.id for s in suggestions if s.kind == "volunteer"]
    facts = {}
    if group_ids:
        for g in db.session.scalars(select(CivicGroup).where(CivicGroup.id.in_(group_ids),
                                                             CivicGroup.status == GroupStatus.VERIFIED.value)):
            facts[("group", g.id)] = (g.name, g.description or "", ("group", g.id))
    if volunteer_ids:
        rows = db.session.scalars(
            select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
            .where(VolunteerProfile.user_id.in_(volunteer_ids), User.active.is_(True), User.deleted_at.is_(None))
            .options(selectinload(VolunteerProfile.user), selectinload(VolunteerProfile.skills)))
        for p in rows:
            public = bool(p.public_card)
            skills = "、".join([s.name for s in p.skills] + list(p.free_tags or [])) if public else ""
            facts[("volunteer", p.user_id)] = (p.user.display_name, skills, ("card", p.user_id) if public else None)
    return facts


def suggestions_for(project: Project, *, limit: int = 10, today: date | None = None) -> list[Suggested]:
    """Ranked volunteers and groups for the project without those marked wrong, filled up to ``limit``.

    Nothing outside 公募中 and 選定. The panel and the JSON API both come here.
    """
    if not panel_open(project):
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    excluded = marked(project.id)
    raw = services.suggest_for_issue(project, limit=limit + len(excluded), today=today)
    kept = [s for s in raw if (s.kind, s.id) not in excluded]
    facts = _public_facts(kept)
    out = []
    for s in kept:
        if (s.kind, s.id) not in facts:
            continue  # changed since it was indexed (unverified, deactivated): the database decides
        name, text, link = facts[(s.kind, s.id)]
        terms = s.matched
        out.append(Suggested(kind=s.kind, id=s.id, name=name, score=s.score, reasons=tuple(s.reasons),
                             name_html=highlight(name, terms), reasons_html=reasons_html(s.reasons, terms),
                             excerpt_html=excerpt(text, terms) if text else Markup(""), link=link))
    return out[:limit]


def feedback_names(rows: list[SuggestionFeedback]) -> dict[int, str]:
    """feedback id → the candidate's public name (group name, volunteer's display name)."""
    group_ids = [r.group_id for r in rows if r.group_id is not None]
    user_ids = [r.volunteer_user_id for r in rows if r.volunteer_user_id is not None]
    groups = dict(db.session.execute(select(CivicGroup.id, CivicGroup.name).where(CivicGroup.id.in_(group_ids))
                                     ).all()) if group_ids else {}
    users = dict(db.session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))
                                    ).all()) if user_ids else {}
    return {r.id: (groups.get(r.group_id) if r.group_id is not None else users.get(r.volunteer_user_id)) or ""
            for r in rows}


# --- あなたにおすすめの事業 (the reverse direction) ---------------------------------------------------------------

@dataclass(frozen=True)
class Recommended:
    project: Project
    score: float
    reasons_html: list[Markup]
    summary_html: Markup


def recommendations_for(obj: VolunteerProfile | CivicGroup, *, limit: int = 5,
                        today: date | None = None) -> list[Recommended]:
    """Up to ``limit`` recruiting projects for a volunteer or a group, checked again in the database (公募中)."""
    raw = services.suggest_for_candidate(obj, limit=limit * 2, today=today)
    ids = [s.id for s in raw]
    projects = {p.id: p for p in db.session.scalars(
        select(Project).where(Project.id.in_(ids), Project.status == ProjectStatus.RECRUITING.value))} if ids else {}
    out = []
    for s in raw:
        if (p := projects.get(s.id)) is not None:
            terms = s.matched
            out.append(Recommended(project=p, score=s.score, reasons_html=reasons_html(s.reasons, terms),
                                   summary_html=excerpt(p.summary, terms) if p.summary else Markup("")))
    return out[:limit]


def registration_valid(profile: VolunteerProfile | None, today: date) -> bool:
    return bool(profile is not None and profile.expires_on is not None and profile.expires_on >= today)
