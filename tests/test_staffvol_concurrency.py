"""1課1ボランティア seats under concurrency, on SQLite and on PostgreSQL (whichever the app fixture gives).

200 staff members of various departments, each logged in through the real /login form in a session of their own,
sign up for an activity with 20 seats at the same moment — real parallel HTTP requests at a running werkzeug server
(half of them as htmx requests, half as plain form posts). Exactly 20 get a seat and 180 wait, in one unbroken line;
nothing fails, nothing is doubled. Five of the seated cancel at once: exactly the first five who waited move up and
are told, and the rest of the line keeps its order. And one person firing ten sign-ups at once for ten activities
at the same hour gets exactly one of them (the per-person row lock and the overlap rule), the other nine 409.

No retry anywhere: on SQLite every write request begins IMMEDIATE, on PostgreSQL the conditional UPDATE of the
activity row and the row lock on the person make the others wait; either way the app must simply get it right.
The HTTP helpers (Browser, InFlight, Server, _run_together) are those of tests/test_applications_concurrency.py.
"""

from __future__ import annotations

from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from kyodo_match.extensions import db
from kyodo_match.models import Department, Notification, Role, StaffActivity, StaffSignup, User, utcnow
from kyodo_match.staffvol import signups
from tests.factories import make_staff_activity, make_user
from tests.test_applications_concurrency import Browser, Server, _run_together, running

N_PEOPLE = 200
SEATS = 20
N_CANCELS = 5
N_OVERLAPPING = 10
LOGIN_WORKERS = 8  # logging in before the barrier: a few at a time is enough (argon2 is cheap in testing)
SIGNUP_ROUTE = "/ikka/{id}/signup"
CANCEL_ROUTE = "/ikka/{id}/cancel"
HTMX = {"HX-Request": "true"}
PROMOTED_WORDS = "繰り上が"


@pytest.fixture
def server(app):
    with running(app, "/ikka/<int:activity_id>/signup", "/ikka/<int:activity_id>/cancel") as srv:
        yield srv


@dataclass
class Crowd:
    activity_id: int
    user_ids: list[int]
    emails: list[str]


@pytest.fixture
def crowd(app) -> Crowd:
    """An activity of 環境課 for all staff with 20 seats, and 200 staff members spread over every department."""
    departments = db.session.scalars(select(Department.id).order_by(Department.id)).all()
    assert len(departments) >= 5, "the reference data should have several departments"
    people = [make_user(Role.STAFF, department_id=departments[i % len(departments)], commit=False)
              for i in range(N_PEOPLE)]
    activity = make_staff_activity("環境課", capacity=SEATS, title="長良川河川敷の一斉清掃", commit=False)
    db.session.commit()
    return Crowd(activity.id, [p.id for p in people], [p.email for p in people])


def _log_in_all(server: Server, emails: list[str]) -> list[Browser]:
    """One session per e-mail, each through the real /login form (a few at a time, before any barrier)."""
    with ThreadPoolExecutor(max_workers=LOGIN_WORKERS) as pool:
        return list(pool.map(lambda email: Browser(server.url).log_in(email), emails))


def _post(session: Browser, route: str, activity_id: int, htmx: bool) -> tuple[int, str]:
    headers = {"X-CSRFToken": session.csrf} | (HTMX if htmx else {})
    return session.request("POST", route.format(id=activity_id), {}, headers=headers)


def _assert_answers(answers: list, allowed=(200, 303)) -> None:
    errors = [a for a in answers if isinstance(a, BaseException)]
    assert not errors, errors[:3]
    statuses = Counter(status for status, _page in answers)
    assert not [s for s in statuses if s >= 500], f"server errors: {statuses}"
    assert set(statuses) <= set(allowed), f"unexpected answers: {statuses}"


def _rows(activity_id: int) -> list[StaffSignup]:
    db.session.commit()  # end the test's own transaction: read what the requests committed
    db.session.expire_all()
    return list(db.session.scalars(select(StaffSignup).where(StaffSignup.activity_id == activity_id)))


