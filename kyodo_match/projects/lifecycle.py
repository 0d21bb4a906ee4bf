"""The project lifecycle (section V: 検討 → 公募中 → 選定 → 協定 → 実施中 → 評価 → 完了, or 中止).

Declared once, as a table of allowed transitions with who may take them and their guards. Views, the CLI and
tests all go through :func:`transition`; an illegal move raises ``Conflict`` (409), never a silent no-op.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from .. import search
from ..access import is_centre as is_overseer
from ..errors import Conflict, NotAllowed, RuleViolation
from ..extensions import db
from ..models import Project, ProjectStatus, ProjectTransition, Role, utcnow
from .rules import publication_problems

S = ProjectStatus

STATUS_LABELS = {
    S.DRAFT.value: _l("検討中"),
    S.RECRUITING.value: _l("公募中"),
    S.SELECTING.value: _l("選定中"),
    S.AGREEMENT.value: _l("協定"),
    S.RUNNING.value: _l("実施中"),
    S.EVALUATING.value: _l("評価中"),
    S.CLOSED.value: _l("完了"),
    S.CANCELLED.value: _l("中止"),
}
STEPS = [S.DRAFT, S.RECRUITING, S.SELECTING, S.AGREEMENT, S.RUNNING, S.EVALUATING, S.CLOSED]
PUBLIC_STATUSES = frozenset(s.value for s in S if s is not S.DRAFT)
FINAL_STATUSES = frozenset({S.CLOSED.value, S.CANCELLED.value})


def is_department_member(user, project: Project) -> bool:
    """Staff of the owning department (担当課)."""
    return bool(user.is_authenticated and user.has_role(Role.STAFF) and user.department_id == project.department_id)


def is_partner(user, project: Project) -> bool:
    """A selected partner of the project: the volunteer themself, or a representative of the partner group."""
    if not getattr(user, "is_authenticated", False):
        return False
    for partner in project.partners:
        if partner.volunteer_user_id == user.id:
            return True
        if partner.group is not None and any(r.user_id == user.id for r in partner.group.representatives):
            return True
    return False


def partner_users(project: Project) -> list:
    """The people who speak for the project's partners: each volunteer, and every representative of each group."""
    users = []
    for partner in project.partners:
        if partner.volunteer is not None:
            users.append(partner.volunteer)
        if partner.group is not None:
            users.extend(r.user for r in partner.group.representatives)
    return users


def department_contacts(project: Project) -> list:
    """Who speaks for the city side: the project's contact person, or whoever created it."""
    contact = project.contact_user
    if contact is None and project.created_by_id:
        from ..models import User

        contact = db.session.get(User, project.created_by_id)
    return [contact] if contact is not None else []


def lock_project(project: Project) -> None:
    """Re-read the project row under a row lock (PostgreSQL), so that two people counting its places or confirming
    its agreement at once cannot both see the same state. On SQLite write requests already run one at a time."""
    from sqlalchemy import select

    db.session.execute(select(Project).where(Project.id == project.id).with_for_update()
                       .execution_options(populate_existing=True))


def can_manage(user, project: Project) -> bool:
    """Edit the project and move it along: its department, coordinators and administrators."""
    return is_department_member(user, project) or is_overseer(user)


def _no_problem(project: Project, today: date) -> str | None:
    return None


def _publishable(project: Project, today: date) -> str | None:
    if problems := publication_problems(project, today):
        raise RuleViolation(_("公開できません。次の項目を入力してください。"), [str(p) for p in problems],
                            [p.field for p in problems])
    return None


def _has_partner(project: Project, today: date) -> str | None:
    return None if project.partners else _("協定に進むには、協働のパートナーを選定してください。")


def _agreed_by_both(project: Project, today: date) -> str | None:
    if project.agreement_city_at and project.agreement_partner_at:
        return None
    return _("実施に進むには、役割分担・期間・収支について市とパートナーの双方が協定を確認してください。")


