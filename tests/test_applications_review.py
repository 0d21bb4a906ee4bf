"""The centre's queue, a project's applicants and invitations, attendance and hours, and the two summaries."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kyodo_match.applications import flow, services
from kyodo_match.extensions import db
from kyodo_match.models import (
    ActivityField,
    ActivityRecord,
    Application,
    Department,
    District,
    Notification,
    Role,
    utcnow,
)
from tests.factories import make_group, make_project, make_user, make_volunteer_profile

TODAY = date.today()
HX = {"HX-Request": "true"}


def _dept(name="環境課") -> int:
    return db.session.scalar(select(Department.id).where(Department.name == name))


def _staff(name="環境課"):
    return make_user(Role.STAFF, department_id=_dept(name))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _results(response) -> str:
    """Only the queue's results (the stale and no-applicant sections below repeat some names)."""
    html = _text(response)
    start = html.index('id="application-queue-results"')
    end = html.index('id="stale-heading"') if 'id="stale-heading"' in html else len(html)
    return html[start:end]


_names = iter(range(1, 10_000))


def _entry(project, *, status="applied", days=0, name=None, group=None) -> Application:
    """An application in ``status`` whose last step was ``days`` ago (written directly: the queue only reads)."""
    if group is not None:
        key = {"group_id": group.id}
    else:
        key = {"volunteer_user_id": make_user(Role.VOLUNTEER, display_name=name or f"応募者{next(_names)}").id}
    when = utcnow() - timedelta(days=days, minutes=5)
    app = Application(project_id=project.id, status=status, last_action_at=when, created_at=when,
                      waitlisted_at=when if status == "waitlisted" else None,
                      origin="invitation" if status == "invited" else "application", **key)
    db.session.add(app)
    db.session.commit()
    return app


def _applied(project, volunteer=None):
    app = services.apply_to_project(project, volunteer or make_volunteer_profile().user, {}, today=TODAY)
    db.session.commit()
    return app


# --- the queue --------------------------------------------------------------------------------------------------

def test_the_queue_lists_open_applications_and_invitations_only_oldest_first(client, login_as):
    project = make_project(status="recruiting", needed_individuals=10)
    open_names = {"applied": "あ応募", "reviewing": "い審査", "approved": "う承認", "invited": "え招待",
                  "waitlisted": "お待ち"}
    for i, (status, name) in enumerate(open_names.items()):
        _entry(project, status=status, name=name, days=10 - i)
    for status in ("declined", "withdrawn", "confirmed", "expired", "invitation_declined", "completed"):
        _entry(project, status=status, name=f"閉じた{status}")
    login_as(Role.COORDINATOR)
    response = client.get("/applications/queue")
    assert response.status_code == 200
    results = _results(response)
    positions = [results.index(name) for name in open_names.values()]
    assert positions == sorted(positions)  # oldest last step first
    assert "閉じた" not in results and "5件" in results
    assert 'hx-post="/applications/' in results and "承認する" in results and "見送る" in results
    assert 'hx-target="#application-row-' in results


@pytest.mark.parametrize("role", [Role.STAFF, Role.VOLUNTEER, Role.GROUP_REP])
def test_the_queue_is_for_the_centre_only(client, login_as, role):
    login_as(role, department_id=_dept() if role == Role.STAFF else None)
    assert client.get("/applications/queue").status_code == 403


def test_anonymous_visitors_are_sent_to_login_from_the_queue(client):
    response = client.get("/applications/queue")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_the_department_filter_narrows_the_queue(client, login_as):
    _entry(make_project(status="recruiting", title="環境の事業"), name="環境さん")
    _entry(make_project("秘書課", status="recruiting", title="秘書の事業"), name="秘書さん")
    login_as(Role.COORDINATOR)
    results = _results(client.get(f"/applications/queue?department={_dept('秘書課')}"))
    assert "秘書さん" in results and "環境さん" not in results


def test_the_district_filter_keeps_city_wide_projects(client, login_as):
    first, second = db.session.scalars(select(District).order_by(District.id).limit(2)).all()
    here = make_project(status="recruiting", title="ここの事業")
    there = make_project(status="recruiting", title="よその事業")
    everywhere = make_project(status="recruiting", title="全域の事業")
    here.districts, there.districts = [first], [second]
    db.session.commit()
    _entry(here, name="ここさん")
    _entry(there, name="よそさん")
    _entry(everywhere, name="全域さん")
    login_as(Role.COORDINATOR)
    results = _results(client.get(f"/applications/queue?district={first.id}"))
    assert "ここさん" in results and "全域さん" in results and "よそさん" not in results


