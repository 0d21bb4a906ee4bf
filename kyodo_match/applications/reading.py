"""What the applicant-side pages read: the apply panel's options, one application, my applications, my history.

Each page is one query (plus selectinload of what it shows), never a query per row; the lists that grow without
bound (the ended applications, the activity history) are read a page at a time, with SQL counts and sums.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from ..extensions import db
from ..models import (
    ActivityRecord,
    Application,
    ApplicationMessage,
    ApplicationStatus,
    ApplicationTransition,
    CivicGroup,
    GroupRepresentative,
    Project,
    Role,
    VolunteerProfile,
)
from ..pagination import Page, clamped_page
from . import flow, services

A = ApplicationStatus
SELF = "self"  # the apply form's value for 「個人として」; a group is its id


# --- the apply panel and form ------------------------------------------------------------------------------------

@dataclass
class Identity:
    """One way the user can apply: as themself, or for a verified group they represent."""

    value: str  # SELF or the group's id
    label: str  # 個人として応募する / 「…」として応募する
    name: str  # あなた / the group's name
    group_id: int | None
    skills: list = field(default_factory=list)
    applied: Application | None = None

    @property
    def skill_ids(self) -> set[int]:
        return {s.id for s in self.skills}


@dataclass
class ApplyOptions:
    """Everything the 「応募する」 panel and form need to know about this user and this project."""

    open: bool  # recruiting now (公募中, within the period)
    identities: list[Identity]
    applied: list[Application]  # their applications (or invitations) to this project, as themself or a group
    lapsed: bool  # a volunteer whose registration has expired
    unregistered: bool  # a volunteer who has not registered yet

    @property
    def free(self) -> list[Identity]:
        """The identities that have not applied yet."""
        return [i for i in self.identities if i.applied is None]

    def identity(self, value: str | None) -> Identity | None:
        return next((i for i in self.identities if i.value == value), None)


def _profile(user_id: int) -> VolunteerProfile | None:
    return db.session.scalar(select(VolunteerProfile).where(VolunteerProfile.user_id == user_id)
                             .options(selectinload(VolunteerProfile.skills)))


def apply_options(project: Project, user, today: date) -> ApplyOptions:
    """The user's ways to apply to ``project`` and what they already sent (three queries, whatever the count)."""
    profile = _profile(user.id) if user.has_role(Role.VOLUNTEER) else None
    current = profile is not None and profile.expires_on is not None and profile.expires_on >= today
    groups = list(db.session.scalars(
        select(CivicGroup).where(CivicGroup.id.in_([g.id for g in services.groups_that_may_apply(user)]))
        .options(selectinload(CivicGroup.skills)).order_by(CivicGroup.name)))
    identities = []
    if current:
        identities.append(Identity(SELF, _("個人として応募する"), _("あなた"), None, list(profile.skills)))
    identities += [Identity(str(g.id), _("「%(name)s」として応募する", name=g.name), g.name, g.id, list(g.skills))
                   for g in groups]
    mine = [Application.volunteer_user_id == user.id]
    if groups:
        mine.append(Application.group_id.in_([g.id for g in groups]))
    applied = list(db.session.scalars(select(Application).where(Application.project_id == project.id, or_(*mine))
                                      .options(joinedload(Application.group)).order_by(Application.id)))
    for identity in identities:
        identity.applied = next((a for a in applied if (a.group_id == identity.group_id if identity.group_id
                                                        else a.volunteer_user_id == user.id)), None)
    return ApplyOptions(open=services.recruiting_now(project, today), identities=identities, applied=applied,
                        lapsed=profile is not None and not current,
                        unregistered=user.has_role(Role.VOLUNTEER) and profile is None)


# --- one application ----------------------------------------------------------------------------------------------

def load_application(app_id: int) -> Application | None:
    """The application with its project, people, timeline and thread (constant number of queries)."""
    return db.session.scalar(select(Application).where(Application.id == app_id).options(
        joinedload(Application.project).joinedload(Project.department),
        joinedload(Application.project).joinedload(Project.contact_user),
        joinedload(Application.volunteer),
        joinedload(Application.group).selectinload(CivicGroup.representatives).joinedload(GroupRepresentative.user),
        selectinload(Application.transitions).joinedload(ApplicationTransition.actor),
    ))


THREAD_LATEST = 30  # messages an application's page shows at first; the earlier ones on request


@dataclass
class Thread:
    """An application's messages, oldest first: the latest ``THREAD_LATEST``, or all of them when asked."""

    messages: list[ApplicationMessage]
    total: int

    @property
    def earlier(self) -> int:
        """How many older messages are not shown."""
        return self.total - len(self.messages)


def thread(app_id: int, *, whole: bool = False, latest: int = THREAD_LATEST) -> Thread:
    """The thread in two queries (a count, then the messages with their authors) however long it is."""
    total = db.session.scalar(select(func.count(ApplicationMessage.id))
                              .where(ApplicationMessage.application_id == app_id)) or 0
    query = (select(ApplicationMessage).where(ApplicationMessage.application_id == app_id)
             .options(joinedload(ApplicationMessage.author))
             .order_by(ApplicationMessage.created_at.desc(), ApplicationMessage.id.desc()))
    if not whole:
        query = query.limit(latest)
    messages = list(db.session.scalars(query))
    messages.reverse()
    return Thread(messages, total)


