"""Applications (応募) and invitations (招待): applying, inviting, the message thread, attendance and hours.

Plain functions named for what users do; they change the session and the caller commits once. The steps after
an application exists go through :mod:`.flow`.
"""

from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..errors import Conflict, FieldRefused, NotAllowed, RuleViolation
from ..extensions import db
from ..models import (
    SLOTS,
    ActivityRecord,
    Application,
    ApplicationMessage,
    ApplicationOrigin,
    ApplicationStatus,
    CivicGroup,
    GroupRepresentative,
    GroupStatus,
    Project,
    ProjectStatus,
    Role,
    User,
    VolunteerProfile,
)
from ..projects.lifecycle import can_manage
from . import flow, notices

A = ApplicationStatus
MESSAGE_MAX = 2000
ACCEPTING = frozenset({ProjectStatus.RECRUITING.value, ProjectStatus.SELECTING.value})


# --- who may apply --------------------------------------------------------------------------------------------

def recruiting_now(project: Project, today: date) -> bool:
    """Open for applications: 公募中, within the recruitment period."""
    return (project.status == ProjectStatus.RECRUITING
            and (project.recruit_from is None or project.recruit_from <= today)
            and (project.recruit_until is None or project.recruit_until >= today))


def valid_profile(user, today: date) -> VolunteerProfile | None:
    """The volunteer's registration, if it is current (人材バンク: 3 years, renewable)."""
    if not getattr(user, "is_authenticated", False) or not user.has_role(Role.VOLUNTEER):
        return None
    profile = db.session.get(VolunteerProfile, user.id)
    if profile is None or profile.expires_on is None or profile.expires_on < today:
        return None
    return profile