def test_the_field_filter_narrows_the_queue(client, login_as):
    welfare, other = db.session.scalars(select(ActivityField).order_by(ActivityField.code).limit(2)).all()
    a = make_project(status="recruiting", title="福祉の事業")
    b = make_project(status="recruiting", title="ほかの事業")
    a.fields, b.fields = [welfare], [other]
    db.session.commit()
    _entry(a, name="福祉さん")
    _entry(b, name="ほかさん")
    login_as(Role.COORDINATOR)
    results = _results(client.get(f"/applications/queue?field={welfare.code}"))
    assert "福祉さん" in results and "ほかさん" not in results


@pytest.mark.parametrize(("age", "shown"), [(3, {"五日", "十日", "三週"}), (7, {"十日", "三週"}), (14, {"三週"})])
def test_the_age_filter_counts_days_since_the_last_step(client, login_as, age, shown):
    project = make_project(status="recruiting", needed_individuals=10)
    names = {"一日": 1, "五日": 5, "十日": 10, "三週": 21}
    for name, days in names.items():
        _entry(project, name=f"{name}さん", days=days)
    login_as(Role.COORDINATOR)
    results = _results(client.get(f"/applications/queue?age={age}"))
    assert {n for n in names if f"{n}さん" in results} == shown


def test_an_unknown_filter_value_is_explained_not_an_error(client, login_as):
    _entry(make_project(status="recruiting"), name="だれかさん")
    login_as(Role.COORDINATOR)
    response = client.get("/applications/queue?age=5&department=abc&page=-3")
    assert response.status_code == 422
    assert "だれかさん" in _results(response) and "外して表示しています" in _text(response)


def test_stale_items_and_recruiting_projects_without_applicants_have_their_sections(client, login_as):
    busy = make_project(status="recruiting", title="応募のある事業")
    _entry(busy, name="止まっているさん", days=9)
    _entry(busy, name="さっきさん", days=1)
    make_project(status="recruiting", title="だれも来ない事業")
    make_project(title="下書きの事業")
    login_as(Role.COORDINATOR)
    html = _text(client.get("/applications/queue"))
    stale = html[html.index('id="stale-heading"'):html.index('id="unasked-heading"')]
    unasked = html[html.index('id="unasked-heading"'):]
    assert "7日以上動きのないもの" in stale and "止まっているさん" in stale and "さっきさん" not in stale
    assert "応募がまだない公募中の事業" in unasked and "だれも来ない事業" in unasked
    assert "応募のある事業" not in unasked and "下書きの事業" not in unasked


def test_the_queue_results_are_a_fragment_for_htmx_and_a_page_otherwise(client, login_as):
    _entry(make_project(status="recruiting"), name="だれかさん")
    login_as(Role.COORDINATOR)
    page = client.get("/applications/queue?age=")
    fragment = client.get("/applications/queue?age=", headers=HX)
    for response in (page, fragment):
        assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" in _text(page) and 'hx-push-url="true"' in _text(page) and "stale-heading" in _text(page)
    body = _text(fragment).strip()
    assert body.startswith('<div id="application-queue-results"') and "<html" not in body
    assert "だれかさん" in body and "stale-heading" not in body


def test_the_coordinator_approves_from_the_queue_and_the_row_swaps(client, login_as):
    app = _applied(make_project(status="recruiting"))
    login_as(Role.COORDINATOR)
    response = client.post(f"/applications/{app.id}/step", data={"target": "approved"},
                           headers=HX | {"HX-Target": f"application-row-{app.id}"})
    assert response.status_code == 200
    assert _text(response).lstrip().startswith(f'<article class="card app-row" id="application-row-{app.id}"')
    db.session.refresh(app)
    assert app.status == "approved"
    assert f'id="application-row-{app.id}"' in _results(client.get("/applications/queue?status=approved"))
    assert f'id="application-row-{app.id}"' not in _results(client.get("/applications/queue?status=applied"))


