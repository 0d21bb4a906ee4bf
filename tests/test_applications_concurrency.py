"""Capacity under concurrency (SECURITY.md trap 3), on SQLite and on PostgreSQL (whichever the app fixture gives).

50 approved applications to a project needing 5 individuals; 50 confirmations fired at the same moment — as real
parallel HTTP requests at a running werkzeug server, each from its own logged-in session, and once more in the
service layer with one thread per confirmation. Exactly 5 are confirmed and 45 waitlisted, nothing fails, nothing
is lost, and the waiting list keeps its order: withdrawing two confirmed people at once promotes exactly the first
two who waited.

No retry anywhere: on SQLite every write request begins IMMEDIATE (database.write_intent), on PostgreSQL the
conditional UPDATE's row lock makes the others wait; either way the app must simply get it right.
"""

from __future__ import annotations

import http.cookiejar
import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from kyodo_match.applications import flow, services
from kyodo_match.database import write_intent
from kyodo_match.extensions import db
from kyodo_match.models import Application, ApplicationTransition, Department, Notification, Project, Role, User
from tests.conftest import TOKEN_RE
from tests.factories import PASSWORD, make_project, make_user, make_volunteer_profile

N_APPLICANTS = 50
PLACES = 5
TIMEOUT = 90  # seconds: one request, one barrier wait, one thread join (never reached when things work)
STEP_ROUTE = "/applications/{id}/step"
WAITLIST_RE = re.compile(r'<ol class="[^"]*applicant-waitlist[^"]*">(.*?)</ol>', re.S)
ROW_RE = re.compile(r'id="application-row-(\d+)"')


@dataclass
class Crowd:
    project_id: int
    staff_id: int
    staff_email: str
    application_ids: list[int]


@pytest.fixture
def crowd(app) -> Crowd:
    """A recruiting project of 環境課 needing 5 individuals, and 50 volunteers the centre has approved."""
    dept_id = db.session.scalar(select(Department.id).where(Department.name == "環境課"))
    staff = make_user(Role.STAFF, department_id=dept_id)
    centre = make_user(Role.COORDINATOR)
    project = make_project(status="recruiting", needed_individuals=PLACES, needed_groups=0, contact_user_id=staff.id,
                           title="長良川河川敷の一斉清掃")
    ids = []
    for _ in range(N_APPLICANTS):
        volunteer = make_volunteer_profile(commit=False).user
        application = services.apply_to_project(project, volunteer, {"message": "参加したいです"},
                                                today=project.recruit_from)
        flow.move(application, "approved", centre)
        ids.append(application.id)
    db.session.commit()
    return Crowd(project.id, staff.id, staff.email, ids)


def _statuses(ids) -> dict[int, str]:
    db.session.commit()  # end the test's own transaction: read what the others committed
    return dict(db.session.execute(select(Application.id, Application.status).where(Application.id.in_(ids))).all())


def _assert_five_confirmed_and_the_rest_in_line(crowd: Crowd) -> list[Application]:
    """The outcome both kinds of test must reach; returns the waiting list in its order."""
    statuses = _statuses(crowd.application_ids)
    assert len(statuses) == N_APPLICANTS, "an application was lost"
    assert db.session.scalar(select(func.count(Application.id))) == N_APPLICANTS
    assert Counter(statuses.values()) == {"confirmed": PLACES, "waitlisted": N_APPLICANTS - PLACES}
    project = db.session.get(Project, crowd.project_id)
    assert project.taken_individuals == PLACES
    confirmed = db.session.scalars(select(Application).where(Application.status == "confirmed")).all()
    waiting = db.session.scalars(select(Application).where(Application.status == "waitlisted")
                                 .order_by(Application.waitlisted_at, Application.id)).all()
    assert all(a.confirmed_at is not None and a.waitlisted_at is None for a in confirmed)
    assert all(a.waitlisted_at is not None and a.confirmed_at is None for a in waiting)
    # Nobody was put on the waiting list while a place was still free: every waitlisting came after the last
    # confirmation, so the list's order (waitlisted_at) is the order in which people found the project full.
    assert max(a.confirmed_at for a in confirmed) <= min(a.waitlisted_at for a in waiting)
    # Each step was recorded exactly once, and its record is no earlier than the time it stamped.
    steps = db.session.execute(select(ApplicationTransition.application_id, ApplicationTransition.to_status,
                                      ApplicationTransition.created_at)
                               .where(ApplicationTransition.to_status.in_(["confirmed", "waitlisted"]))).all()
    assert Counter(s.to_status for s in steps) == {"confirmed": PLACES, "waitlisted": N_APPLICANTS - PLACES}
    stamped = {a.id: a.waitlisted_at for a in waiting}
    assert all(s.created_at >= stamped[s.application_id] for s in steps if s.to_status == "waitlisted")
    # And each applicant was told the right thing, once.
    for application, words in [(a, "参加が確定しました") for a in confirmed] + [(a, "キャンセル待ち") for a in waiting]:
        told = db.session.scalars(select(Notification.message).where(
            Notification.user_id == application.volunteer_user_id, Notification.message.contains(words))).all()
        assert len(told) == 1, (application.status, told)
    return waiting


