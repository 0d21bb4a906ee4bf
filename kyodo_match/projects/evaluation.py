"""資料2 協働事業の評価シート: 25 items in four stages, answered by the department and by the partner."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..errors import Conflict, RuleViolation
from ..extensions import db
from ..models import EvaluationAnswer, Project, ProjectStatus
from ..reference.services import load_data

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