def test_the_queue_makes_the_same_number_of_queries_for_3_and_20_applications(client, login_as, queries):
    login_as(Role.COORDINATOR)
    rep = make_user(Role.GROUP_REP)
    counts = []
    for n in (3, 20):
        project = make_project(status="recruiting", needed_individuals=30, title=f"{n}件の事業")
        for i in range(n - 1):
            _entry(project, status=("applied", "reviewing", "invited", "approved")[i % 4], days=8 + i % 5)
        _entry(project, status="invited", group=make_group(f"招待された会{n}", representative=rep), days=12)
        client.get("/applications/queue")
        with queries() as q:
            assert client.get("/applications/queue").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


# --- a project's applicants ---------------------------------------------------------------------------------------

def test_the_applicants_page_is_for_the_department_and_the_centre(client, login, login_as):
    project = make_project(status="recruiting")
    login(_staff("秘書課"))
    assert client.get(f"/issues/{project.id}/applicants").status_code == 403
    assert client.get("/issues/999999/applicants").status_code == 404
    login(_staff())
    assert client.get(f"/issues/{project.id}/applicants").status_code == 200
    login_as(Role.COORDINATOR)
    assert client.get(f"/issues/{project.id}/applicants").status_code == 200
    login_as(Role.VOLUNTEER)
    assert client.get(f"/issues/{project.id}/applicants").status_code == 403


def test_capacity_after_confirmations_and_the_waiting_list_in_order(client, login):
    project = make_project(status="recruiting", needed_individuals=2, needed_groups=1)
    centre, staff = make_user(Role.COORDINATOR), _staff()
    people = [make_volunteer_profile(make_user(Role.VOLUNTEER, display_name=f"参加者{i}")).user for i in range(4)]
    apps = [_applied(project, person) for person in people]
    for a in apps:
        flow.move(a, "approved", centre)
    db.session.commit()
    login(staff)
    for a in apps:  # the department confirms from the applicants page, through the rows
        response = client.post(f"/applications/{a.id}/step", data={"target": "confirmed"},
                               headers=HX | {"HX-Target": f"application-row-{a.id}"})
        assert response.status_code == 200
    html = _text(client.get(f"/issues/{project.id}/applicants"))
    assert "確定 2 / 募集 2" in html and "キャンセル待ち 2" in html and "確定 0 / 募集 1" in html
    waitlist = html[html.index('id="applicants-waitlisted"'):]
    assert waitlist.index("1番目") < waitlist.index("参加者2") < waitlist.index("2番目") < waitlist.index("参加者3")
    confirmed = html[html.index('id="applicants-confirmed"'):html.index('id="applicants-waitlisted"')]
    assert "参加者0" in confirmed and "参加者1" in confirmed and "連絡先を見る" in confirmed
    assert f'href="/applications/{apps[0].id}#contacts"' in confirmed
    fragment = client.get(f"/issues/{project.id}/applicants", headers=HX)
    assert _text(fragment).lstrip().startswith('<div id="applicant-board"')
    assert 'id="applicants-waitlisted"' in _text(fragment)  # the board moves cards to their new section
    assert "HX-Request" in fragment.headers["Vary"] and "確定 2 / 募集 2" in _text(fragment)


def test_the_applicants_page_makes_the_same_number_of_queries_for_3_and_20(client, login, queries):
    staff = _staff()
    login(staff)
    rep = make_user(Role.GROUP_REP)
    make_group("まだ招待していない会")  # someone to invite in both rounds
    counts = []
    for n in (3, 20):
        project = make_project(status="recruiting", needed_individuals=30, title=f"{n}人の事業")
        for i in range(n - 1):
            _entry(project, status=("applied", "approved", "confirmed", "waitlisted", "declined")[i % 5])
        _entry(project, status="invited", group=make_group(f"会{n}", representative=rep))
        client.get(f"/issues/{project.id}/applicants")
        with queries() as q:
            assert client.get(f"/issues/{project.id}/applicants").status_code == 200
        counts.append(q.count)
    assert counts[0] == counts[1], counts


# --- invitations --------------------------------------------------------------------------------------------------