def _sign_up_all_at_once(crowd: Crowd, server: Server) -> dict[int, Browser]:
    """200 sessions, 200 sign-ups released together; returns the sessions by user id."""
    sessions = _log_in_all(server, crowd.emails)
    server.in_flight.peak = 0
    # Even ones as htmx (200 and the seat panel), odd ones as a plain form post (303 back to the page).
    answers = _run_together([(lambda s=s, htmx=(i % 2 == 0): _post(s, SIGNUP_ROUTE, crowd.activity_id, htmx))
                             for i, s in enumerate(sessions)])
    _assert_answers(answers)
    assert server.in_flight.peak >= 5, f"the requests did not overlap (at most {server.in_flight.peak} at once)"
    by_user = dict(zip(crowd.user_ids, sessions, strict=True))
    rows = {r.user_id: r for r in _rows(crowd.activity_id)}
    for i, (user_id, (status, page)) in enumerate(zip(crowd.user_ids, answers, strict=True)):
        if i % 2 == 0:
            assert status == 200 and 'id="seat-panel"' in page, (status, page[:300])
            assert "<html" not in page, "an htmx sign-up answered with the whole page instead of the panel"
            said = "参加を申し込んでいます" if rows[user_id].status == "confirmed" else "キャンセル待ちの"
            assert said in page, f"the panel of a {rows[user_id].status} person does not say {said}"
        else:
            assert status == 303, status
    return by_user


def _assert_twenty_seated_and_the_rest_in_line(crowd: Crowd) -> list[StaffSignup]:
    """The outcome of 200 sign-ups for 20 seats; returns the waiting list in its order."""
    rows = _rows(crowd.activity_id)
    assert len(rows) == N_PEOPLE, "a sign-up was lost or doubled"
    assert len({r.user_id for r in rows}) == N_PEOPLE, "someone has two rows"
    assert db.session.scalar(select(func.count(StaffSignup.id))) == N_PEOPLE
    assert Counter(r.status for r in rows) == {"confirmed": SEATS, "waitlisted": N_PEOPLE - SEATS}
    assert db.session.get(StaffActivity, crowd.activity_id).taken == SEATS
    departments = dict(db.session.execute(select(User.id, User.department_id).where(User.id.in_(crowd.user_ids))).all())
    assert all(r.department_id == departments[r.user_id] for r in rows), "a sign-up counts the wrong department"
    seated = signups.confirmed(crowd.activity_id)
    waiting = signups.waiting_list(crowd.activity_id)
    assert len(seated) == SEATS and len(waiting) == N_PEOPLE - SEATS
    assert all(s.confirmed_at is not None and s.waitlisted_at is None for s in seated)
    assert all(s.waitlisted_at is not None and s.confirmed_at is None for s in waiting)
    # One unbroken line: 1, 2, … 180, each place held by one person.
    assert [signups.waiting_position(s) for s in waiting] == list(range(1, N_PEOPLE - SEATS + 1))
    # Nobody was put in line while a seat was still free: every waitlisting came after the last seat was taken,
    # so the line's order (waitlisted_at) is the order in which people found the activity full.
    last_seat = max(s.confirmed_at for s in seated)
    first_in_line = min(s.waitlisted_at for s in waiting)
    assert last_seat <= first_in_line, (
        f"a seat was stamped {last_seat} but someone was already waiting since {first_in_line}")
    assert not db.session.scalars(select(Notification).where(Notification.message.contains(PROMOTED_WORDS))).all()
    return waiting


def test_two_hundred_simultaneous_sign_ups_over_http_seat_exactly_twenty(crowd, server):
    _sign_up_all_at_once(crowd, server)
    _assert_twenty_seated_and_the_rest_in_line(crowd)