def contact_profile(app: Application) -> VolunteerProfile | None:
    """The applying volunteer's registration (real name, e-mail, phone): only for a caller that checked
    flow.can_see_contacts and that the viewer is on the department's side."""
    return db.session.get(VolunteerProfile, app.volunteer_user_id) if app.volunteer_user_id else None


# --- my applications and my history --------------------------------------------------------------------------------

SECTIONS = [  # (key, heading, statuses) on わたしの応募
    ("invited", _l("招待"), {A.INVITED.value}),
    ("open", _l("進行中"), flow.OPEN - {A.INVITED.value}),
    ("matched", _l("確定・活動中"), {A.CONFIRMED.value, A.ACTIVE.value}),
    ("ended", _l("終わったもの"), {A.COMPLETED.value, A.DECLINED.value, A.WITHDRAWN.value, A.EXPIRED.value,
                                 A.INVITATION_DECLINED.value}),
]


def _mine_clause(user):
    groups = select(GroupRepresentative.group_id).where(GroupRepresentative.user_id == user.id)
    return or_(Application.volunteer_user_id == user.id, Application.group_id.in_(groups))


# The sections that stay whole (the person's to-do list) and the one that is paginated.
ACTIVE_SECTIONS = [s for s in SECTIONS if s[0] != "ended"]
ENDED = next(s for s in SECTIONS if s[0] == "ended")
ENDED_PER_PAGE = 10
HISTORY_PER_PAGE = 20


def _row_options():
    """What a row (templates/applications/_row.html) shows, loaded with the rows: never a query per row."""
    return (joinedload(Application.project).joinedload(Project.department),
            joinedload(Application.volunteer),
            joinedload(Application.group).selectinload(CivicGroup.representatives))


NEWEST_ACTIVITY_FIRST = (Application.last_action_at.desc(), Application.id.desc())


def my_applications(user) -> dict[str, list[Application]]:
    """My applications and my groups' ones in the sections that stay whole (招待, 進行中, 確定・活動中), newest
    activity first, by section (see SECTIONS): one query for exactly those statuses; the ended ones are
    ended_applications' (paginated)."""
    wanted = set().union(*(statuses for _key, _heading, statuses in ACTIVE_SECTIONS))
    rows = db.session.scalars(select(Application).where(_mine_clause(user), Application.status.in_(wanted))
                              .options(*_row_options()).order_by(*NEWEST_ACTIVITY_FIRST)).unique().all()
    return {key: [a for a in rows if a.status in statuses] for key, _heading, statuses in ACTIVE_SECTIONS}


def ended_applications(user, page: int = 1, per_page: int = ENDED_PER_PAGE) -> Page:
    """「終わったもの」: my and my groups' ended applications, newest activity first, one page of them
    (a count, then the page: two queries plus the groups' representatives when a row is a group's)."""
    where = (_mine_clause(user), Application.status.in_(ENDED[2]))
    total = db.session.scalar(select(func.count(Application.id)).where(*where)) or 0
    page = clamped_page(page, total, per_page)
    items = db.session.scalars(select(Application).where(*where).options(*_row_options())
                               .order_by(*NEWEST_ACTIVITY_FIRST).offset((page - 1) * per_page)
                               .limit(per_page)).unique().all() if total else []
    return Page(list(items), total, page, per_page)


@dataclass
class History:
    """活動履歴: one page of the days recorded for me and my groups, and the hours each of us gave (over every
    record, not only this page)."""

    records: Page
    totals: list[tuple[str, float]]  # (who: あなた / the group's name, hours attended)


def hours(minutes: int) -> float:
    return round(minutes / 60, 1)


def activity_history(user, page: int = 1, per_page: int = HISTORY_PER_PAGE) -> History:
    """The totals are one aggregate over all my records (minutes where attended, per group or me), which also
    gives the number of records; then one query for the page of the table."""
    attended_minutes = func.coalesce(func.sum(case((ActivityRecord.attended, ActivityRecord.minutes), else_=0)), 0)
    sums = db.session.execute(
        select(Application.group_id, CivicGroup.name, attended_minutes, func.count(ActivityRecord.id))
        .select_from(ActivityRecord).join(Application, ActivityRecord.application_id == Application.id)
        .outerjoin(CivicGroup, Application.group_id == CivicGroup.id)
        .where(_mine_clause(user)).group_by(Application.group_id, CivicGroup.name)
        .order_by(case((Application.group_id.is_(None), 0), else_=1), CivicGroup.name, Application.group_id)).all()
    total = sum(count for *_rest, count in sums)
    page = clamped_page(page, total, per_page)
    records = list(db.session.scalars(
        select(ActivityRecord).join(Application, ActivityRecord.application_id == Application.id)
        .where(_mine_clause(user))
        .options(joinedload(ActivityRecord.application).joinedload(Application.project),
                 joinedload(ActivityRecord.application).joinedload(Application.group))
        .order_by(ActivityRecord.activity_date.desc(), ActivityRecord.id.desc())
        .offset((page - 1) * per_page).limit(per_page))) if total else []
    totals = [(name if group_id is not None else _("あなた"), hours(minutes or 0))
              for group_id, name, minutes, _count in sums]
    return History(Page(records, total, page, per_page), totals)
