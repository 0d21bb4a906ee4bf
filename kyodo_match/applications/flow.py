"""The application's state machine (応募 → 審査中 → 承認 → 確定 → 活動中 → 完了; 見送り, 辞退, 期限切れ) and capacity.

Declared once, as a table of allowed steps with who may take them. Views, the CLI and tests all go through
:func:`move`; an illegal step raises Conflict (409), never a silent no-op.

Capacity holds under concurrent requests on SQLite and PostgreSQL: a place is taken by a conditional
``UPDATE project SET taken = taken + 1 WHERE taken < needed`` (its row count says whether it worked), the
application's own step by ``UPDATE … WHERE status = <the status we read>``, and a CHECK constraint on the project
is the backstop. On SQLite every write request runs in BEGIN IMMEDIATE; on PostgreSQL the row lock of the first
UPDATE makes the others wait and re-read. A confirmation that finds every place taken joins the waiting list in
order, and whoever frees a place promotes the first waiting person in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update

from ..access import is_centre
from ..errors import Conflict, NotAllowed, RuleViolation
from ..extensions import db
from ..models import Application, ApplicationStatus, ApplicationTransition, Project, ProjectStatus, Role, utcnow
from ..projects.lifecycle import can_manage, is_department_member
from . import notices

A = ApplicationStatus

STATUS_LABELS = {
    A.INVITED.value: _l("招待中"),
    A.APPLIED.value: _l("応募"),
    A.REVIEWING.value: _l("審査中"),
    A.APPROVED.value: _l("承認"),
    A.CONFIRMED.value: _l("確定"),
    A.WAITLISTED.value: _l("キャンセル待ち"),
    A.ACTIVE.value: _l("活動中"),
    A.COMPLETED.value: _l("完了"),
    A.DECLINED.value: _l("見送り"),
    A.WITHDRAWN.value: _l("辞退"),
    A.EXPIRED.value: _l("期限切れ"),
    A.INVITATION_DECLINED.value: _l("招待を辞退"),
}
# Waiting for someone to act (the centre's queue, the 7-day staleness rule, expiry when recruitment closes).
OPEN = frozenset({A.INVITED.value, A.APPLIED.value, A.REVIEWING.value, A.APPROVED.value, A.WAITLISTED.value})
# Holding a place: contact data is shared between the two sides from here on.
MATCHED = frozenset({A.CONFIRMED.value, A.ACTIVE.value, A.COMPLETED.value})
# The applicant may still withdraw (until the department confirms).
WITHDRAWABLE = frozenset({A.APPLIED.value, A.REVIEWING.value, A.APPROVED.value, A.WAITLISTED.value})


# --- who is who ------------------------------------------------------------------------------------------------

def is_applicant(user, app: Application) -> bool:
    """The applicant side: the volunteer themself, or a representative of the applying group."""
    if not getattr(user, "is_authenticated", False):
        return False
    if app.volunteer_user_id is not None:
        return app.volunteer_user_id == user.id
    return app.group is not None and any(r.user_id == user.id for r in app.group.representatives)


def is_department(user, app: Application) -> bool:
    """The owning department's staff (and the centre, which may act for it)."""
    return can_manage(user, app.project)


def can_see(user, app: Application) -> bool:
    """The application, its timeline and its messages: the applicant side, the department, the centre."""
    return is_applicant(user, app) or is_department(user, app)


def can_see_contacts(user, app: Application) -> bool:
    """Each side's contact data reaches the other only once the department has confirmed (確定)."""
    return app.status in MATCHED and (is_applicant(user, app) or is_department(user, app))


# --- the steps, declared once ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Step:
    label: object  # lazy string: the button's words
    who: Callable[[object, Application], bool]
    needs_reason: bool = False


def _applicant(user, app):
    return is_applicant(user, app)


def _centre(user, app):
    return is_centre(user)


def _department(user, app):
    return is_department(user, app)


def _department_staff(user, app):
    """Confirming a place is the owning department's decision (the centre approves, the department confirms);
    administrators may act for it."""
    return is_department_member(user, app.project) or bool(user.is_authenticated and user.has_role(Role.ADMIN))