def _assert_the_first_two_waiting_were_promoted(crowd: Crowd, waiting_before: list[int], withdrawn: list[int]):
    statuses = _statuses(crowd.application_ids)
    assert len(statuses) == N_APPLICANTS
    assert [statuses[i] for i in withdrawn] == ["withdrawn", "withdrawn"]
    assert [statuses[i] for i in waiting_before[:2]] == ["confirmed", "confirmed"]
    assert all(statuses[i] == "waitlisted" for i in waiting_before[2:])
    assert Counter(statuses.values()) == {"confirmed": PLACES, "waitlisted": N_APPLICANTS - PLACES - 2,
                                          "withdrawn": 2}
    assert db.session.get(Project, crowd.project_id).taken_individuals == PLACES
    still_waiting = db.session.scalars(select(Application.id).where(Application.status == "waitlisted")
                                       .order_by(Application.waitlisted_at, Application.id)).all()
    assert still_waiting == waiting_before[2:], "the rest of the waiting list changed its order"
    for app_id in waiting_before[:2]:
        volunteer_id = db.session.get(Application, app_id).volunteer_user_id
        told = db.session.scalars(select(Notification.message).where(
            Notification.user_id == volunteer_id, Notification.message.contains("キャンセル待ちから参加が確定"))).all()
        assert len(told) == 1


def _run_together(jobs) -> list:
    """Run each job in its own thread, all released at once by a barrier; return results (or exceptions)."""
    barrier = threading.Barrier(len(jobs), timeout=TIMEOUT)
    results: list = [None] * len(jobs)

    def worker(i, job):
        try:
            barrier.wait()
            results[i] = job()
        except BaseException as e:  # noqa: BLE001  (reported by the test, never swallowed)
            results[i] = e

    threads = [threading.Thread(target=worker, args=(i, job), name=f"job-{i}", daemon=True)
               for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=TIMEOUT)
    assert not any(t.is_alive() for t in threads), "a request hung"
    return results


# --- over HTTP, at a running server ---------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 303 after a step is an answer, not something to follow


class Browser:
    """One HTTP session (its own cookie jar), speaking to the live server on the loopback only."""

    def __init__(self, base_url: str):
        assert base_url.startswith("http://127.0.0.1:")
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), _NoRedirect())
        self.csrf = ""

    def request(self, method: str, path: str, data: dict | None = None, headers: dict | None = None):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        req = urllib.request.Request(self.base_url + path, data=body, method=method,  # noqa: S310 (loopback http)
                                     headers=headers or {})
        if body is not None:
            req.add_header("Content-Type", "application/x-www-form-urlencoded")
        try:
            with self.opener.open(req, timeout=TIMEOUT) as response:
                return response.status, response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode("utf-8", "replace")

    def token(self, path: str = "/privacy") -> str:
        status, page = self.request("GET", path)
        match = TOKEN_RE.search(page)
        assert status == 200 and match, f"no CSRF token on {path} ({status})"
        return match.group(1)

    def log_in(self, email: str) -> Browser:
        """Through the real /login form; then the session's own CSRF token for X-CSRFToken."""
        status, page = self.request("POST", "/login", {"email": email, "password": PASSWORD,
                                                       "csrf_token": self.token("/login")})
        assert status == 303, f"login failed ({status}): {page[:300]}"
        self.csrf = self.token()
        return self

    def step(self, app_id: int, target: str, reason: str = "") -> int:
        status, _page = self.request("POST", STEP_ROUTE.format(id=app_id), {"target": target, "reason": reason},
                                     headers={"X-CSRFToken": self.csrf})
        return status


class InFlight:
    """WSGI middleware counting the requests being handled at the same moment (the test proves they overlapped)."""

    def __init__(self, wsgi_app):
        self.wsgi_app, self.lock, self.now, self.peak = wsgi_app, threading.Lock(), 0, 0

    def __call__(self, environ, start_response):
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            return self.wsgi_app(environ, start_response)  # Flask builds the whole body here (no streaming)
        finally:
            with self.lock:
                self.now -= 1


@dataclass
class Server:
    url: str
    in_flight: InFlight


