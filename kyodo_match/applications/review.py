"""The centre's queue (審査の順番待ち), a project's applicants with its places, invitations, attendance records, and
the counts on the two dashboards.

Read-only queries: one query per list with selectinload for what the cards show (no N+1). The steps themselves
go through :mod:`.flow`, invitations and attendance through :mod:`.services`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, case, exists, func, or_, select
from sqlalchemy.orm import selectinload

from ..extensions import db
from ..i18n import today_jst
from ..models import (
    Application,
    ApplicationStatus,
    CivicGroup,
    GroupStatus,
    Project,
    ProjectStatus,
    User,
    VolunteerProfile,
    utcnow,
)
from ..models.projects import project_district, project_field
from ..projects.lifecycle import is_overseer
from . import flow

A = ApplicationStatus
PER_PAGE = 20
STALE_DAYS = 7  # 動きのない応募: no step for a week
SECTION_LIMIT = 10  # how many stale items and projects without applicants the queue page lists
SEARCH_LIMIT = 20
AGES = {3: _l("3日以上"), 7: _l("7日以上"), 14: _l("14日以上")}
# The open states in the order the queue's status menu offers them.
QUEUE_STATUSES = (A.APPLIED.value, A.REVIEWING.value, A.APPROVED.value, A.INVITED.value, A.WAITLISTED.value)


def card_options():
    """What a card needs: the project and its department, the applicant, a group's representatives (who may
    answer an invitation — asked by :func:`flow.available_steps`)."""
    return (selectinload(Application.project).selectinload(Project.department),
            selectinload(Application.volunteer),
            selectinload(Application.group).selectinload(CivicGroup.representatives))


def age_days(app: Application, now: datetime | None = None) -> int:
    """Whole days since the last step."""
    return max(0, ((now or utcnow()) - app.last_action_at).days)


# --- the centre's queue -----------------------------------------------------------------------------------------

@dataclass
class QueueFilters:
    """What the queue is narrowed by; every value comes from the query string and is checked by the form."""

    department: int | None = None
    district: int | None = None
    field: int | None = None
    age: int | None = None  # days since the last step: 3 / 7 / 14
    status: str = ""  # one of QUEUE_STATUSES, or every open state

    def args(self) -> dict:
        """The filters as URL parameters (empty ones left out): page links, hx-push-url."""
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


def _project_filters(query, f: QueueFilters):
    if f.department:
        query = query.where(Project.department_id == f.department)
    if f.field:
        query = query.where(Project.id.in_(select(project_field.c.project_id).where(
            project_field.c.field_code == f.field)))
    if f.district:
        # A city-wide project (no districts) concerns every district, so it stays in the list.
        in_district = select(project_district.c.project_id).where(project_district.c.district_id == f.district)
        anywhere = ~exists().where(project_district.c.project_id == Project.id)
        query = query.where(or_(Project.id.in_(in_district), anywhere))
    return query


def queue_query(f: QueueFilters, now: datetime | None = None):
    """Every open application and invitation (flow.OPEN), the oldest last step first."""
    statuses = [f.status] if f.status in flow.OPEN else sorted(flow.OPEN)
    query = select(Application).join(Application.project).where(Application.status.in_(statuses))
    query = _project_filters(query, f)
    if f.age:
        query = query.where(Application.last_action_at <= (now or utcnow()) - timedelta(days=f.age))
    return query.options(*card_options()).order_by(Application.last_action_at, Application.id)


def stale(now: datetime | None = None, limit: int = SECTION_LIMIT) -> tuple[int, list[Application]]:
    """「7日以上動きのないもの」: how many open items had no step for STALE_DAYS, and the oldest of them."""
    cutoff = (now or utcnow()) - timedelta(days=STALE_DAYS)
    where = (Application.status.in_(flow.OPEN), Application.last_action_at <= cutoff)
    total = db.session.scalar(select(func.count(Application.id)).where(*where)) or 0
    rows = db.session.scalars(select(Application).where(*where).options(*card_options())
                              .order_by(Application.last_action_at, Application.id).limit(limit)).all()
    return total, list(rows)


def _unasked():
    return select(Project).where(Project.status == ProjectStatus.RECRUITING.value,
                                 ~exists().where(Application.project_id == Project.id))


def projects_without_applicants(f: QueueFilters | None = None, limit: int = SECTION_LIMIT
                                ) -> tuple[int, list[Project]]:
    """「応募がまだない公募中の事業」: recruiting projects nobody applied to nor was invited to (department,
    district and field filters apply), the longest published first."""
    query = _project_filters(_unasked(), f or QueueFilters())
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.scalars(query.options(selectinload(Project.department))
                              .order_by(Project.published_at.asc().nulls_last(), Project.id).limit(limit)).all()
    return total, list(rows)


# --- the dashboards -------------------------------------------------------------------------------------------

def desk_counts(now: datetime | None = None) -> dict[str, int]:
    """The centre's numbers: new applications, approved ones waiting for a department, stale items, recruiting
    projects with no applicants (two queries)."""
    cutoff = (now or utcnow()) - timedelta(days=STALE_DAYS)
    row = db.session.execute(select(
        func.count().filter(Application.status == A.APPLIED.value),
        func.count().filter(Application.status == A.APPROVED.value),
        func.count().filter(Application.status.in_(flow.OPEN), Application.last_action_at <= cutoff),
    ).select_from(Application)).one()
    unasked = db.session.scalar(select(func.count()).select_from(_unasked().subquery())) or 0
    return {"new": row[0], "approved": row[1], "stale": row[2], "unasked": unasked}


@dataclass
class ProjectCounts:
    project_id: int
    title: str
    status: str
    pending: int = 0  # 応募・審査中 (with the centre)
    approved: int = 0  # 承認: the department's turn
    confirmed: int = 0  # 確定・活動中
    waitlisted: int = 0
    invited: int = 0


@dataclass
class WorkspaceSummary:
    """The summary's totals over every project in scope, and the ``SUMMARY_PROJECTS`` first projects to show."""

    projects: list[ProjectCounts] = field(default_factory=list)
    totals: dict[str, int] = field(default_factory=dict)
    project_count: int = 0

    def total(self, name: str) -> int:
        return self.totals.get(name, 0)

    @property
    def more(self) -> int:
        """Projects in scope that are not listed."""
        return self.project_count - len(self.projects)


