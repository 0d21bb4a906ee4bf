"""資料2 協働事業の評価シート: 25 items in four stages, answered by the department and by the partner."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..errors import Conflict, NotAllowed, RuleViolation
from ..extensions import db
from ..models import EvaluationAnswer, Project, ProjectStatus
from ..reference.services import load_data
from .lifecycle import can_manage, department_contacts, is_partner, partner_users

STAGE_CODES = {"計画段階": "plan", "実施段階": "do", "成果把握": "outcome", "事業改善": "improve"}
ANSWERS = {"yes": _l("はい"), "no": _l("いいえ"), "na": _l("該当なし")}
SIDES = {"department": _l("担当課"), "partner": _l("協働のパートナー")}


@dataclass(frozen=True)
class Item:
    key: str
    stage: str
    no: int
    text: str


@lru_cache(maxsize=1)
def sheet() -> tuple[Item, ...]:
    """The 25 items, in the sheet's order (the product's own copy of the guideline's 資料2)."""
    return tuple(Item(key=f"{STAGE_CODES[i['stage']]}-{i['no']}", stage=i["stage"], no=i["no"], text=i["text"])
                 for i in load_data("evaluation_sheet.json")["items"])


def answers(project: Project) -> dict[str, dict[str, EvaluationAnswer]]:
    """{side: {item_key: answer}} for both sides, in one query."""
    out: dict[str, dict[str, EvaluationAnswer]] = {side: {} for side in SIDES}
    for a in db.session.scalars(select(EvaluationAnswer).where(EvaluationAnswer.project_id == project.id)):
        out.setdefault(a.side, {})[a.item_key] = a
    return out


def evaluation_complete(project: Project) -> bool:
    keys = {i.key for i in sheet()}
    got = answers(project)
    return all(keys <= set(got[side]) for side in SIDES)


def differences(project: Project) -> set[str]:
    """Items both sides answered, differently: highlighted side by side."""
    got = answers(project)
    return {k for k, a in got["department"].items() if k in got["partner"] and got["partner"][k].answer != a.answer}


def save_answers(project: Project, side: str, actor, submitted: dict[str, tuple[str, str]]) -> int:
    """Store one side's answers ({item_key: (answer, comment)}). Only while the project is being evaluated.

    Raises RuleViolation (422) for an unknown item or answer, Conflict (409) when the project is not in 評価.
    """
    if project.status != ProjectStatus.EVALUATING:
        raise Conflict(_("評価シートは「評価中」の事業にだけ記入できます。"))
    keys = {i.key for i in sheet()}
    problems = [k for k, (ans, _c) in submitted.items() if k not in keys or ans not in ANSWERS]
    if problems:
        raise RuleViolation(_("評価シートの回答に誤りがあります。"), problems[:5])
    existing = answers(project)[side]
    for key, (ans, comment) in submitted.items():
        row = existing.get(key) or EvaluationAnswer(project_id=project.id, side=side, item_key=key, answer=ans)
        row.answer, row.comment, row.answered_by_id = ans, (comment or "").strip()[:1000], actor.id
        db.session.add(row)
    return len(submitted)


# --- the sheet's pages: who answers which side, progress, the side-by-side comparison --------------------------

def stages() -> list[tuple[str, list[Item]]]:
    """The sheet grouped by stage, in order: [(計画段階, [items…]), …]."""
    out: dict[str, list[Item]] = {}
    for item in sheet():
        out.setdefault(item.stage, []).append(item)
    return list(out.items())


def item_label(item: Item) -> str:
    """How an item is named in messages: 「計画段階 1 事業の目的は明確ですか」."""
    return f"{item.stage} {item.no}「{item.text}」"


def can_answer(user, project: Project, side: str) -> bool:
    """担当課 answers the department side (its staff and the centre); the partner answers its own side."""
    if side == "department":
        return can_manage(user, project)
    return side == "partner" and is_partner(user, project)


def can_view(user, project: Project) -> bool:
    """Both sheets are shown to those who manage the project and to its partners; to no one else."""
    return can_manage(user, project) or is_partner(user, project)


def require_evaluating(project: Project) -> None:
    """Raises Conflict (409) unless the project is in 評価 (the sheets are filled in only then)."""
    if project.status != ProjectStatus.EVALUATING:
        raise Conflict(_("評価シートは「評価中」の事業にだけ記入できます。"))


def progress(project: Project) -> dict[str, int]:
    """{side: how many of the 25 items it has answered}, in one query."""
    keys = {i.key for i in sheet()}
    rows = db.session.execute(select(EvaluationAnswer.side, EvaluationAnswer.item_key)
                              .where(EvaluationAnswer.project_id == project.id))
    out = dict.fromkeys(SIDES, 0)
    for side, key in rows:
        if side in out and key in keys:
            out[side] += 1
    return out


@dataclass(frozen=True)
class Row:
    item: Item
    department: EvaluationAnswer | None
    partner: EvaluationAnswer | None
    differs: bool


@dataclass(frozen=True)
class Comparison:
    """Both sides side by side: one row per item, grouped by stage, and which side has finished."""

    stages: list[tuple[str, list[Row]]]
    done: dict[str, int]
    finished: dict[str, bool]
    differences: int


def comparison(project: Project) -> Comparison:
    got = answers(project)
    differ = differences(project)
    grouped = [(stage, [Row(i, got["department"].get(i.key), got["partner"].get(i.key), i.key in differ)
                        for i in items]) for stage, items in stages()]
    total = len(sheet())
    done = {side: sum(1 for i in sheet() if i.key in got[side]) for side in SIDES}
    return Comparison(grouped, done, {side: n == total for side, n in done.items()}, len(differ))


def _other_side_users(project: Project, side: str) -> list:
    """Who is told that ``side`` has finished: the partner's people, or the department's contact person."""
    if side == "partner":
        return department_contacts(project)
    return partner_users(project)


def submit_sheet(project: Project, side: str, actor, submitted: dict[str, tuple[str, str]], *, link: str) -> bool:
    """One side hands in its sheet: every one of the 25 items answered (はい/いいえ/該当なし, comment optional).

    The first time a side finishes, the other side is told (お知らせ, with ``link`` to the comparison).
    Returns True when this submission finished the side for the first time. Raises NotAllowed (403) for someone
    who does not answer this side, Conflict (409) outside 評価, RuleViolation (422) naming unanswered items.
    """
    if side not in SIDES or not can_answer(actor, project, side):
        raise NotAllowed()
    require_evaluating(project)
    missing = [item_label(i) for i in sheet() if i.key not in submitted]
    if missing:
        raise RuleViolation(_("評価シートの全項目に回答してください。"), missing)
    before = progress(project)[side]
    save_answers(project, side, actor, submitted)
    if before == len(sheet()):
        return False
    from ..notifications import notify_many

    notify_many(_other_side_users(project, side), "evaluation_finished",
                _l("「%(title)s」の評価シートに%(side)sが回答しました。双方の回答を見比べてください。",
                  title=project.title, side=SIDES[side]), link)
    return True
