"""1課1ボランティア: who may see, organise and join a department's activity; posting, editing and calling one off.

Rules (the view shows each beside its field, 422): the activity ends after it starts; sign-ups close no later than
the start; a new activity starts in the future; 職場単位 (the department as a team) is open to the own department
only; seats cannot go below the people already confirmed.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import selectinload

from ..access import is_centre
from ..errors import Conflict, FieldRefused, NotAllowed
from ..extensions import db
from ..models import (
    AdoptSection,
    Audience,
    Department,
    Participation,
    Project,
    Role,
    SignupStatus,
    StaffActivity,
    StaffActivityStatus,
    StaffSignup,
    User,
    utcnow,
)
from ..notifications import later, notify, notify_many, site_path
from ..pagination import Page, clamped_page

# The department that reads the yearly picture for the whole city office (besides the centre and administrators).
COLLABORATION_DEPARTMENT = "市民協働課"

AUDIENCE_LABELS = {Audience.DEPARTMENT.value: _l("課内の職員のみ"), Audience.ALL_STAFF.value: _l("全職員")}
PARTICIPATION_LABELS = {Participation.WORKPLACE.value: _l("職場単位（課として参加）"),
                        Participation.INDIVIDUAL.value: _l("個人単位")}
STATUS_LABELS = {StaffActivityStatus.OPEN.value: _l("予定"), StaffActivityStatus.CANCELLED.value: _l("中止")}
NOTICE_KIND = "staff_activity"
MAX_CAPACITY = 500


# --- who is who ---------------------------------------------------------------------------------------------------

def is_staff(user) -> bool:
    """A city staff member who belongs to a department (only they sign up)."""
    return bool(getattr(user, "is_authenticated", False) and user.has_role(Role.STAFF) and user.department_id)


def collaboration_department_id() -> int | None:
    return db.session.scalar(select(Department.id).where(Department.name == COLLABORATION_DEPARTMENT))


def can_see_overview(user) -> bool:
    """The yearly picture: 市民協働課, the 市民活動センター and administrators."""
    if is_centre(user):
        return True
    return is_staff(user) and user.department_id == collaboration_department_id()


def can_organise(user, activity: StaffActivity) -> bool:
    """Edit, call off, see the participants and record attendance: the organising department (and administrators)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return (is_staff(user) and user.department_id == activity.department_id) or user.has_role(Role.ADMIN)


def is_eligible(user, activity: StaffActivity) -> bool:
    """May sign up: staff, and of the organising department when the activity is 課内のみ."""
    if not is_staff(user):
        return False
    return activity.audience == Audience.ALL_STAFF.value or user.department_id == activity.department_id


def can_see(user, activity: StaffActivity) -> bool:
    return is_eligible(user, activity) or can_organise(user, activity) or can_see_overview(user)


def visible_to(user):
    """A WHERE clause: the activities ``user`` may see (all of them for the centre and 市民協働課)."""
    if can_see_overview(user) or (getattr(user, "is_authenticated", False) and user.has_role(Role.ADMIN)):
        return True
    if not is_staff(user):
        return False
    return or_(StaffActivity.audience == Audience.ALL_STAFF.value, StaffActivity.department_id == user.department_id)


# --- reading ------------------------------------------------------------------------------------------------------

def load(activity_id: int) -> StaffActivity | None:
    return db.session.get(StaffActivity, activity_id)


def listing(user, *, scope: str = "upcoming", department_id: int | None = None, page: int = 1,
            per_page: int = 20, now: datetime | None = None) -> Page:
    """Activities ``user`` may see: ``upcoming`` (not yet ended, soonest first) or ``past`` (latest first)."""
    now = now or utcnow()
    where = [visible_to(user)]
    if scope == "past":
        where.append(StaffActivity.ends_at <= now)
        order = (StaffActivity.starts_at.desc(), StaffActivity.id.desc())
    else:
        where += [StaffActivity.ends_at > now]
        order = (StaffActivity.starts_at, StaffActivity.id)
    if department_id:
        where.append(StaffActivity.department_id == department_id)
    total = db.session.scalar(select(func.count(StaffActivity.id)).where(*where)) or 0
    page = clamped_page(page, total, per_page)
    items = list(db.session.scalars(
        select(StaffActivity).options(selectinload(StaffActivity.department)).where(*where).order_by(*order)
        .offset((page - 1) * per_page).limit(per_page)))
    return Page(items, total, page, per_page)