def test_five_simultaneous_cancellations_over_http_promote_exactly_the_first_five_waiting(crowd, server):
    sessions = _sign_up_all_at_once(crowd, server)
    waiting_before = [s.user_id for s in _assert_twenty_seated_and_the_rest_in_line(crowd)]
    leaving = [s.user_id for s in signups.confirmed(crowd.activity_id)][-N_CANCELS:]
    db.session.commit()
    server.in_flight.peak = 0
    answers = _run_together([(lambda s=sessions[u], htmx=(i % 2 == 0): _post(s, CANCEL_ROUTE, crowd.activity_id, htmx))
                             for i, u in enumerate(leaving)])
    _assert_answers(answers)
    assert server.in_flight.peak >= 2, f"the cancellations did not overlap (at most {server.in_flight.peak})"

    rows = {r.user_id: r for r in _rows(crowd.activity_id)}
    assert len(rows) == N_PEOPLE
    assert [rows[u].status for u in leaving] == ["cancelled"] * N_CANCELS
    assert all(rows[u].cancelled_at is not None for u in leaving)
    promoted, rest = waiting_before[:N_CANCELS], waiting_before[N_CANCELS:]
    assert [rows[u].status for u in promoted] == ["confirmed"] * N_CANCELS, "not the first five who waited"
    assert all(rows[u].status == "waitlisted" for u in rest)
    assert Counter(r.status for r in rows.values()) == {
        "confirmed": SEATS, "waitlisted": N_PEOPLE - SEATS - N_CANCELS, "cancelled": N_CANCELS}
    assert db.session.get(StaffActivity, crowd.activity_id).taken == SEATS
    still_waiting = signups.waiting_list(crowd.activity_id)
    assert [s.user_id for s in still_waiting] == rest, "the rest of the waiting list changed its order"
    assert [signups.waiting_position(s) for s in still_waiting] == list(range(1, len(rest) + 1))
    # Each promoted person was told once; nobody else was told they moved up.
    told = Counter(db.session.scalars(select(Notification.user_id).where(
        Notification.message.contains(PROMOTED_WORDS))).all())
    assert told == dict.fromkeys(promoted, 1), told


def test_one_person_signing_up_for_ten_overlapping_activities_at_once_gets_exactly_one(app, server):
    person = make_user(Role.STAFF, department_id=db.session.scalar(
        select(Department.id).where(Department.name == "税務課")), commit=False)
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    # Ten activities of different departments starting 10 minutes apart, 2 hours each: every two overlap.
    names = db.session.scalars(select(Department.name).order_by(Department.id).limit(N_OVERLAPPING)).all()
    activities = [make_staff_activity(names[i % len(names)], starts_at=start + timedelta(minutes=10 * i), hours=2,
                                      capacity=5, title=f"同じ時間帯の活動{i + 1}", commit=False)
                  for i in range(N_OVERLAPPING)]
    db.session.commit()
    ids = [a.id for a in activities]
    sessions = _log_in_all(server, [person.email] * N_OVERLAPPING)  # ten sessions of the same person
    server.in_flight.peak = 0
    answers = _run_together([(lambda s=s, a=a, htmx=(i % 2 == 0): _post(s, SIGNUP_ROUTE, a, htmx))
                             for i, (s, a) in enumerate(zip(sessions, ids, strict=True))])
    _assert_answers(answers, allowed=(200, 303, 409))
    assert server.in_flight.peak >= 2, f"the sign-ups did not overlap (at most {server.in_flight.peak})"
    statuses = Counter(status for status, _page in answers)
    assert statuses[409] == N_OVERLAPPING - 1 and statuses[200] + statuses[303] == 1, statuses
    refusals = [page for status, page in answers if status == 409]
    assert all("同じ時間帯" in page for page in refusals), "a 409 does not name the overlap as the reason"
    won = ids[next(i for i, (status, _page) in enumerate(answers) if status != 409)]

    db.session.commit()
    held = db.session.execute(select(StaffSignup.activity_id, StaffSignup.status).where(
        StaffSignup.user_id == person.id, StaffSignup.status.in_(signups.HOLDING))).all()
    assert [tuple(h) for h in held] == [(won, "confirmed")], held
    taken = dict(db.session.execute(
        select(StaffActivity.id, StaffActivity.taken).where(StaffActivity.id.in_(ids))).all())
    assert taken == {i: (1 if i == won else 0) for i in ids}, "a refused sign-up kept a seat"