def _running(user, app):
    return is_department(user, app) and app.project.status == ProjectStatus.RUNNING


STEPS: dict[tuple[str, str], Step] = {
    (A.INVITED, A.APPLIED): Step(_l("招待を受けて応募する"), _applicant),
    (A.INVITED, A.INVITATION_DECLINED): Step(_l("招待を辞退する"), _applicant),
    (A.APPLIED, A.REVIEWING): Step(_l("保留にする"), _centre),
    (A.APPLIED, A.APPROVED): Step(_l("承認する"), _centre),
    (A.REVIEWING, A.APPROVED): Step(_l("承認する"), _centre),
    (A.APPLIED, A.DECLINED): Step(_l("見送る"), _centre, needs_reason=True),
    (A.REVIEWING, A.DECLINED): Step(_l("見送る"), _centre, needs_reason=True),
    (A.APPROVED, A.CONFIRMED): Step(_l("参加を確定する"), _department_staff),  # or the waiting list, when full
    (A.APPROVED, A.DECLINED): Step(_l("見送る"), _department_staff, needs_reason=True),
    (A.WAITLISTED, A.DECLINED): Step(_l("見送る"), _department, needs_reason=True),
    (A.CONFIRMED, A.ACTIVE): Step(_l("活動を始める"), _running),
    (A.ACTIVE, A.COMPLETED): Step(_l("活動を完了にする"), _department),
    (A.CONFIRMED, A.WITHDRAWN): Step(_l("辞退の連絡を記録する"), _department, needs_reason=True),
}
for _source in WITHDRAWABLE:
    STEPS[(_source, A.WITHDRAWN)] = Step(_l("応募を取り下げる"), _applicant)


def available_steps(app: Application, user) -> list[tuple[str, Step]]:
    """The steps ``user`` may offer from the application's current state."""
    return [(target, step) for (source, target), step in STEPS.items()
            if source == app.status and step.who(user, app)]


# --- moving -----------------------------------------------------------------------------------------------------

def _record(app: Application, source: str | None, target: str, actor, reason: str = "") -> None:
    db.session.add(ApplicationTransition(application_id=app.id, from_status=source, to_status=target,
                                         actor_id=getattr(actor, "id", None), reason=reason[:2000]))