def department_year_count(department_id: int, now: datetime | None = None) -> int:
    """How many activities (held or planned, not called off) the department has in the current fiscal year."""
    from ..i18n import fiscal_year, fiscal_year_bounds, jst_date

    start, end = fiscal_year_bounds(fiscal_year(jst_date(now or utcnow())))
    return db.session.scalar(select(func.count(StaffActivity.id)).where(
        StaffActivity.department_id == department_id, StaffActivity.status == StaffActivityStatus.OPEN.value,
        StaffActivity.starts_at >= start, StaffActivity.starts_at < end)) or 0


def sign_up_open(activity: StaffActivity, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return activity.status == StaffActivityStatus.OPEN.value and now < activity.signup_deadline


def has_started(activity: StaffActivity, now: datetime | None = None) -> bool:
    return (now or utcnow()) >= activity.starts_at


def link_choices() -> tuple[list[AdoptSection], list[Project]]:
    """What an activity may serve: adopt sections and projects (by name, for the form's choices)."""
    sections = list(db.session.scalars(select(AdoptSection).order_by(AdoptSection.name)))
    projects = list(db.session.scalars(select(Project).where(Project.status.not_in(["draft"]))
                                       .order_by(Project.title).limit(300)))
    return sections, projects


# --- writing ------------------------------------------------------------------------------------------------------

FIELDS = ("title", "description", "starts_at", "ends_at", "place", "meeting_point", "bring", "capacity",
          "signup_deadline", "audience", "participation", "adopt_section_id", "project_id")


def _check(data: dict, activity: StaffActivity | None, now: datetime) -> None:
    """Raise FieldRefused for the first rule the values break."""
    starts, ends, deadline = data["starts_at"], data["ends_at"], data["signup_deadline"]
    if ends <= starts:
        raise FieldRefused("end_time", _("終了の日時は、開始の日時より後にしてください。"))
    if deadline > starts:
        raise FieldRefused("deadline_day", _("申込締切は、活動の開始より前にしてください。"))
    if (activity is None or starts != activity.starts_at) and starts <= now:
        raise FieldRefused("day", _("開始の日時は、これから先の日時にしてください。"))
    capacity = data["capacity"]
    if not 1 <= capacity <= MAX_CAPACITY:
        raise FieldRefused("capacity", _("定員は1人から%(n)d人までで入力してください。", n=MAX_CAPACITY))
    if activity is not None and capacity < activity.taken:
        raise FieldRefused("capacity", _("すでに%(n)d人の参加が決まっています。定員はそれより少なくできません。",
                                         n=activity.taken))
    if data["participation"] == Participation.WORKPLACE.value and data["audience"] != Audience.DEPARTMENT.value:
        raise FieldRefused("audience", _("職場単位の活動は、課内の職員のみを対象にしてください。"))
    if data.get("adopt_section_id") and db.session.get(AdoptSection, data["adopt_section_id"]) is None:
        raise FieldRefused("adopt_section_id", _("選んだアダプト区間が見つかりません。"))
    if data.get("project_id") and db.session.get(Project, data["project_id"]) is None:
        raise FieldRefused("project_id", _("選んだ協働事業が見つかりません。"))


def save_activity(actor, activity: StaffActivity | None, data: dict, *, department_id: int | None = None,
                  now: datetime | None = None) -> StaffActivity:
    """Post (``activity`` None, for ``department_id``) or edit an activity. The caller commits.

    Raises NotAllowed for someone outside the department, Conflict for a called-off activity, FieldRefused
    for a rule. More seats than before go to the waiting list first, in order; the people signed up are told of
    a change of time or place.
    """
    now = now or utcnow()
    if activity is None:
        if not (is_staff(actor) and actor.department_id == department_id) and not actor.has_role(Role.ADMIN):
            raise NotAllowed()
        if department_id is None or db.session.get(Department, department_id) is None:
            raise FieldRefused("title", _("主催する課が見つかりません。"))
    else:
        if not can_organise(actor, activity):
            raise NotAllowed()
        if activity.status == StaffActivityStatus.CANCELLED.value:
            raise Conflict(_("中止した活動は編集できません。"))
        db.session.execute(select(StaffActivity).where(StaffActivity.id == activity.id).with_for_update()
                           .execution_options(populate_existing=True))
    _check(data, activity, now)
    moved = activity is not None and (data["starts_at"] != activity.starts_at or data["ends_at"] != activity.ends_at
                                      or data["place"] != activity.place
                                      or data["meeting_point"] != activity.meeting_point)
    if activity is None:
        activity = StaffActivity(department_id=department_id, created_by_id=actor.id)
        db.session.add(activity)
    for name in FIELDS:
        setattr(activity, name, data.get(name) if name in ("adopt_section_id", "project_id") else data[name])
    db.session.flush()
    from .signups import promote_waiting, time_clashes

    if moved:
        _tell_of_the_move(activity, time_clashes(activity))

    while promote_waiting(activity.id) is not None:
        pass
    return activity


def _tell_of_the_move(activity: StaffActivity, clashes: dict[int, StaffActivity]) -> None:
    """Everyone signed up hears of the new time or place; whoever it now collides with another sign-up of is told
    which one, so they can give up one of the two (the move itself is not refused: the organiser cannot know)."""
    title, path = activity.title, site_path("staffvol.show", activity_id=activity.id)
    people = participants(activity, include_waiting=True)
    notify_many([p for p in people if p.id not in clashes], NOTICE_KIND, later(
        lambda: _("「%(title)s」の日時または場所が変わりました。内容を確認してください。", title=title)), path)
    for person in people:
        other = clashes.get(person.id)
        if other is not None:
            notify(person, NOTICE_KIND, later(lambda other=other.title: _(
                "「%(title)s」の日時が変わり、申し込み済みの「%(other)s」と時間が重なりました。"
                "どちらかを取り消してください。", title=title, other=other)), path)


def cancel_activity(actor, activity: StaffActivity, reason: str) -> None:
    """Call the activity off (中止): every sign-up ends and each person is told why. The caller commits."""
    if not can_organise(actor, activity):
        raise NotAllowed()
    reason = (reason or "").strip()
    if not reason:
        raise FieldRefused("reason", _("中止の理由を入力してください。申し込んだ職員に伝わります。"))
    result = db.session.execute(
        update(StaffActivity).where(StaffActivity.id == activity.id,
                                    StaffActivity.status == StaffActivityStatus.OPEN.value)
        .values(status=StaffActivityStatus.CANCELLED.value, cancel_reason=reason[:500], taken=0)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(activity)
        raise Conflict(_("この活動はすでに中止されています。"))
    people = participants(activity, include_waiting=True)
    db.session.execute(
        update(StaffSignup).where(StaffSignup.activity_id == activity.id,
                                  StaffSignup.status.in_([SignupStatus.CONFIRMED.value,
                                                          SignupStatus.WAITLISTED.value]))
        .values(status=SignupStatus.CALLED_OFF.value, cancelled_at=utcnow())
        .execution_options(synchronize_session=False))
    db.session.expire(activity)
    title = activity.title
    notify_many(people, NOTICE_KIND, later(
        lambda: _("「%(title)s」は中止になりました。理由: %(reason)s", title=title, reason=reason)),
        site_path("staffvol.show", activity_id=activity.id))


def participants(activity: StaffActivity, *, include_waiting: bool = False) -> list[User]:
    statuses = [SignupStatus.CONFIRMED.value] + ([SignupStatus.WAITLISTED.value] if include_waiting else [])
    return list(db.session.scalars(
        select(User).join(StaffSignup, StaffSignup.user_id == User.id)
        .where(StaffSignup.activity_id == activity.id, StaffSignup.status.in_(statuses)).order_by(StaffSignup.id)))