BUCKETS = {A.APPLIED.value: "pending", A.REVIEWING.value: "pending", A.APPROVED.value: "approved",
           A.CONFIRMED.value: "confirmed", A.ACTIVE.value: "confirmed", A.WAITLISTED.value: "waitlisted",
           A.INVITED.value: "invited"}
BUCKET_NAMES = ("pending", "approved", "confirmed", "waitlisted", "invited")
SUMMARY_PROJECTS = 20

# Projects the summary lists even before anyone applied: where applicants, invitations and attendance matter.
LIVE_PROJECTS = (ProjectStatus.RECRUITING.value, ProjectStatus.SELECTING.value, ProjectStatus.AGREEMENT.value,
                 ProjectStatus.RUNNING.value)


def workspace_summary(user, limit: int = SUMMARY_PROJECTS) -> WorkspaceSummary:
    """The department's applicants across its projects (all departments for the centre): live projects and any
    with applicants, counted by state per project in SQL; the department's turn (承認済み) first, then those
    waiting for the centre, newest project first. Two queries — the first ``limit`` projects, and the totals over
    all of them — however many projects there are."""
    joined = and_(Application.project_id == Project.id, Application.status.in_(BUCKETS))
    buckets = {name: func.coalesce(func.sum(case((Application.status.in_(
        [k for k, v in BUCKETS.items() if v == name]), 1), else_=0)), 0).label(name) for name in BUCKET_NAMES}
    per_project = (select(Project.id, Project.title, Project.status, *buckets.values())
                   .outerjoin(Application, joined)
                   .where(or_(Project.status.in_(LIVE_PROJECTS), Application.id.is_not(None)))
                   .group_by(Project.id, Project.title, Project.status))
    if not is_overseer(user):
        per_project = per_project.where(Project.department_id == (getattr(user, "department_id", None) or -1))
    shown = [ProjectCounts(pid, title, status, *counts) for pid, title, status, *counts in db.session.execute(
        per_project.order_by(buckets["approved"].desc(), buckets["pending"].desc(), Project.id.desc()).limit(limit))]
    sub = per_project.subquery()
    count, *sums = db.session.execute(select(func.count(), *(func.coalesce(func.sum(sub.c[name]), 0)
                                                               for name in BUCKET_NAMES)).select_from(sub)).one()
    return WorkspaceSummary(shown, dict(zip(BUCKET_NAMES, (int(n) for n in sums), strict=True)), count)


# --- one project's applicants ---------------------------------------------------------------------------------

# The sections of the applicants page, in the order the department works through them.
SECTIONS = (
    ("approved", _l("承認済み（参加の確定を待っています）"), (A.APPROVED.value,)),
    ("centre", _l("市民活動センターが確認中"), (A.APPLIED.value, A.REVIEWING.value)),
    ("invited", _l("招待中（返事を待っています）"), (A.INVITED.value,)),
    ("confirmed", _l("参加が確定した人・団体"), (A.CONFIRMED.value, A.ACTIVE.value, A.COMPLETED.value)),
    ("waitlisted", _l("キャンセル待ち（順番どおり）"), (A.WAITLISTED.value,)),
    ("closed", _l("見送り・辞退・期限切れ"), (A.DECLINED.value, A.WITHDRAWN.value, A.EXPIRED.value,
                                         A.INVITATION_DECLINED.value)),
)


