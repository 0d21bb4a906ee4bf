"""Signing up for a 1課1ボランティア activity, the waiting list, and cancelling.

Seats hold under concurrent requests on SQLite and PostgreSQL the same way application places do: a seat is taken by
``UPDATE staff_activity SET taken = taken + 1 WHERE taken < capacity`` (its row count is the answer), a sign-up
changes state only by ``UPDATE … WHERE status = <what we read>``, and a CHECK constraint is the backstop. A person's
own sign-ups are serialised by a row lock on their user row, so two requests of one person cannot both pass the
overlap rule. Whoever frees a seat promotes the first waiting person in the same transaction, and tells them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, selectinload

from ..errors import Conflict, NotAllowed
from ..extensions import db
from ..i18n import jst
from ..models import SignupStatus, StaffActivity, StaffActivityStatus, StaffSignup, User, utcnow
from ..notifications import later, notify, site_path
from .activities import NOTICE_KIND, can_organise, is_eligible

S = SignupStatus
HOLDING = (S.CONFIRMED.value, S.WAITLISTED.value)
STATUS_LABELS = {S.CONFIRMED.value: _l("申し込み済み"), S.WAITLISTED.value: _l("キャンセル待ち"),
                 S.CANCELLED.value: _l("取り消し"), S.CALLED_OFF.value: _l("中止")}


# --- reading ------------------------------------------------------------------------------------------------------

def signup_of(activity_id: int, user_id: int) -> StaffSignup | None:
    return db.session.scalar(select(StaffSignup).where(StaffSignup.activity_id == activity_id,
                                                       StaffSignup.user_id == user_id))


def waiting_position(signup: StaffSignup) -> int | None:
    """1 for the first in line; None when not waiting."""
    if signup.status != S.WAITLISTED.value or signup.waitlisted_at is None:
        return None
    ahead = db.session.scalar(select(func.count(StaffSignup.id)).where(
        StaffSignup.activity_id == signup.activity_id, StaffSignup.status == S.WAITLISTED.value,
        (StaffSignup.waitlisted_at < signup.waitlisted_at)
        | ((StaffSignup.waitlisted_at == signup.waitlisted_at) & (StaffSignup.id < signup.id)))) or 0
    return ahead + 1


def _with_people():
    return selectinload(StaffSignup.user).selectinload(User.department)


def waiting_positions(rows: list[StaffSignup]) -> dict[int, int]:
    """The place in line of each waiting sign-up among ``rows`` (one query for all their activities)."""
    waiting = [s for s in rows if s.status == S.WAITLISTED.value]
    if not waiting:
        return {}
    ahead: dict[int, int] = {}
    positions = {}
    for signup_id, activity_id in db.session.execute(
            select(StaffSignup.id, StaffSignup.activity_id)
            .where(StaffSignup.activity_id.in_({s.activity_id for s in waiting}),
                   StaffSignup.status == S.WAITLISTED.value)
            .order_by(StaffSignup.activity_id, StaffSignup.waitlisted_at, StaffSignup.id)):
        ahead[activity_id] = ahead.get(activity_id, 0) + 1
        positions[signup_id] = ahead[activity_id]
    return {s.id: positions[s.id] for s in waiting if s.id in positions}


def waiting_list(activity_id: int) -> list[StaffSignup]:
    return list(db.session.scalars(
        select(StaffSignup).options(_with_people())
        .where(StaffSignup.activity_id == activity_id, StaffSignup.status == S.WAITLISTED.value)
        .order_by(StaffSignup.waitlisted_at, StaffSignup.id)))


def confirmed(activity_id: int) -> list[StaffSignup]:
    return list(db.session.scalars(
        select(StaffSignup).options(_with_people())
        .where(StaffSignup.activity_id == activity_id, StaffSignup.status == S.CONFIRMED.value)
        .order_by(StaffSignup.confirmed_at, StaffSignup.id)))


def waiting_count(activity_id: int) -> int:
    return db.session.scalar(select(func.count(StaffSignup.id)).where(
        StaffSignup.activity_id == activity_id, StaffSignup.status == S.WAITLISTED.value)) or 0


def _holds_time(signup, activity, starts_at, ends_at) -> tuple:
    """``signup`` (a seat or a place in line) on ``activity`` (open) holds part of [starts_at, ends_at): the overlap
    rule, shared by the refusal at sign-up and the clashes after a move (``signup``/``activity`` may be aliases)."""
    return (signup.status.in_(HOLDING), activity.status == StaffActivityStatus.OPEN.value,
            activity.starts_at < ends_at, activity.ends_at > starts_at)


def overlapping(user_id: int, starts_at: datetime, ends_at: datetime, *, except_activity: int | None = None
                ) -> StaffActivity | None:
    """Another activity the person holds a seat (or a place in line) for that overlaps [starts_at, ends_at)."""
    query = (select(StaffActivity).join(StaffSignup, StaffSignup.activity_id == StaffActivity.id)
             .where(StaffSignup.user_id == user_id, *_holds_time(StaffSignup, StaffActivity, starts_at, ends_at))
             .order_by(StaffActivity.starts_at).limit(1))
    if except_activity is not None:
        query = query.where(StaffActivity.id != except_activity)
    return db.session.scalar(query)


def time_clashes(activity: StaffActivity) -> dict[int, StaffActivity]:
    """Who holds a seat or a place in line here and also for another open activity at an overlapping time.

    The overlap rule refuses such a sign-up, but an organiser may move an activity after people signed up (rain, a
    changed venue): the move is allowed, and this names each person's first clash, in one query, so they can be told
    and the organiser sees it. Maps user id → the other activity.
    """
    mine, theirs, other = aliased(StaffSignup), aliased(StaffSignup), aliased(StaffActivity)
    rows = db.session.execute(
        select(mine.user_id, other)
        .join(theirs, (theirs.user_id == mine.user_id) & (theirs.activity_id != mine.activity_id))
        .join(other, other.id == theirs.activity_id)
        .where(mine.activity_id == activity.id, mine.status.in_(HOLDING),
               *_holds_time(theirs, other, activity.starts_at, activity.ends_at))
        .order_by(mine.user_id, other.starts_at, other.id))
    clashes: dict[int, StaffActivity] = {}
    for user_id, found in rows:
        clashes.setdefault(user_id, found)
    return clashes


@dataclass
class SeatState:
    """What the sign-up button shows one person."""

    activity: StaffActivity
    signup: StaffSignup | None
    position: int | None  # place in the waiting list
    waiting: int  # people waiting
    open: bool  # sign-ups still accepted
    eligible: bool
    clash: StaffActivity | None = None  # another of the person's activities now at the same time (after a move)

    @property
    def seats_left(self) -> int:
        return self.activity.seats_left

    @property
    def holding(self) -> bool:
        return self.signup is not None and self.signup.status in HOLDING

    @property
    def can_cancel(self) -> bool:
        """The person may still cancel by themself: a seat until the deadline, a place in line until the start."""
        if not self.holding or self.activity.status != StaffActivityStatus.OPEN.value:
            return False
        if self.signup.status == S.WAITLISTED.value:
            return utcnow() < self.activity.starts_at
        return self.open


def seat_state(activity: StaffActivity, user, now: datetime | None = None) -> SeatState:
    from .activities import sign_up_open

    signup = signup_of(activity.id, user.id) if getattr(user, "is_authenticated", False) else None
    state = SeatState(activity, signup, waiting_position(signup) if signup else None, waiting_count(activity.id),
                      sign_up_open(activity, now), is_eligible(user, activity))
    if state.holding and activity.status == StaffActivityStatus.OPEN.value:
        state.clash = overlapping(user.id, activity.starts_at, activity.ends_at, except_activity=activity.id)
    return state


# --- seats --------------------------------------------------------------------------------------------------------

def _take_seat(activity_id: int) -> bool:
    result = db.session.execute(
        update(StaffActivity).where(StaffActivity.id == activity_id, StaffActivity.taken < StaffActivity.capacity,
                                    StaffActivity.status == StaffActivityStatus.OPEN.value)
        .values(taken=StaffActivity.taken + 1).execution_options(synchronize_session=False))
    return result.rowcount == 1


def _free_seat(activity_id: int) -> None:
    db.session.execute(update(StaffActivity).where(StaffActivity.id == activity_id, StaffActivity.taken > 0)
                       .values(taken=StaffActivity.taken - 1).execution_options(synchronize_session=False))


def _claim(signup: StaffSignup, source: str, target: str, **values) -> None:
    """Change the sign-up's status only if nobody changed it since we read it (409 otherwise)."""
    result = db.session.execute(
        update(StaffSignup).where(StaffSignup.id == signup.id, StaffSignup.status == source)
        .values(status=target, **values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        db.session.expire(signup)
        raise Conflict(_("この申し込みはほかの操作で変わりました。画面を更新してください。"))
    db.session.expire(signup)


def _lock_person(user_id: int) -> None:
    """One person's sign-ups one at a time (PostgreSQL row lock; SQLite writes already run one at a time)."""
    db.session.execute(select(User.id).where(User.id == user_id).with_for_update())


# --- signing up and cancelling ------------------------------------------------------------------------------------

def sign_up(activity: StaffActivity, user, now: datetime | None = None) -> StaffSignup:
    """A seat if one is free, else a place at the end of the waiting list. The caller commits.

    NotAllowed: not staff, or 課内のみ for another department. Conflict (409): called off, past the deadline,
    already signed up, or at the same time as another activity the person holds.
    """
    now = now or utcnow()
    if not is_eligible(user, activity):
        raise NotAllowed(_("この活動は主催課の職員のみが申し込めます。"))
    if activity.status != StaffActivityStatus.OPEN.value:
        raise Conflict(_("この活動は中止になりました。"))
    if now >= activity.signup_deadline:
        raise Conflict(_("申込締切（%(when)s）を過ぎたため、申し込めません。", when=jst(activity.signup_deadline)))
    _lock_person(user.id)
    existing = signup_of(activity.id, user.id)
    if existing is not None and existing.status in HOLDING:
        raise Conflict(_("すでに申し込んでいます。") if existing.status == S.CONFIRMED.value
                       else _("すでにキャンセル待ちに登録しています。"))
    clash = overlapping(user.id, activity.starts_at, activity.ends_at, except_activity=activity.id)
    if clash is not None:
        raise Conflict(_("同じ時間帯の「%(title)s」（%(when)s）に申し込んでいます。同時に2つの活動には参加できません。",
                         title=clash.title, when=jst(clash.starts_at)))
    seated = _take_seat(activity.id)
    # Stamped after the seat UPDATE (which may have waited for another request's row lock), so that the waiting
    # list's order is the order in which people found the activity full.
    stamp = utcnow()
    values = ({"status": S.CONFIRMED.value, "confirmed_at": stamp, "waitlisted_at": None} if seated
              else {"status": S.WAITLISTED.value, "waitlisted_at": stamp, "confirmed_at": None})
    if existing is None:
        signup = StaffSignup(activity_id=activity.id, user_id=user.id, department_id=user.department_id, **values)
        db.session.add(signup)
        try:
            with db.session.begin_nested():
                db.session.flush()
        except IntegrityError as e:  # the same person in another request, a moment earlier
            raise Conflict(_("すでに申し込んでいます。")) from e
    else:
        signup = existing
        _claim(signup, S.CANCELLED.value, values.pop("status"), cancelled_at=None, attended=None, minutes=0,
               department_id=user.department_id, **values)
    db.session.expire(activity, ["taken"])
    return signup


def cancel(signup: StaffSignup, actor, now: datetime | None = None) -> StaffSignup | None:
    """Cancel a seat or leave the waiting list. The person themself: a seat until the deadline, a place in line until
    the start (leaving the line frees nothing); the organiser: until the start. A freed seat goes to the first
    waiting person. Returns whoever was promoted (or None). The caller commits."""
    now = now or utcnow()
    activity = signup.activity
    own = actor.id == signup.user_id
    organiser = can_organise(actor, activity)
    if not own and not organiser:
        raise NotAllowed()
    if signup.status not in HOLDING:
        raise Conflict(_("この申し込みはすでに取り消されています。"))
    if now >= activity.starts_at:
        raise Conflict(_("活動が始まった後は取り消せません。参加の記録で「欠席」にしてください。"))
    if not organiser and signup.status == S.CONFIRMED.value and now >= activity.signup_deadline:
        raise Conflict(_("申込締切（%(when)s）を過ぎたため、画面からは取り消せません。主催課に連絡してください。",
                         when=jst(activity.signup_deadline)))
    source = signup.status
    _claim(signup, source, S.CANCELLED.value, cancelled_at=now)
    promoted = None
    if source == S.CONFIRMED.value:
        _free_seat(activity.id)
        promoted = promote_waiting(activity.id)
    if not own:
        title = activity.title
        notify(db.session.get(User, signup.user_id), NOTICE_KIND, later(
            lambda: _("「%(title)s」への申し込みを主催課が取り消しました。", title=title)),
            site_path("staffvol.show", activity_id=activity.id))
    db.session.expire(activity, ["taken"])
    return promoted


def promote_waiting(activity_id: int) -> StaffSignup | None:
    """The first in line takes a free seat, and is told. None when nobody waits or no seat is free."""
    waiting = list(db.session.scalars(
        select(StaffSignup).where(StaffSignup.activity_id == activity_id, StaffSignup.status == S.WAITLISTED.value)
        .order_by(StaffSignup.waitlisted_at, StaffSignup.id).limit(20)))
    if not waiting or not _take_seat(activity_id):
        return None
    for first in waiting:
        try:
            _claim(first, S.WAITLISTED.value, S.CONFIRMED.value, confirmed_at=utcnow())
        except Conflict:
            continue  # left the list meanwhile: the next one takes the seat
        _tell_promoted(first, db.session.get(StaffActivity, activity_id))
        return first
    _free_seat(activity_id)
    return None


def _tell_promoted(signup: StaffSignup, activity: StaffActivity) -> None:
    title, starts = activity.title, activity.starts_at
    notify(db.session.get(User, signup.user_id), NOTICE_KIND, later(
        lambda: _("キャンセル待ちから繰り上がり、「%(title)s」（%(when)s）への参加が決まりました。", title=title,
                  when=jst(starts))),
        site_path("staffvol.show", activity_id=activity.id))


@dataclass
class TeamResult:
    confirmed: list[User]
    waiting: list[User]
    skipped: list[tuple[User, str]]  # with the reason, shown to the organiser


def sign_up_colleagues(activity: StaffActivity, organiser, user_ids: list[int], now: datetime | None = None
                       ) -> TeamResult:
    """職場単位: the organiser signs up colleagues of the organising department in one go (seats first, then the
    waiting list, in the order given). Anyone already signed up, busy at that time or not of the department is
    skipped with the reason; each person signed up is told. The caller commits."""
    if not can_organise(organiser, activity):
        raise NotAllowed()
    order = {uid: i for i, uid in reversed(list(enumerate(user_ids[:500])))}
    people = sorted(db.session.scalars(select(User).where(User.id.in_(order))), key=lambda u: order[u.id])
    result = TeamResult([], [], [])
    for person in people:
        if person.department_id != activity.department_id or not is_eligible(person, activity):
            result.skipped.append((person, _("主催課の職員ではありません。")))
            continue
        try:
            with db.session.begin_nested():
                signup = sign_up(activity, person, now)
        except (Conflict, NotAllowed) as refused:
            result.skipped.append((person, str(refused.message or refused)))
            continue
        (result.confirmed if signup.status == S.CONFIRMED.value else result.waiting).append(person)
        if person.id != organiser.id:
            title, starts = activity.title, activity.starts_at
            notify(person, NOTICE_KIND, later(lambda title=title, starts=starts: _(
                "「%(title)s」（%(when)s）に、課として参加を登録しました。都合が悪いときは申込締切までに取り消してください。",
                title=title, when=jst(starts))), site_path("staffvol.show", activity_id=activity.id))
    return result


def leave_for_deletion(user) -> int:
    """An account being deleted gives up its seats and places in line for activities not yet started (the next
    waiting person moves up) and its calendar address. Past sign-ups stay for the department's records."""
    from ..models import CalendarFeed

    now = utcnow()
    rows = list(db.session.scalars(
        select(StaffSignup).join(StaffActivity)
        .where(StaffSignup.user_id == user.id, StaffSignup.status.in_(HOLDING), StaffActivity.starts_at > now)))
    for signup in rows:
        source = signup.status
        _claim(signup, source, S.CANCELLED.value, cancelled_at=now)
        if source == S.CONFIRMED.value:
            _free_seat(signup.activity_id)
            promote_waiting(signup.activity_id)
    db.session.execute(delete(CalendarFeed).where(CalendarFeed.user_id == user.id))
    return len(rows)