def groups_that_may_apply(user) -> list[CivicGroup]:
    """The verified groups ``user`` represents."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(db.session.scalars(select(CivicGroup).join(GroupRepresentative).where(
        GroupRepresentative.user_id == user.id, CivicGroup.status == GroupStatus.VERIFIED.value)
        .order_by(CivicGroup.name)))


def existing(project: Project, *, volunteer_user_id: int | None = None, group_id: int | None = None):
    column, value = ((Application.group_id, group_id) if group_id is not None
                     else (Application.volunteer_user_id, volunteer_user_id))
    return db.session.scalar(select(Application).where(Application.project_id == project.id, column == value))


def _clean_choice(project: Project, data: dict) -> tuple[list[int], list[str], list[str]]:
    """The skills offered (ids; the form limits them to the applicant's own) and which of the project's slots and
    dates they can come."""
    skill_ids = [i for i in dict.fromkeys(data.get("skill_ids") or ()) if isinstance(i, int)]
    slots = [s for s in SLOTS if s in set(data.get("slots") or ())]
    if project.schedule_slots:
        wrong = [s for s in slots if s not in project.schedule_slots]
        if wrong:
            raise FieldRefused("slots", _("この事業の活動日時にない曜日・時間帯が選ばれています。"))
    dates = sorted({d for d in (data.get("dates") or ()) if d in set(project.schedule_dates or ())})
    return skill_ids, slots, dates


def apply_to_project(project: Project, actor: User, data: dict, *, today: date) -> Application:
    """Apply to a recruiting project, as oneself (a volunteer with a current registration) or for a verified group
    one represents (``data["group_id"]``).

    Raises Conflict (409) when recruitment is closed or they already applied (or were invited), NotAllowed (403)
    for a group they do not represent, FieldRefused (422) for what the form must fix.
    """
    if not recruiting_now(project, today):
        raise Conflict(_("この事業はいま募集していません。"))
    group_id = data.get("group_id")
    message = (data.get("message") or "").strip()
    if len(message) > MESSAGE_MAX:
        raise FieldRefused("message", _("メッセージは%(n)d文字以内にしてください。", n=MESSAGE_MAX))
    if group_id:
        if group_id not in {g.id for g in groups_that_may_apply(actor)}:
            raise NotAllowed(_("確認済みの団体の代表者だけが、団体として応募できます。"))
        if (project.needed_groups or 0) < 1:
            raise FieldRefused("group_id", _("この事業は団体の応募を受け付けていません。"))
        key = {"group_id": group_id}
    else:
        if valid_profile(actor, today) is None:
            raise FieldRefused("group_id", _("個人で応募するには、人材バンクの登録（有効期限内）が必要です。"))
        if (project.needed_individuals or 0) < 1:
            raise FieldRefused("group_id", _("この事業は個人の応募を受け付けていません。"))
        key = {"volunteer_user_id": actor.id}
    if existing(project, **key) is not None:
        raise Conflict(_("この事業にはすでに応募しています（または招待されています）。"
                         "応募のページで状況を確認できます。"))
    skill_ids, slots, dates = _clean_choice(project, data)
    app = Application(project_id=project.id, origin=ApplicationOrigin.APPLICATION.value, status=A.APPLIED.value,
                      message=message, skill_ids=skill_ids, slots=slots, dates=dates, created_by_id=actor.id, **key)
    _insert(app)
    flow._record(app, None, A.APPLIED.value, actor, "")
    notices.created(app)
    return app


def _insert(app: Application) -> None:
    """Add the row; a concurrent twin (the unique constraint) is a 409, not a 500."""
    try:
        with db.session.begin_nested():
            db.session.add(app)
            db.session.flush()
    except IntegrityError:
        raise Conflict(_("この事業にはすでに応募しています（または招待されています）。")) from None
    db.session.refresh(app)


def invite(project: Project, actor: User, *, volunteer_user_id: int | None = None, group_id: int | None = None,
           message: str = "", today: date) -> Application:
    """Invite a volunteer or a group (from the matcher's suggestions) to a recruiting project.

    Raises NotAllowed (403) for someone who does not manage the project, Conflict (409) when recruitment is
    closed or they are already in touch with the project, RuleViolation (422) for an unverified group or a
    lapsed registration.
    """
    if not can_manage(actor, project):
        raise NotAllowed()
    if project.status not in ACCEPTING:
        raise Conflict(_("招待できるのは、公募中か選定中の事業だけです。"))
    if group_id is not None:
        group = db.session.get(CivicGroup, group_id)
        if group is None or group.status != GroupStatus.VERIFIED:
            raise RuleViolation(_("招待できるのは、確認済みの団体だけです。"))
        if (project.needed_groups or 0) < 1:
            raise RuleViolation(_("この事業は団体を募集していません。"))
        key = {"group_id": group_id}
    else:
        user = db.session.get(User, volunteer_user_id) if volunteer_user_id else None
        if user is None or valid_profile(user, today) is None:
            raise RuleViolation(_("人材バンクの登録が有効な人だけを招待できます。"))
        if (project.needed_individuals or 0) < 1:
            raise RuleViolation(_("この事業は個人を募集していません。"))
        key = {"volunteer_user_id": user.id}
    if existing(project, **key) is not None:
        raise Conflict(_("この人・団体には、すでに応募か招待があります。"))
    app = Application(project_id=project.id, origin=ApplicationOrigin.INVITATION.value, status=A.INVITED.value,
                      message=(message or "").strip()[:MESSAGE_MAX], created_by_id=actor.id, **key)
    _insert(app)
    flow._record(app, None, A.INVITED.value, actor, "")
    notices.created(app)
    return app


# --- talking before contact data is shared ---------------------------------------------------------------------

def post_message(app: Application, author: User, body: str) -> ApplicationMessage:
    """A plain-text message in the thread (shown escaped). Raises NotAllowed, FieldRefused for an empty or long one."""
    if not flow.can_see(author, app):
        raise NotAllowed()
    body = (body or "").strip()
    if not body:
        raise FieldRefused("body", _("メッセージを入力してください。"))
    if len(body) > MESSAGE_MAX:
        raise FieldRefused("body", _("メッセージは%(n)d文字以内にしてください。", n=MESSAGE_MAX))
    msg = ApplicationMessage(application_id=app.id, author_id=author.id, body=body)
    db.session.add(msg)
    notices.message_posted(app, author)
    return msg


# --- after the activity: attendance and hours (活動履歴) ----------------------------------------------------------

def record_attendance(app: Application, actor: User, *, activity_date: date, attended: bool, minutes: int,
                      participants: int = 1, note: str = "") -> ActivityRecord:
    """Record one participant's day (the organiser: the department). Updates the same day's record if any.

    Raises NotAllowed (403), Conflict (409) unless the participation is confirmed or under way, FieldRefused (422)
    for impossible values.
    """
    if not flow.is_department(actor, app):
        raise NotAllowed()
    if app.status not in flow.MATCHED:
        raise Conflict(_("出欠を記録できるのは、参加が確定した人・団体だけです。"))
    if not 0 <= minutes <= 24 * 60:
        raise FieldRefused("hours", _("活動時間は0〜24時間で入力してください。"))
    if participants < 1 or (app.kind == "volunteer" and participants != 1):
        raise FieldRefused("participants", _("参加人数を正しく入力してください（個人は1人）。"))
    record = db.session.scalar(select(ActivityRecord).where(ActivityRecord.application_id == app.id,
                                                            ActivityRecord.activity_date == activity_date))
    if record is None:
        record = ActivityRecord(application_id=app.id, activity_date=activity_date)
        db.session.add(record)
    record.attended, record.note, record.recorded_by_id = attended, (note or "").strip()[:300], actor.id
    record.minutes = minutes if attended else 0
    record.participants = participants if attended else 1
    return record