def _evaluated(project: Project, today: date) -> str | None:
    from .evaluation import evaluation_complete

    if not evaluation_complete(project):
        return _("完了にするには、担当課とパートナーの双方が評価シートの全項目に回答してください。")
    if not project.outcome_achieved.strip() or not project.improvement_notes.strip():
        return _("完了にするには、成果の報告と改善の記録を入力してください。")
    return None


@dataclass(frozen=True)
class Transition:
    label: object  # lazy string: the button's words
    guard: Callable[[Project, date], str | None] = _no_problem
    needs_comment: bool = False


TRANSITIONS: dict[tuple[str, str], Transition] = {
    (S.DRAFT, S.RECRUITING): Transition(_l("公開して募集を始める"), _publishable),
    (S.RECRUITING, S.SELECTING): Transition(_l("募集を締め切り、選定に進む")),
    (S.SELECTING, S.RECRUITING): Transition(_l("募集を再開する"), needs_comment=True),
    (S.SELECTING, S.AGREEMENT): Transition(_l("協定の確認に進む"), _has_partner),
    (S.AGREEMENT, S.RUNNING): Transition(_l("事業の実施を始める"), _agreed_by_both),
    (S.RUNNING, S.EVALUATING): Transition(_l("事業を終え、評価に進む")),
    (S.EVALUATING, S.CLOSED): Transition(_l("評価と改善を記録して完了する"), _evaluated),
}
for _source in (S.DRAFT, S.RECRUITING, S.SELECTING, S.AGREEMENT, S.RUNNING, S.EVALUATING):
    TRANSITIONS[(_source, S.CANCELLED)] = Transition(_l("中止する"), needs_comment=True)


def available_transitions(project: Project, user) -> list[tuple[str, Transition]]:
    """The moves this user may offer from the project's current state (guards are checked on submit)."""
    if not can_manage(user, project):
        return []
    return [(target, t) for (source, target), t in TRANSITIONS.items() if source == project.status]


def transition(project: Project, target: str, actor, *, comment: str = "", today: date) -> ProjectTransition:
    """Move ``project`` to ``target``.

    Raises NotAllowed (403) for someone outside the department and the centre, Conflict (409) for a move the
    lifecycle does not allow or whose guard fails, RuleViolation (422) for publication problems or a missing
    reason. The caller commits.
    """
    if not can_manage(actor, project):
        raise NotAllowed()
    rule = TRANSITIONS.get((project.status, target))
    if rule is None:
        raise Conflict(_("「%(src)s」から「%(dst)s」には進めません。",
                         src=STATUS_LABELS.get(project.status, project.status), dst=STATUS_LABELS.get(target, target)))
    comment = (comment or "").strip()
    if rule.needs_comment and not comment:
        raise RuleViolation(_("理由を入力してください。"))
    if problem := rule.guard(project, today):
        raise Conflict(problem)
    step = ProjectTransition(project=project, from_status=project.status, to_status=target,
                             actor_id=actor.id, comment=comment[:2000])
    project.status = target
    now = utcnow()
    if target == S.RECRUITING and project.published_at is None:
        project.published_at = now
    if target == S.CANCELLED:
        project.cancel_reason = comment
    if target in FINAL_STATUSES:
        project.closed_at = now
    db.session.add(step)
    search.enqueue("project", project.id)
    _carry_applications(project, target)
    return step


def _carry_applications(project: Project, target: str) -> None:
    """Applications follow the project: open ones expire once recruitment is over (協定・中止), confirmed ones
    start with the project (実施中) and finish with it (評価・完了)."""
    from ..applications.flow import close_recruitment

    if target in (S.AGREEMENT, S.CANCELLED):
        close_recruitment(project)
    elif target == S.RUNNING:
        close_recruitment(project, running=True)
    elif target in (S.EVALUATING, S.CLOSED):
        close_recruitment(project, finished=True)
