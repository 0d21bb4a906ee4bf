"""Collaboration projects (協働事業): drafting and editing, the department workspace, the public list.

Plain functions named for what users do; they change the session and the calling view commits once.
After publication every edit leaves a ProjectRevision ({field: [before, after]}) so changes stay visible.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload

from .. import search
from ..errors import FieldRefused, NotAllowed
from ..extensions import db
from ..models import (
    SLOTS,
    WEEKDAYS,
    ActivityField,
    Area,
    District,
    Domain,
    Method,
    Project,
    ProjectKind,
    ProjectPartner,
    ProjectRevision,
    ProjectStatus,
    ProjectTransition,
    Role,
    SelectionMethod,
    Skill,
    SkillCategory,
)
from ..notifications import later, notify_many
from ..pagination import clamped_page, page_count
from .lifecycle import PUBLIC_STATUSES, STEPS, can_manage, is_overseer, partner_users

KIND_LABELS = {ProjectKind.ISSUE.value: _l("地域課題（一緒に考える仲間を募集）"),
               ProjectKind.PROJECT.value: _l("協働事業")}
DOMAIN_LABELS = {
    Domain.CITIZEN_LED.value: _l("市民主導（市民が主体で、市が支える）"),
    Domain.COOPERATION.value: _l("市民と市の協力（対等に一緒に取り組む）"),
    Domain.GOVERNMENT_LED.value: _l("行政主導（市が主体で、市民が協力する）"),
}
METHOD_LABELS = {
    Method.SUBSIDY.value: _l("補助・助成"),
    Method.SPONSORSHIP.value: _l("後援"),
    Method.CO_HOSTING.value: _l("共催"),
    Method.EXECUTIVE_COMMITTEE.value: _l("実行委員会"),
    Method.JOINT_PROJECT.value: _l("共同事業"),
    Method.COMMISSION.value: _l("事業委託"),
    Method.COOPERATION.value: _l("事業協力"),
}
SELECTION_LABELS = {SelectionMethod.OPEN_CALL.value: _l("公募（だれでも応募できる）"),
                    SelectionMethod.DESIGNATED.value: _l("指名（理由を公開します）")}

TEXT_FIELDS = ("title", "summary", "background", "beneficiaries", "purpose", "outcome_goal", "city_role",
               "partner_role", "selection_criteria", "designation_reason", "schedule_note", "place", "budget_note")
CHOICE_FIELDS = ("kind", "domain", "method", "selection_method")
DATE_FIELDS = ("recruit_from", "recruit_until", "period_start", "period_end")
NUMBER_FIELDS = ("needed_individuals", "needed_groups")
OPTIONAL_NUMBER_FIELDS = ("budget_total", "budget_city", "budget_partner")
FIELD_NAMES = (*TEXT_FIELDS, *CHOICE_FIELDS, *DATE_FIELDS, *NUMBER_FIELDS, *OPTIONAL_NUMBER_FIELDS)


# --- who may do what ------------------------------------------------------------------------------------------

def can_create_for(user, department_id: int | None) -> bool:
    """Department staff for their own department; coordinators and administrators for any."""
    if not getattr(user, "is_authenticated", False) or department_id is None:
        return False
    if is_overseer(user):
        return True
    return user.has_role(Role.STAFF) and user.department_id == department_id


def can_see(user, project: Project) -> bool:
    """Published projects are public; a draft only to those who manage it."""
    return project.status in PUBLIC_STATUSES or can_manage(user, project)


# --- drafting and editing -------------------------------------------------------------------------------------

def _plain(value):
    if isinstance(value, date):
        return value.isoformat()
    return value


def _snapshot(project: Project) -> dict:
    values = {name: _plain(getattr(project, name)) for name in FIELD_NAMES}
    values["fields"] = sorted(f.code for f in project.fields)
    values["districts"] = sorted(d.id for d in project.districts)
    values["skills"] = sorted(k.id for k in project.skills)
    values["schedule_slots"] = sorted(project.schedule_slots or [])
    values["schedule_dates"] = sorted(project.schedule_dates or [])
    return values


def _rows(model, key, values) -> list:
    values = list(dict.fromkeys(values or ()))
    if not values:
        return []
    return list(db.session.scalars(select(model).where(key.in_(values))))


def _apply(project: Project, data: dict) -> None:
    title = (data.get("title") or "").strip()
    if not title:
        raise FieldRefused("title", str(_l("題名を入力してください。")))
    for name in TEXT_FIELDS:
        if name in data:
            setattr(project, name, (data.get(name) or "").strip())
    project.title = title
    if data.get("kind") in KIND_LABELS:
        project.kind = data["kind"]
    if data.get("selection_method") in SELECTION_LABELS:
        project.selection_method = data["selection_method"]
    project.domain = data.get("domain") if data.get("domain") in DOMAIN_LABELS else None
    project.method = data.get("method") if data.get("method") in METHOD_LABELS else None
    for name in DATE_FIELDS:
        if name in data:
            setattr(project, name, data.get(name))
    for name in NUMBER_FIELDS:
        if name in data:
            value = data.get(name) or 0
            if value < 0:
                raise FieldRefused(name, str(_l("0以上の数字で入力してください。")))
            taken = project.taken_individuals if name == "needed_individuals" else project.taken_groups
            if value < (taken or 0):
                raise FieldRefused(name, str(_l("参加が確定している%(n)d件より少なくはできません。"
                                                "先に辞退や見送りを記録してください。", n=taken)))
            setattr(project, name, value)
    for name in OPTIONAL_NUMBER_FIELDS:
        if name in data:
            value = data.get(name)
            if value is not None and value < 0:
                raise FieldRefused(name, str(_l("金額は0円以上で入力してください。")))
            setattr(project, name, value)
    if "field_codes" in data:
        project.fields = _rows(ActivityField, ActivityField.code, data.get("field_codes"))
    if "district_ids" in data:
        project.districts = _rows(District, District.id, data.get("district_ids"))
    if "skill_ids" in data:
        project.skills = _rows(Skill, Skill.id, data.get("skill_ids"))
    if "schedule_slots" in data:
        project.schedule_slots = [s for s in SLOTS if s in set(data.get("schedule_slots") or ())]
    if "schedule_dates" in data:
        project.schedule_dates = sorted({d.isoformat() for d in data.get("schedule_dates") or ()})
    project.on_weekdays, project.on_weekends = schedule_days(project.schedule_slots, project.schedule_dates)


WEEKEND_DAYS = ("sat", "sun")


def schedule_days(slots, dates) -> tuple[bool, bool]:
    """(平日がある, 土日がある) from weekly slot codes ("sat_am") and ISO dates."""
    days = {s.split("_", 1)[0] for s in slots or ()}
    for iso in dates or ():
        try:
            days.add(WEEKDAYS[date.fromisoformat(iso).weekday()])
        except (ValueError, TypeError):
            continue
    return bool(days - set(WEEKEND_DAYS)), bool(days & set(WEEKEND_DAYS))


def create_project(dept_id: int, actor, data: dict) -> Project:
    """A new draft (検討中) for department ``dept_id``. Drafts never need the publication rules.

    Raises NotAllowed for staff of another department, FieldRefused for a value the form must fix.
    """
    if not can_create_for(actor, dept_id):
        raise NotAllowed()
    project = Project(department_id=dept_id, created_by_id=actor.id, contact_user_id=actor.id,
                      status=ProjectStatus.DRAFT.value, title="")
    _apply(project, data)
    db.session.add(project)
    db.session.flush()
    return project


# What the agreement (協定) confirms: changing one of these during 協定 asks both sides to confirm again.
AGREED_FIELDS = frozenset({"city_role", "partner_role", "period_start", "period_end", "budget_total", "budget_city",
                           "budget_partner", "budget_note"})


def update_project(project: Project, actor, data: dict) -> ProjectRevision | None:
    """Save the edit; after publication the changed fields are recorded as a revision and re-indexed.

    Returns the revision (None for a draft, or when nothing changed). Raises NotAllowed like :func:`create_project`.
    """
    if not can_manage(actor, project):
        raise NotAllowed()
    before = _snapshot(project)
    _apply(project, data)
    _fill_new_places(project, before)
    if project.status not in PUBLIC_STATUSES:
        return None
    after = _snapshot(project)
    changes = {k: [before[k], after[k]] for k in after if before[k] != after[k]}
    if not changes:
        return None
    if project.status == ProjectStatus.AGREEMENT and AGREED_FIELDS.intersection(changes):
        from .agreement import reset_agreement  # what both sides confirmed is no longer what is written

        if reset_agreement(project):
            changes["agreement"] = ["confirmed", "to_confirm_again"]
    revision = ProjectRevision(project=project, actor_id=actor.id, changes=changes)
    db.session.add(revision)
    search.enqueue("project", project.id)
    _tell_about_revision(project, changes)
    return revision


def _fill_new_places(project: Project, before: dict) -> None:
    """More places than before: the waiting list moves up at once, in order (each promoted person is told)."""
    from ..applications.flow import promote_waiting

    db.session.flush()
    for name, kind in (("needed_individuals", "volunteer"), ("needed_groups", "group")):
        for _place in range(max(0, (getattr(project, name) or 0) - (before.get(name) or 0))):
            if promote_waiting(project.id, kind) is None:
                break


def _tell_about_revision(project: Project, changes: dict) -> None:
    """Partners and everyone with an open or confirmed application hear of every change made after publication,
    in their own language."""
    from ..applications.flow import MATCHED, OPEN
    from ..applications.notices import applicant_users
    from ..models import Application
    from .forms import field_labels  # the form names every recorded field; imported late (forms imports us)

    def message() -> str:
        names = field_labels()
        labels = [names.get(name, name) for name in changes]
        return _("「%(title)s」の内容が変更されました（%(fields)s）。", title=project.title,
                 fields="、".join(labels[:6]) + ("など" if len(labels) > 6 else ""))

    applicants = db.session.scalars(select(Application).where(
        Application.project_id == project.id, Application.status.in_(OPEN | MATCHED))).all()
    people = partner_users(project) + [u for a in applicants for u in applicant_users(a)]
    notify_many(people, "project_revised", later(message), f"/issues/{project.id}")


def form_data(project: Project) -> dict:
    data = {name: getattr(project, name) for name in FIELD_NAMES}
    data["field_codes"] = [f.code for f in project.fields]
    data["district_ids"] = [d.id for d in project.districts]
    data["skill_ids"] = [k.id for k in project.skills]
    data["schedule_dates"] = [date.fromisoformat(d) for d in project.schedule_dates or ()]
    return data


@dataclass
class Choices:
    fields: list[ActivityField]
    areas: list[Area]
    skill_categories: list[SkillCategory]


def choices() -> Choices:
    fields = db.session.scalars(select(ActivityField).order_by(ActivityField.code)).all()
    areas = db.session.scalars(select(Area).order_by(Area.position).options(
        selectinload(Area.districts.and_(District.active.is_(True))))).all()
    categories = db.session.scalars(select(SkillCategory).order_by(SkillCategory.position).options(
        selectinload(SkillCategory.skills.and_(Skill.active.is_(True))))).all()
    return Choices(list(fields), list(areas), [c for c in categories if c.skills])


# --- reading --------------------------------------------------------------------------------------------------

def load_project(project_id: int, *, history: bool = False) -> Project | None:
    options = [selectinload(Project.fields), selectinload(Project.districts), selectinload(Project.skills),
               selectinload(Project.department)]
    if history:
        options += [selectinload(Project.transitions).selectinload(ProjectTransition.actor),
                    selectinload(Project.revisions).selectinload(ProjectRevision.actor)]
    return db.session.scalar(select(Project).where(Project.id == project_id).options(*options))


WORKSPACE_ORDER = [s.value for s in STEPS] + [ProjectStatus.CANCELLED.value]
BOARD_CARDS = 12  # the most recently updated cards each status group shows on the whole board
STATUS_PAGE_SIZE = 20  # cards per page of one status's list


@dataclass
class Workspace:
    """担当課の事業: projects grouped by status, in lifecycle order, with counts (and partners per project).

    ``counts`` and ``total`` cover every project the user oversees; ``groups`` holds only the cards shown — on the
    whole board (``status`` None) the ``BOARD_CARDS`` most recently updated of each status, on one status's list
    (``status`` set) page ``page`` of ``pages``. ``partner_counts`` is for the cards shown.
    """

    groups: list[tuple[str, list[Project]]]
    counts: Counter
    total: int
    partner_counts: dict[int, int]
    status: str | None = None
    page: int = 1
    pages: int = 1

    @property
    def count_items(self) -> list[tuple[str, int]]:
        """(status, number of projects) for every status that has any, in lifecycle order."""
        return [(s, self.counts[s]) for s in WORKSPACE_ORDER if self.counts[s]]

    def more(self, status: str, shown: int) -> int:
        """How many projects of ``status`` the board leaves out (0 on a status's list)."""
        return 0 if self.status else max(0, self.counts[status] - shown)

    @property
    def view_args(self) -> dict:
        """The query string that brings this same view back (after a one-click step)."""
        if not self.status:
            return {}
        return {"status": self.status, "page": self.page} if self.page > 1 else {"status": self.status}


def workspace(user, status: str | None = None, page: int = 1) -> Workspace:
    """The whole board (``status`` None), or page ``page`` of one status's list (``status`` in WORKSPACE_ORDER).

    A fixed number of queries whatever the number of projects: counts per status, the cards, their departments,
    their partners.
    """
    scope = [] if is_overseer(user) else [Project.department_id == (user.department_id or -1)]
    counts = Counter(dict(db.session.execute(
        select(Project.status, func.count()).where(*scope).group_by(Project.status)).all()))
    newest_first = (Project.updated_at.desc(), Project.id.desc())
    pages = 1
    if status is None:
        rank = func.row_number().over(partition_by=Project.status, order_by=newest_first).label("board_rank")
        ranked = select(Project.id, rank).where(*scope).subquery()
        query = (select(Project).join(ranked, ranked.c.id == Project.id).where(ranked.c.board_rank <= BOARD_CARDS)
                 .order_by(*newest_first))
    else:
        pages = page_count(counts[status], STATUS_PAGE_SIZE)
        page = clamped_page(page, counts[status], STATUS_PAGE_SIZE)
        query = (select(Project).where(*scope, Project.status == status).order_by(*newest_first)
                 .limit(STATUS_PAGE_SIZE).offset((page - 1) * STATUS_PAGE_SIZE))
    total = sum(counts.values())
    projects = db.session.scalars(query.options(selectinload(Project.department))).all() if total else []
    by_status: dict[str, list[Project]] = {s: [] for s in WORKSPACE_ORDER}
    for p in projects:
        by_status.setdefault(p.status, []).append(p)
    groups = [(status, by_status.get(status, []))] if status else [(s, ps) for s, ps in by_status.items() if ps]
    partner_counts = dict(db.session.execute(
        select(ProjectPartner.project_id, func.count()).where(ProjectPartner.project_id.in_([p.id for p in projects]))
        .group_by(ProjectPartner.project_id)).all()) if projects else {}
    return Workspace(groups, counts, total, partner_counts, status, page if status else 1, pages)
