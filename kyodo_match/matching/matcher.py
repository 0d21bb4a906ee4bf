"""Pure scoring of suggestions (提案) on plain data: no Flask, no database, no index.

The index gives each candidate a text relevance (BM25 over synonym concepts and normalised words); this module
turns it into one score with the structured fit, and explains it in Japanese:

    score = text × (BASE + W_DISTRICT × district + W_SLOT × time + W_FIELD × field)

Text relevance is the gate (nobody is suggested for what they cannot do), the structure orders those who can:
someone in the issue's own 地域委員会 who is free at the issue's time comes first. The weights were chosen on the
development set by one-at-a-time sweeps, keeping moderate values (a text exponent below 1 and equal weight for
district and time generalise; the exact numbers matter less than these shapes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

WEEKDAY_JA = {"mon": "月曜", "tue": "火曜", "wed": "水曜", "thu": "木曜", "fri": "金曜", "sat": "土曜", "sun": "日曜"}
DAYPART_JA = {"am": "午前", "pm": "午後", "ev": "夜間"}

BASE = 0.15
W_DISTRICT = 0.4
W_SLOT = 0.35
W_FIELD = 0.03
SAME_AREA = 0.15  # same 地域 (e.g. 関), another committee: partly near
TEXT_EXPONENT = 0.4  # flattens BM25 differences: a clear match counts, the exact wording matters less

# Weights of the query terms (field, source) for an issue → candidates query.
SKILL_TO_SKILL = 3.0  # the issue's wanted skills against the candidate's skills and qualifications
SKILL_TO_TEXT = 2.5  # … against the candidate's free text (bio, description)
TEXT_TO_SKILL = 1.2  # the issue's title and description against the candidate's skills
TEXT_TO_TEXT = 0.8
RELATED = 0.3  # a related concept (~ lines of the dictionary), relative to the concept itself
WORD = 0.4  # a normalised word shared by the wanted skills and the candidate's text


@dataclass(frozen=True)
class Issue:
    """An issue (地域課題) as the matcher sees it."""

    id: int
    key: str
    title: str
    districts: frozenset[int] = frozenset()
    areas: frozenset[int] = frozenset()
    slots: frozenset[str] = frozenset()
    fields: frozenset[int] = frozenset()
    accepts_individuals: bool = True
    accepts_groups: bool = True
    open: bool = True  # recruiting (公募中)
    skill_concepts: tuple[str, ...] = ()
    text_concepts: tuple[str, ...] = ()
    skill_words: tuple[str, ...] = ()
    district_names: Mapping[int, str] = field(default_factory=dict)
    area_names: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Candidate:
    """A volunteer or a group as the matcher sees it."""

    kind: str  # "volunteer" | "group"
    id: int
    key: str
    name: str
    districts: frozenset[int] = frozenset()
    areas: frozenset[int] = frozenset()
    slots: frozenset[str] = frozenset()
    fields: frozenset[int] = frozenset()
    eligible: bool = True  # active account and registration in force (volunteer), verified (group)
    skill_concepts: tuple[str, ...] = ()
    text_concepts: tuple[str, ...] = ()
    district_names: Mapping[int, str] = field(default_factory=dict)
    area_names: Mapping[int, str] = field(default_factory=dict)


@dataclass(frozen=True)
class TextHit:
    score: float
    matched: tuple[str, ...] = ()  # matched concept labels and words, best first


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "volunteer" | "group" | "issue"
    id: int
    key: str
    score: float
    reasons: tuple[str, ...]
    matched: tuple[str, ...] = ()  # the skills and words that matched (what the reasons list, for highlighting)


MATCHED_PREFIX = "一致した技能・経験："  # the reason that lists the matched skills and words


def slot_label(code: str) -> str:
    day, _, part = code.partition("_")
    return f"{WEEKDAY_JA.get(day, day)} {DAYPART_JA.get(part, part)}"


def _slot_order(code: str) -> tuple[int, int]:
    day, _, part = code.partition("_")
    return (list(WEEKDAY_JA).index(day) if day in WEEKDAY_JA else 9, list(DAYPART_JA).index(part)
            if part in DAYPART_JA else 9)


def issue_query(issue: Issue, related: Mapping[str, Iterable[str]] | None = None) -> list[tuple[str, str, float]]:
    """Weighted query terms (field, term, boost) for the candidates of ``issue``: concepts are concept labels."""
    out: dict[tuple[str, str], float] = {}

    def add(field_name, term, boost):
        out[(field_name, term)] = max(out.get((field_name, term), 0.0), boost)

    for labels, to_skill, to_text in ((issue.skill_concepts, SKILL_TO_SKILL, SKILL_TO_TEXT),
                                      (issue.text_concepts, TEXT_TO_SKILL, TEXT_TO_TEXT)):
        for label in labels:
            add("concept:skill", label, to_skill)
            add("concept:text", label, to_text)
            for other in (related or {}).get(label, ()):
                add("concept:skill", other, to_skill * RELATED)
                add("concept:text", other, to_text * RELATED)
    for word in issue.skill_words:
        add("words", word, WORD)
    return [(f, t, b) for (f, t), b in out.items()]


def candidate_query(cand: Candidate,
                    related: Mapping[str, Iterable[str]] | None = None) -> list[tuple[str, str, float]]:
    """Weighted query terms for the issues of a volunteer or group (the reverse direction)."""
    mirrored = Issue(id=cand.id, key=cand.key, title=cand.name, skill_concepts=cand.skill_concepts,
                     text_concepts=cand.text_concepts)
    return issue_query(mirrored, related)


def district_fit(issue: Issue, cand: Candidate) -> tuple[float, str | None]:
    if not issue.districts:
        return 1.0, "市内全域の課題"
    same = sorted(issue.districts & cand.districts)
    if same:
        names = "・".join(issue.district_names.get(d, str(d)) for d in same)
        return 1.0, f"同じ地域委員会（{names}）"
    near = sorted(issue.areas & cand.areas)
    if near:
        names = "・".join(issue.area_names.get(a, str(a)) for a in near)
        return SAME_AREA, f"同じ地域（{names}）"
    return 0.0, None


def slot_fit(issue: Issue, cand: Candidate) -> tuple[float, str | None]:
    if not issue.slots:
        return 0.5, None  # no weekly schedule: neither for nor against
    shared = sorted(issue.slots & cand.slots, key=_slot_order)
    if not shared:
        return 0.0, None
    return 0.7 + 0.3 * len(shared) / len(issue.slots), "都合の合う時間：" + "、".join(slot_label(s) for s in shared)


def field_fit(issue: Issue, cand: Candidate) -> tuple[float, str | None]:
    return (1.0, "関心のある分野が一致") if issue.fields & cand.fields else (0.0, None)


def accepts(issue: Issue, cand: Candidate) -> bool:
    return issue.accepts_individuals if cand.kind == "volunteer" else issue.accepts_groups


def combine(issue: Issue, cand: Candidate, hit: TextHit, best: float) -> tuple[float, list[str]]:
    """The score of one pair and its reasons (Japanese), given the best text score among the hits."""
    text = (hit.score / best) ** TEXT_EXPONENT if best > 0 and hit.score > 0 else 0.0
    d, d_reason = district_fit(issue, cand)
    s, s_reason = slot_fit(issue, cand)
    f, f_reason = field_fit(issue, cand)
    score = text * (BASE + W_DISTRICT * d + W_SLOT * s + W_FIELD * f)
    reasons = []
    if hit.matched:
        reasons.append(MATCHED_PREFIX + "、".join(hit.matched[:5]))
    reasons += [r for r in (d_reason, s_reason, f_reason) if r]
    return round(score, 4), reasons


def rank_candidates(issue: Issue, candidates: Iterable[Candidate], hits: Mapping[tuple[str, int], TextHit], *,
                    exclude: Iterable[tuple[str, int]] = (), limit: int = 10) -> list[Suggestion]:
    """Volunteers and groups for ``issue``, best first. Nobody for a closed issue; never the ineligible, those the
    issue does not accept, or ``exclude`` (already applied or matched)."""
    if not issue.open:
        return []
    excluded = set(exclude)
    pool = [c for c in candidates if c.eligible and accepts(issue, c) and (c.kind, c.id) not in excluded
            and (c.kind, c.id) in hits]
    best = max((hits[(c.kind, c.id)].score for c in pool), default=0.0)
    out = []
    for c in pool:
        score, reasons = combine(issue, c, hits[(c.kind, c.id)], best)
        if score > 0:
            out.append(Suggestion(c.kind, c.id, c.key, score, tuple(reasons), hits[(c.kind, c.id)].matched[:5]))
    out.sort(key=lambda s: (-s.score, s.key))
    return out[:max(0, limit)]


def rank_issues(cand: Candidate, issues: Iterable[Issue], hits: Mapping[int, TextHit], *,
                exclude: Iterable[int] = (), limit: int = 10) -> list[Suggestion]:
    """Open issues for a volunteer or group (あなたにおすすめ), best first; nothing for the ineligible."""
    if not cand.eligible:
        return []
    excluded = set(exclude)
    pool = [i for i in issues if i.open and accepts(i, cand) and i.id not in excluded and i.id in hits]
    best = max((hits[i.id].score for i in pool), default=0.0)
    out = []
    for i in pool:
        score, reasons = combine(i, cand, hits[i.id], best)
        if score > 0:
            out.append(Suggestion("issue", i.id, i.key, score, tuple(reasons), hits[i.id].matched[:5]))
    out.sort(key=lambda s: (-s.score, s.key))
    return out[:max(0, limit)]