@dataclass
class Capacity:
    kind: str  # "volunteer" / "group"
    needed: int
    taken: int
    waiting: int

    @property
    def free(self) -> int:
        return max(0, self.needed - self.taken)


@dataclass
class Applicants:
    project: Project
    sections: list[tuple[str, object, list[Application]]]
    capacity: list[Capacity]


def load_project(project_id: int) -> Project | None:
    return db.session.scalar(select(Project).where(Project.id == project_id)
                             .options(selectinload(Project.department)))


def _waiting_order(app: Application):
    return (app.waitlisted_at or app.created_at, app.id)


def applicants(project: Project) -> Applicants:
    """Everyone who applied to or was invited to ``project``, by section; the waiting list in the order of
    promotion (as :func:`flow.promote_waiting` takes them); the places per kind. One query and selectinload."""
    rows = db.session.scalars(select(Application).where(Application.project_id == project.id)
                              .options(*card_options()).order_by(Application.last_action_at, Application.id)).all()
    by_status: dict[str, list[Application]] = defaultdict(list)
    for app in rows:
        by_status[app.status].append(app)
    sections = []
    for key, label, statuses in SECTIONS:
        found = [a for s in statuses for a in by_status.get(s, [])]
        if key == "waitlisted":
            found.sort(key=_waiting_order)
        if found:
            sections.append((key, label, found))
    waiting = by_status.get(A.WAITLISTED.value, [])
    capacity = []
    for kind, needed, taken in (("volunteer", project.needed_individuals, project.taken_individuals),
                                ("group", project.needed_groups, project.taken_groups)):
        waits = sum(1 for a in waiting if a.kind == kind)
        if needed or taken or waits:
            capacity.append(Capacity(kind, needed or 0, taken or 0, waits))
    return Applicants(project, sections, capacity)


def waiting_positions(rows: list[Application]) -> dict[int, int]:
    """Each waiting application's place in line for its kind (個人 and 団体 wait separately), from 1."""
    seen: dict[str, int] = defaultdict(int)
    positions = {}
    for app in sorted(rows, key=_waiting_order):
        seen[app.kind] += 1
        positions[app.id] = seen[app.kind]
    return positions


# --- whom to invite -------------------------------------------------------------------------------------------

@dataclass
class Invitable:
    groups: list[dict]
    volunteers: list[dict]


def _like(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def invitable(project: Project, q: str, *, today: date | None = None, limit: int = SEARCH_LIMIT) -> Invitable:
    """Who may still be invited, by name: verified groups (when the project takes groups) and volunteers with
    a public card and a current registration (when it takes individuals). Anyone already applied or invited is
    left out; volunteers are matched by display name only, never by real name."""
    q = (q or "").strip()[:100]
    today = today or today_jst()
    groups: list[dict] = []
    volunteers: list[dict] = []
    if project.needed_groups:
        query = (select(CivicGroup).where(CivicGroup.status == GroupStatus.VERIFIED.value)
                 .where(~exists().where(Application.project_id == project.id, Application.group_id == CivicGroup.id))
                 .options(selectinload(CivicGroup.districts)).order_by(CivicGroup.name, CivicGroup.id).limit(limit))
        if q:
            query = query.where(or_(CivicGroup.name.ilike(_like(q), escape="\\"),
                                    CivicGroup.name_kana.ilike(_like(q), escape="\\")))
        groups = [{"id": g.id, "name": g.name, "districts": [d.name for d in g.districts]}
                  for g in db.session.scalars(query)]
    if project.needed_individuals:
        query = (select(VolunteerProfile).join(User, User.id == VolunteerProfile.user_id)
                 .where(VolunteerProfile.public_card.is_(True), User.active.is_(True), User.deleted_at.is_(None),
                        VolunteerProfile.expires_on >= today)
                 .where(~exists().where(Application.project_id == project.id,
                                        Application.volunteer_user_id == VolunteerProfile.user_id))
                 .options(selectinload(VolunteerProfile.districts), selectinload(VolunteerProfile.user))
                 .order_by(User.display_name, User.id).limit(limit))
        if q:
            query = query.where(User.display_name.ilike(_like(q), escape="\\"))
        volunteers = [{"id": p.user_id, "name": p.user.display_name, "districts": [d.name for d in p.districts]}
                      for p in db.session.scalars(query)]
    return Invitable(groups, volunteers)