def test_the_department_invites_a_volunteer_who_sees_it_and_a_second_invitation_is_409(client, login):
    project = make_project(status="recruiting", title="招待する事業")
    invitee = make_volunteer_profile(make_user(Role.VOLUNTEER, display_name="招かれさん"), real_name="本名 招子").user
    staff = _staff()
    login(staff)
    found = _text(client.get(f"/issues/{project.id}/invite?q=招かれ", headers=HX))
    assert "招かれさん" in found and "本名 招子" not in found
    response = client.post(f"/issues/{project.id}/invite", data={"volunteer_user_id": invitee.id,
                                                                "message": "ぜひ一緒に"})
    assert response.status_code == 303
    invited = db.session.scalar(select(Application).where(Application.volunteer_user_id == invitee.id))
    assert (invited.status, invited.origin, invited.message) == ("invited", "invitation", "ぜひ一緒に")
    again = client.post(f"/issues/{project.id}/invite", data={"volunteer_user_id": invitee.id})
    assert again.status_code == 409
    assert db.session.scalar(select(func.count(Application.id))) == 1
    assert "招かれさん" not in _text(client.get(f"/issues/{project.id}/invite?q=招かれ", headers=HX))
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == invitee.id)).all()
    assert any("招待" in m for m in told)
    login(invitee)
    mine = _text(client.get("/applications/mine"))
    assert "招待する事業" in mine and "招待中" in mine


def test_another_department_cannot_invite_and_an_unverified_group_is_refused(client, login):
    project = make_project(status="recruiting")
    invitee = make_volunteer_profile().user
    login(_staff("秘書課"))
    assert client.post(f"/issues/{project.id}/invite", data={"volunteer_user_id": invitee.id}).status_code == 403
    login(_staff())
    pending = make_group("申請中の会", status="pending")
    response = client.post(f"/issues/{project.id}/invite", data={"group_id": pending.id}, headers=HX)
    assert response.status_code == 422 and "確認済みの団体だけ" in _text(response)
    assert client.post(f"/issues/{project.id}/invite", data={}).status_code == 422
    assert db.session.scalar(select(func.count(Application.id))) == 0


# --- attendance and hours ---------------------------------------------------------------------------------------

def _confirmed_pair(project):
    """A confirmed volunteer and a confirmed group on ``project``."""
    centre, staff = make_user(Role.COORDINATOR), _staff()
    person = _applied(project, make_volunteer_profile(make_user(Role.VOLUNTEER, display_name="出席さん")).user)
    rep = make_user(Role.GROUP_REP)
    group = make_group("出席の会", representative=rep)
    by_group = services.apply_to_project(project, rep, {"group_id": group.id}, today=TODAY)
    for a in (person, by_group):
        flow.move(a, "approved", centre)
        flow.move(a, "confirmed", staff)
    db.session.commit()
    return staff, person, by_group


def test_attendance_is_saved_for_the_day_and_the_record_adds_up(client, login):
    project = make_project(status="recruiting", needed_individuals=2, needed_groups=1)
    staff, person, by_group = _confirmed_pair(project)
    login(staff)
    page = _text(client.get(f"/issues/{project.id}/attendance"))
    assert "出席さん" in page and "出席の会" in page and "参加した人数" in page
    day1, day2 = TODAY - timedelta(days=7), TODAY - timedelta(days=1)
    response = client.post(f"/issues/{project.id}/attendance?date={day1.isoformat()}", data={
        f"attended-{person.id}": "1", f"hours-{person.id}": "2.5",
        f"attended-{by_group.id}": "1", f"hours-{by_group.id}": "３", f"participants-{by_group.id}": "4",
        f"note-{by_group.id}": "雨天のため短縮"})
    assert response.status_code == 303, _text(response)[:2000]
    response = client.post(f"/issues/{project.id}/attendance?date={day2.isoformat()}", data={
        f"attended-{person.id}": "1", f"hours-{person.id}": "1", f"attended-{by_group.id}": "0"})
    assert response.status_code == 303
    records = {(r.application_id, r.activity_date): r for r in db.session.scalars(select(ActivityRecord))}
    assert records[(person.id, day1)].minutes == 150 and records[(by_group.id, day1)].participants == 4
    assert records[(by_group.id, day1)].minutes == 180 and records[(by_group.id, day1)].note == "雨天のため短縮"
    assert records[(by_group.id, day2)].attended is False and records[(by_group.id, day2)].minutes == 0
    html = _text(client.get(f"/issues/{project.id}/attendance?date={day2.isoformat()}"))
    record = html[html.index('id="record-heading"'):]
    assert "記録した日: 2日 ・ 活動時間の合計: 6.5時間" in record
    assert "出席 2日、3.5時間" in record and "出席 1日、3時間" in record