@contextmanager
def running(app, *rules: str):
    """The test's app served by werkzeug, threaded, on 127.0.0.1 and a free port (as the browser tests do),
    counting the requests in flight; fails at once when one of ``rules`` (the routes under test) is missing."""
    present = {r.rule for r in app.url_map.iter_rules()}
    for rule in rules:
        if rule not in present:
            pytest.fail(f"POST {rule} is not there yet")
    db.session.commit()
    in_flight = InFlight(app)
    srv = make_server("127.0.0.1", 0, in_flight, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, name="concurrency-server", daemon=True)
    thread.start()
    try:
        yield Server(f"http://127.0.0.1:{srv.server_port}", in_flight)
    finally:
        srv.shutdown()
        thread.join(timeout=10)
        srv.server_close()


@pytest.fixture
def server(app):
    with running(app, "/applications/<int:app_id>/step") as srv:
        yield srv


def _assert_answers(statuses: list) -> None:
    errors = [s for s in statuses if isinstance(s, BaseException)]
    assert not errors, errors[:3]
    assert not [s for s in statuses if s >= 500], f"server errors: {Counter(statuses)}"
    assert all(s in (200, 204, 303) for s in statuses), f"refused steps: {Counter(statuses)}"


def _confirm_all_at_once(crowd: Crowd, server: Server) -> list[Browser]:
    sessions = [Browser(server.url).log_in(crowd.staff_email) for _ in range(N_APPLICANTS)]
    server.in_flight.peak = 0
    statuses = _run_together([
        (lambda s=s, app_id=app_id: s.step(app_id, "confirmed"))
        for s, app_id in zip(sessions, crowd.application_ids, strict=True)])
    _assert_answers(statuses)
    assert server.in_flight.peak >= 5, f"the requests did not overlap (at most {server.in_flight.peak} at once)"
    return sessions


def test_fifty_simultaneous_confirmations_over_http_confirm_exactly_five(crowd, server):
    sessions = _confirm_all_at_once(crowd, server)
    waiting = [a.id for a in _assert_five_confirmed_and_the_rest_in_line(crowd)]
    # The department's list shows the waiting list in that same order (1番目, 2番目 …).
    status, page = sessions[0].request("GET", f"/issues/{crowd.project_id}/applicants")
    assert status == 200
    shown = WAITLIST_RE.search(page)
    assert shown, "no waiting list on the applicants page"
    assert [int(i) for i in ROW_RE.findall(shown.group(1))] == waiting


def test_two_simultaneous_withdrawals_over_http_promote_exactly_the_first_two_waiting(crowd, server):
    sessions = _confirm_all_at_once(crowd, server)
    waiting = [a.id for a in _assert_five_confirmed_and_the_rest_in_line(crowd)]
    confirmed = sorted(i for i, s in _statuses(crowd.application_ids).items() if s == "confirmed")[:2]
    _assert_answers(_run_together([
        (lambda s=s, app_id=app_id: s.step(app_id, "withdrawn", "体調不良のため辞退の連絡がありました"))
        for s, app_id in zip(sessions[:2], confirmed, strict=True)]))
    _assert_the_first_two_waiting_were_promoted(crowd, waiting, confirmed)


# --- in the service layer, one thread (its own app context and session) per step -----------------------------

def _service_step(app, app_id: int, staff_id: int, target: str, reason: str = ""):
    def job():
        # Like a worker's write request: its own context and session, BEGIN IMMEDIATE on SQLite. No retry.
        with app.app_context(), write_intent():
            try:
                application = db.session.get(Application, app_id)
                flow.move(application, target, db.session.get(User, staff_id), reason=reason)
                db.session.commit()
                return application.status
            finally:
                db.session.remove()

    return job


def test_fifty_simultaneous_confirmations_in_the_service_layer_confirm_exactly_five(app, crowd):
    db.session.commit()
    results = _run_together([_service_step(app, i, crowd.staff_id, "confirmed") for i in crowd.application_ids])
    assert not [r for r in results if isinstance(r, BaseException)], results
    assert Counter(results) == {"confirmed": PLACES, "waitlisted": N_APPLICANTS - PLACES}
    waiting = [a.id for a in _assert_five_confirmed_and_the_rest_in_line(crowd)]

    confirmed = sorted(i for i, s in _statuses(crowd.application_ids).items() if s == "confirmed")[:2]
    db.session.commit()
    results = _run_together([_service_step(app, i, crowd.staff_id, "withdrawn", "家庭の事情で辞退")
                             for i in confirmed])
    assert results == ["withdrawn", "withdrawn"], results
    _assert_the_first_two_waiting_were_promoted(crowd, waiting, confirmed)