def _claim(app: Application, source: str, target: str, **values) -> None:
    """Change the status only if nobody changed it since we read it (409 otherwise)."""
    now = utcnow()
    result = db.session.execute(
        update(Application).where(Application.id == app.id, Application.status == source)
        .values(status=target, last_action_at=now, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(app)
        raise Conflict(_("この応募はほかの人の操作で状態が変わりました。画面を更新してください。"))
    db.session.expire(app, ["status", "last_action_at", *values])


def _capacity(kind: str):
    if kind == "group":
        return Project.taken_groups, Project.needed_groups
    return Project.taken_individuals, Project.needed_individuals


def _take_place(app: Application) -> bool:
    """One place for this kind of applicant, if one is free (the row count is the answer)."""
    taken, needed = _capacity(app.kind)
    result = db.session.execute(
        update(Project).where(Project.id == app.project_id, taken < needed).values({taken: taken + 1})
        .execution_options(synchronize_session=False))
    db.session.expire(app.project, [taken.key])
    return result.rowcount == 1


def _free_place(app: Application) -> None:
    taken, _needed = _capacity(app.kind)
    db.session.execute(update(Project).where(Project.id == app.project_id, taken > 0).values({taken: taken - 1})
                       .execution_options(synchronize_session=False))
    db.session.expire(app.project, [taken.key])


def move(app: Application, target: str, actor, *, reason: str = "") -> Application:
    """Take one step. Confirming when every place is taken puts the application on the waiting list instead.

    Raises NotAllowed (403) for someone the step is not for, Conflict (409) for a step the table does not allow
    (or a state that changed meanwhile), RuleViolation (422) when a reason is required and missing.
    The caller commits.
    """
    if not can_see(actor, app):
        raise NotAllowed()
    source = app.status
    step = STEPS.get((source, target))
    if step is None:
        raise Conflict(_("「%(src)s」の応募は「%(dst)s」にできません。",
                         src=STATUS_LABELS.get(source, source), dst=STATUS_LABELS.get(target, target)))
    if target == A.WITHDRAWN and source in MATCHED and is_applicant(actor, app) and not is_department(actor, app):
        raise Conflict(_("参加が確定した後に辞退するときは、メッセージで担当課に連絡してください。"
                         "担当課が辞退を記録すると、キャンセル待ちの方が繰り上がります。"))
    if not step.who(actor, app):
        raise NotAllowed()
    reason = (reason or "").strip()
    if step.needs_reason and not reason:
        raise RuleViolation(_("理由を入力してください。理由は応募した人に伝わります。"))
    if target == A.CONFIRMED:
        if _take_place(app):
            _claim(app, source, A.CONFIRMED.value, confirmed_at=utcnow(), waitlisted_at=None)
        else:
            target = A.WAITLISTED.value
            _claim(app, source, target, waitlisted_at=utcnow())
    else:
        _claim(app, source, target, reason=reason)
        if source == A.CONFIRMED and target == A.WITHDRAWN:
            _free_place(app)
            promote_waiting(app.project_id, app.kind)
    _record(app, source, target, actor, reason)
    notices.step_taken(app, source, target, actor, reason)
    return app


def promote_waiting(project_id: int, kind: str) -> Application | None:
    """The first on the waiting list takes a freed place (and is told). None when nobody waits or no place."""
    column = Application.group_id if kind == "group" else Application.volunteer_user_id
    waiting = db.session.scalars(
        select(Application).where(Application.project_id == project_id, Application.status == A.WAITLISTED.value,
                                  column.is_not(None))
        .order_by(Application.waitlisted_at, Application.id).limit(20)).all()
    if not waiting or not _take_place(waiting[0]):
        return None
    for first in waiting:
        try:
            _claim(first, A.WAITLISTED.value, A.CONFIRMED.value, confirmed_at=utcnow())
        except Conflict:
            continue  # declined or withdrawn meanwhile by someone else: the next one in line takes the place
        _record(first, A.WAITLISTED.value, A.CONFIRMED.value, None, _("キャンセル待ちから繰り上がりました。"))
        notices.promoted(first)
        return first
    _free_place(waiting[0])  # everyone we saw left the list meanwhile: the place stays free
    return None


def close_recruitment(project: Project, *, running: bool = False, finished: bool = False) -> int:
    """When the project moves on: open applications expire (期限切れ); confirmed ones start (running) and active
    ones complete (finished). Automatic steps, recorded without an actor. Returns how many changed."""
    changed = 0
    rows = db.session.scalars(select(Application).where(Application.project_id == project.id)).all()
    for app in rows:
        source = app.status
        if source in OPEN:
            target = A.EXPIRED.value
        elif running and source == A.CONFIRMED:
            target = A.ACTIVE.value
        elif finished and source in (A.CONFIRMED, A.ACTIVE):
            target = A.COMPLETED.value
        else:
            continue
        _claim(app, source, target)
        _record(app, source, target, None, _("事業の段階が進んだため、自動で変わりました。"))
        notices.step_taken(app, source, target, None, "")
        changed += 1
    return changed


def withdraw_for_deletion(user) -> int:
    """An account being deleted leaves every project it applied to; a place it held goes to the next waiting."""
    rows = db.session.scalars(select(Application).where(
        Application.volunteer_user_id == user.id,
        Application.status.in_(OPEN | {A.CONFIRMED.value, A.ACTIVE.value}))).all()
    for app in rows:
        source = app.status
        _claim(app, source, A.WITHDRAWN.value, reason=_("アカウントが削除されました。"))
        _record(app, source, A.WITHDRAWN.value, None, _("アカウントが削除されました。"))
        if source in (A.CONFIRMED, A.ACTIVE):
            _free_place(app)
            promote_waiting(app.project_id, app.kind)
    return len(rows)
