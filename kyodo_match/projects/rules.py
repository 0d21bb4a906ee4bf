"""The guideline's rules as publication checks: a project is published only when ルール2・4・5・6 hold.

Each problem names the rule by number and says, in plain Japanese, what to fill in; the view answers 422
with the whole list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..models import Domain, Method, Project, ProjectKind, SelectionMethod

# 図1 and 7 協働の手法: which methods belong to which domain of collaboration.
DOMAIN_METHODS: dict[str, frozenset[str]] = {
    Domain.CITIZEN_LED.value: frozenset({Method.SUBSIDY.value, Method.SPONSORSHIP.value}),
    Domain.COOPERATION.value: frozenset({Method.CO_HOSTING.value, Method.EXECUTIVE_COMMITTEE.value,
                                         Method.JOINT_PROJECT.value}),
    Domain.GOVERNMENT_LED.value: frozenset({Method.COMMISSION.value, Method.COOPERATION.value}),
}

RULE_TITLES = {
    2: _l("ルール2 目的や地域課題の共有"),
    4: _l("ルール4 公平な機会"),
    5: _l("ルール5 期限の明確化"),
    6: _l("ルール6 役割分担の明確化"),
}


@dataclass(frozen=True)
class Problem:
    """One reason the project cannot be published: the rule (None: not one of the numbered rules), the form
    field to fix, and what to do."""

    rule: int | None
    field: str
    message: str

    def __str__(self) -> str:
        prefix = f"{RULE_TITLES[self.rule]}: " if self.rule else ""
        return f"{prefix}{self.message}"


def _blank(text: str | None) -> bool:
    return not (text or "").strip()


def method_fits_domain(domain: str | None, method: str | None) -> bool:
    return bool(domain and method and method in DOMAIN_METHODS.get(domain, ()))


def publication_problems(p: Project, today: date) -> list[Problem]:
    """Everything that keeps ``p`` from being published, rule by rule (empty: it may be published)."""
    problems: list[Problem] = []
    if _blank(p.title):
        problems.append(Problem(None, "title", _("題名を入力してください。")))
    # ルール2: for whom and why.
    if _blank(p.beneficiaries):
        problems.append(Problem(2, "beneficiaries", _("「誰のために」協働するのかを書いてください。")))
    if _blank(p.purpose):
        problems.append(Problem(2, "purpose", _("「何のために」協働するのか、目的を書いてください。")))
    # ルール4: clear selection criteria, open to all by default.
    if _blank(p.selection_criteria):
        problems.append(Problem(4, "selection_criteria", _("パートナーを選ぶ基準を書いてください。")))
    if p.selection_method == SelectionMethod.DESIGNATED and _blank(p.designation_reason):
        problems.append(Problem(4, "designation_reason",
                                _("公募しない場合は、その理由を書いてください（選定過程を公開します）。")))
    if p.selection_method == SelectionMethod.OPEN_CALL:
        if p.recruit_until is None:
            problems.append(Problem(4, "recruit_until", _("募集の締切日を入力してください。")))
        elif p.recruit_until < today:
            problems.append(Problem(4, "recruit_until", _("募集の締切日が過ぎています。新しい日付にしてください。")))
        elif p.recruit_from and p.recruit_from > p.recruit_until:
            problems.append(Problem(4, "recruit_from", _("募集の開始日は締切日より前にしてください。")))
    # ルール5: the collaboration ends on a known date.
    if p.period_end is None:
        problems.append(Problem(5, "period_end", _("協働の終了日（期限）を入力してください。")))
    else:
        if p.period_start and p.period_start > p.period_end:
            problems.append(Problem(5, "period_start", _("協働の開始日は終了日より前にしてください。")))
        if p.period_end < today:
            problems.append(Problem(5, "period_end", _("協働の終了日が過ぎています。")))
        if p.recruit_until and p.period_end < p.recruit_until:
            problems.append(Problem(5, "period_end", _("協働の終了日は募集の締切日より後にしてください。")))
    # ルール6: who does what.
    if _blank(p.city_role):
        problems.append(Problem(6, "city_role", _("市（担当課）の役割を書いてください。")))
    if _blank(p.partner_role):
        problems.append(Problem(6, "partner_role", _("パートナーの役割を書いてください。")))
    # The form of collaboration (図1) for a collaboration project.
    if p.kind == ProjectKind.PROJECT:
        if not p.domain or not p.method:
            problems.append(Problem(None, "method", _("協働の領域と手法を選んでください。")))
        elif not method_fits_domain(p.domain, p.method):
            problems.append(Problem(None, "method",
                                    _("選んだ手法は、この協働の領域では使えません（指針の図1を参照）。")))
    if (p.needed_individuals or 0) + (p.needed_groups or 0) < 1:
        problems.append(Problem(None, "needed_individuals", _("募集する人数か団体数を1以上にしてください。")))
    return problems