@pytest.mark.parametrize("bad", ["25", "1.25", "-1", "abc", ""])
def test_a_bad_hours_value_is_422_beside_the_line_and_nothing_is_saved(client, login, bad):
    project = make_project(status="recruiting", needed_individuals=2, needed_groups=1)
    staff, person, by_group = _confirmed_pair(project)
    login(staff)
    response = client.post(f"/issues/{project.id}/attendance", data={
        f"attended-{person.id}": "1", f"hours-{person.id}": "2",
        f"attended-{by_group.id}": "1", f"hours-{by_group.id}": bad, f"participants-{by_group.id}": "3"})
    assert response.status_code == 422
    html = _text(response)
    line = html[html.index(f'id="attendance-{by_group.id}"'):]
    assert 'aria-invalid="true"' in line[:line.index("</fieldset>")] and "まだ何も保存されていません" in html
    assert db.session.scalar(select(func.count(ActivityRecord.id))) == 0


def test_attendance_is_for_managers_and_not_for_a_future_day(client, login):
    project = make_project(status="recruiting", needed_individuals=2, needed_groups=1)
    staff, person, _group = _confirmed_pair(project)
    login(_staff("秘書課"))
    assert client.get(f"/issues/{project.id}/attendance").status_code == 403
    login(staff)
    tomorrow = (TODAY + timedelta(days=2)).isoformat()
    response = client.post(f"/issues/{project.id}/attendance?date={tomorrow}",
                           data={f"attended-{person.id}": "1", f"hours-{person.id}": "2"})
    assert response.status_code == 422 and "まだ来ていない日" in _text(response)
    assert db.session.scalar(select(func.count(ActivityRecord.id))) == 0


# --- the two summaries ------------------------------------------------------------------------------------------

def test_the_desk_counts_link_to_the_filtered_queue(client, login_as):
    project = make_project(status="recruiting")
    _entry(project, status="applied")
    _entry(project, status="approved", days=8)
    make_project(status="recruiting", title="だれも来ない事業")
    login_as(Role.COORDINATOR)
    html = _text(client.get("/coordination/"))
    assert "新しい応募: 1件" in html and "承認済みで担当課の確定待ち: 1件" in html
    assert "7日以上動きのないもの: 1件" in html and "応募がまだない公募中の事業: 1件" in html
    assert 'href="/applications/queue?status=approved"' in html and 'href="/applications/queue?age=7"' in html


def test_the_workspace_summary_counts_the_departments_applicants(client, login):
    mine = make_project(status="recruiting", title="うちの事業")
    _entry(mine, status="applied")
    _entry(mine, status="approved")
    _entry(mine, status="approved")
    _entry(mine, status="confirmed")
    _entry(make_project("秘書課", status="recruiting", title="よその事業"), status="approved")
    login(_staff())
    html = _text(client.get("/issues/mine"))
    summary = html[html.index('id="workspace-applications-heading"'):html.index('id="project-workspace"')]
    assert "市民活動センターが確認中: 1件" in summary and "承認済みで担当課の確定待ち: 2件" in summary
    assert "参加が確定: 1件" in summary and "よその事業" not in summary
    assert f'href="/issues/{mine.id}/applicants#applicants-approved"' in summary
    assert re.search(rf'href="/issues/{mine.id}/attendance"', summary)



def test_the_workspace_summary_lists_twenty_projects_but_counts_them_all_in_sql(client, login, queries):
    """The summary box on /issues/mine: the first 20 projects (the department's turn first), the totals and the
    number left out over every project — without fetching them all, so its queries stay the same as projects grow."""
    login(_staff())

    def summary() -> str:
        html = _text(client.get("/issues/mine"))
        return html[html.index('id="workspace-applications-heading"'):html.index('id="project-workspace"')]

    for i in range(3):
        _entry(make_project(status="recruiting", title=f"少ない事業{i}"), status="applied")
    with queries() as few:
        small = summary()
    assert "市民活動センターが確認中: 3件" in small and "ほかに" not in small
    for i in range(22):
        _entry(make_project(status="recruiting", title=f"多い事業{i:02d}"), status="applied")
    urgent = make_project(status="running", title="確定待ちの事業")
    _entry(urgent, status="approved")
    with queries() as many:
        big = summary()
    assert many.count == few.count
    assert "市民活動センターが確認中: 25件" in big and "承認済みで担当課の確定待ち: 1件" in big
    assert big.count('class="application-summary__counts"') == 20 and "ほかに6件の事業があります。" in big
    assert big.index("確定待ちの事業") < big.index("多い事業21")  # the department's turn first, then newest
    assert big.index("多い事業21") < big.index("多い事業20")
