"""1課1ボランティア: seats, the waiting list and its promotion, the overlap rule, the deadline, who may sign up."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest
from sqlalchemy import select

from kyodo_match.errors import Conflict, NotAllowed
from kyodo_match.extensions import db
from kyodo_match.models import Notification, Role, StaffActivity, StaffSignup, utcnow
from kyodo_match.staffvol import signups
from tests.factories import department_id, make_staff_activity, make_user


def staff(dept: str = "税務課"):
    return make_user(Role.STAFF, department_id=department_id(dept))


def _statuses(activity):
    db.session.expire_all()
    return [(s.user_id, s.status) for s in db.session.scalars(
        select(StaffSignup).where(StaffSignup.activity_id == activity.id).order_by(StaffSignup.id))]


def test_seats_then_waiting_list_in_order(app):
    activity = make_staff_activity(capacity=2)
    people = [staff() for _ in range(4)]
    results = []
    for p in people:
        results.append(signups.sign_up(activity, p).status)
        db.session.commit()
    assert results == ["confirmed", "confirmed", "waitlisted", "waitlisted"]
    db.session.refresh(activity)
    assert activity.taken == 2 and activity.seats_left == 0
    waiting = signups.waiting_list(activity.id)
    assert [s.user_id for s in waiting] == [people[2].id, people[3].id]
    assert [signups.waiting_position(s) for s in waiting] == [1, 2]


def test_cancelling_a_seat_promotes_the_first_waiting_and_tells_them(app):
    activity = make_staff_activity(capacity=1, title="安桜山の草刈り")
    first, second, third = staff(), staff(), staff()
    for p in (first, second, third):
        signups.sign_up(activity, p)
        db.session.commit()
    promoted = signups.cancel(signups.signup_of(activity.id, first.id), first)
    db.session.commit()
    assert promoted is not None and promoted.user_id == second.id
    assert dict(_statuses(activity)) == {first.id: "cancelled", second.id: "confirmed", third.id: "waitlisted"}
    assert db.session.get(StaffActivity, activity.id).taken == 1
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == second.id)).all()
    assert len(told) == 1 and "安桜山の草刈り" in told[0] and "繰り上" in told[0]
    assert not db.session.scalars(select(Notification).where(Notification.user_id == third.id)).all()
    assert signups.waiting_position(signups.signup_of(activity.id, third.id)) == 1


def test_leaving_the_waiting_list_frees_no_seat_and_keeps_the_order(app):
    activity = make_staff_activity(capacity=1)
    a, b, c = staff(), staff(), staff()
    for p in (a, b, c):
        signups.sign_up(activity, p)
        db.session.commit()
    assert signups.cancel(signups.signup_of(activity.id, b.id), b) is None
    db.session.commit()
    assert dict(_statuses(activity)) == {a.id: "confirmed", b.id: "cancelled", c.id: "waitlisted"}
    assert signups.waiting_position(signups.signup_of(activity.id, c.id)) == 1


def test_signing_up_again_after_cancelling_goes_to_the_end_of_the_line(app):
    activity = make_staff_activity(capacity=1)
    a, b = staff(), staff()
    signups.sign_up(activity, a)
    signups.sign_up(activity, b)
    db.session.commit()
    signups.cancel(signups.signup_of(activity.id, a.id), a)  # b moves up
    db.session.commit()
    again = signups.sign_up(activity, a)
    db.session.commit()
    assert again.status == "waitlisted"
    assert dict(_statuses(activity)) == {a.id: "waitlisted", b.id: "confirmed"}
    assert len(_statuses(activity)) == 2  # the same row, reused


def test_twice_is_409(app):
    activity = make_staff_activity()
    p = staff()
    signups.sign_up(activity, p)
    db.session.commit()
    with pytest.raises(Conflict, match="すでに申し込んでいます"):
        signups.sign_up(activity, p)


def test_overlapping_times_are_refused_with_the_other_activity_named(app):
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    morning = make_staff_activity(starts_at=start, hours=3, title="午前の河川清掃")
    overlapping = make_staff_activity("農林課", starts_at=start + timedelta(hours=1), hours=2, title="植樹")
    right_after = make_staff_activity("観光課", starts_at=start + timedelta(hours=3), hours=1, title="案内")
    p = staff()
    signups.sign_up(morning, p)
    db.session.commit()
    with pytest.raises(Conflict, match="午前の河川清掃") as refused:
        signups.sign_up(overlapping, p)
    assert refused.value.status == 409
    db.session.rollback()
    assert signups.sign_up(right_after, p).status == "confirmed"  # touching ends are not an overlap
    db.session.commit()
    # a place in a waiting list holds the time too; a cancelled sign-up does not
    signups.cancel(signups.signup_of(morning.id, p.id), p)
    db.session.commit()
    assert signups.sign_up(overlapping, p).status == "confirmed"


def test_a_called_off_activity_does_not_block_the_time(app):
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    first = make_staff_activity(starts_at=start, title="中止になる活動")
    other = make_staff_activity("農林課", starts_at=start, title="別の活動")
    p = staff()
    signups.sign_up(first, p)
    db.session.commit()
    organiser = staff("環境課")
    from kyodo_match.staffvol import activities

    activities.cancel_activity(organiser, first, "雨天のため")
    db.session.commit()
    assert signups.sign_up(other, p).status == "confirmed"
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == p.id)).all()
    assert any("中止" in m and "雨天のため" in m for m in told)


def test_deadline_closes_sign_up_and_self_cancellation(app):
    start = (utcnow() + timedelta(days=3)).replace(microsecond=0)
    deadline = start - timedelta(days=1)
    activity = make_staff_activity(starts_at=start, deadline=deadline)
    p, late = staff(), staff()
    signups.sign_up(activity, p, now=deadline - timedelta(seconds=1))
    db.session.commit()
    with pytest.raises(Conflict, match="締切"):
        signups.sign_up(activity, late, now=deadline)
    with pytest.raises(Conflict, match="主催課に連絡"):
        signups.cancel(signups.signup_of(activity.id, p.id), p, now=deadline)
    # a place in the waiting list may be given up until the start (it frees nothing)
    full = make_staff_activity("農林課", starts_at=start + timedelta(days=1), deadline=deadline, capacity=1)
    signups.sign_up(full, staff(), now=deadline - timedelta(hours=2))
    in_line = signups.sign_up(full, late, now=deadline - timedelta(hours=1))
    db.session.commit()
    assert in_line.status == "waitlisted"
    assert signups.cancel(in_line, late, now=deadline + timedelta(hours=1)) is None
    db.session.commit()
    assert signups.signup_of(full.id, late.id).status == "cancelled"
    # the organiser can still take someone off until the start, and not after
    organiser = staff("環境課")
    signups.cancel(signups.signup_of(activity.id, p.id), organiser, now=start - timedelta(minutes=1))
    db.session.commit()
    signups.sign_up(activity, late, now=deadline - timedelta(hours=1))
    db.session.commit()
    with pytest.raises(Conflict, match="始まった後"):
        signups.cancel(signups.signup_of(activity.id, late.id), organiser, now=start)


def test_department_only_activity_refuses_other_departments(app):
    activity = make_staff_activity(audience="department")
    with pytest.raises(NotAllowed):
        signups.sign_up(activity, staff("税務課"))
    assert signups.sign_up(activity, staff("環境課")).status == "confirmed"
    with pytest.raises(NotAllowed):
        signups.sign_up(activity, make_user(Role.VOLUNTEER))
    with pytest.raises(NotAllowed):  # a staff account without a department
        signups.sign_up(activity, make_user(Role.STAFF))


def test_more_seats_promote_the_waiting_in_order(app):
    from kyodo_match.staffvol import activities

    activity = make_staff_activity(capacity=1)
    people = [staff() for _ in range(3)]
    for p in people:
        signups.sign_up(activity, p)
        db.session.commit()
    organiser = staff("環境課")
    data = {name: getattr(activity, name) for name in activities.FIELDS}
    activities.save_activity(organiser, activity, data | {"capacity": 2})
    db.session.commit()
    assert dict(_statuses(activity)) == {people[0].id: "confirmed", people[1].id: "confirmed",
                                         people[2].id: "waitlisted"}
    from kyodo_match.errors import FieldRefused

    with pytest.raises(FieldRefused) as refused:
        activities.save_activity(organiser, activity, data | {"capacity": 1})
    assert refused.value.field == "capacity"


def _messages(person):
    return db.session.scalars(select(Notification.message).where(Notification.user_id == person.id)
                              .order_by(Notification.id)).all()


def test_moving_an_activity_onto_another_sign_up_is_allowed_and_the_clash_is_told(app):
    from kyodo_match.staffvol import activities

    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    moved = make_staff_activity(starts_at=start, hours=2, title="河川清掃", capacity=2)
    afternoon = make_staff_activity("農林課", starts_at=start + timedelta(hours=4), hours=2, title="午後の植樹")
    busy, free, waiting = staff(), staff(), staff()
    for p in (busy, free, waiting):
        signups.sign_up(moved, p)
    signups.sign_up(afternoon, busy)
    db.session.commit()
    assert _messages(waiting) == []
    assert signups.time_clashes(moved) == {}
    organiser = staff("環境課")
    data = {name: getattr(moved, name) for name in activities.FIELDS}
    later_start = start + timedelta(hours=3)  # now 3:00–5:00 after the start, across 午後の植樹 (4:00–6:00)
    activities.save_activity(organiser, moved, data | {"starts_at": later_start,
                                                       "ends_at": later_start + timedelta(hours=2)})
    db.session.commit()
    assert _statuses(moved) == [(busy.id, "confirmed"), (free.id, "confirmed"),
                                (waiting.id, "waitlisted")]  # nobody is dropped
    assert {uid: a.title for uid, a in signups.time_clashes(moved).items()} == {busy.id: "午後の植樹"}
    assert {uid: a.title for uid, a in signups.time_clashes(afternoon).items()} == {busy.id: "河川清掃"}
    told_busy, told_free = _messages(busy)[-1], _messages(free)[-1]
    assert "午後の植樹" in told_busy and "重なりました" in told_busy
    assert "日時または場所が変わりました" in told_free and "重なり" not in told_free
    assert signups.seat_state(moved, busy).clash.title == "午後の植樹"
    assert signups.seat_state(moved, free).clash is None
    told_waiting = _messages(waiting)  # a place in line is told of the move too, without a clash
    assert len(told_waiting) == 1 and "日時または場所が変わりました" in told_waiting[0]

    # Giving up one of the two ends the clash; so does a move back.
    signups.cancel(signups.signup_of(afternoon.id, busy.id), busy)
    db.session.commit()
    assert signups.time_clashes(moved) == {} and signups.seat_state(moved, busy).clash is None


def test_a_called_off_or_given_up_activity_is_no_clash(app):
    from kyodo_match.staffvol import activities

    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    first = make_staff_activity(starts_at=start, hours=2)
    second = make_staff_activity("農林課", starts_at=start + timedelta(hours=5), hours=2, title="別の活動")
    p = staff()
    signups.sign_up(first, p)
    signups.sign_up(second, p)
    db.session.commit()
    activities.cancel_activity(staff("農林課"), second, "雨天のため")
    db.session.commit()
    data = {name: getattr(first, name) for name in activities.FIELDS}
    activities.save_activity(staff("環境課"), first, data | {"starts_at": second.starts_at,
                                                            "ends_at": second.ends_at})
    db.session.commit()
    assert signups.time_clashes(first) == {}
    assert "重なりました" not in _messages(p)[-1]


# --- over HTTP ---------------------------------------------------------------------------------------------------

def test_signup_button_by_htmx_updates_the_seats_without_reload(app, client, login):
    activity = make_staff_activity(capacity=2)
    p = staff()
    login(p)
    page = client.get(f"/ikka/{activity.id}")
    assert page.status_code == 200
    assert "参加する（残り2席）" in page.text
    response = client.post(f"/ikka/{activity.id}/signup", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "<html" not in response.text and 'id="seat-panel"' in response.text
    assert "残り1席" in response.text and "参加を取り消す" in response.text
    again = client.post(f"/ikka/{activity.id}/signup", headers={"HX-Request": "true"})
    assert again.status_code == 409 and "すでに申し込んでいます" in again.text
    cancelled = client.post(f"/ikka/{activity.id}/cancel", headers={"HX-Request": "true"})
    assert cancelled.status_code == 200 and "参加する（残り2席）" in cancelled.text


def test_full_activity_offers_the_waiting_list(app, client, login):
    activity = make_staff_activity(capacity=1)
    signups.sign_up(activity, staff())
    db.session.commit()
    login(staff())
    assert "キャンセル待ちに登録する" in client.get(f"/ikka/{activity.id}").text
    response = client.post(f"/ikka/{activity.id}/signup", headers={"HX-Request": "true"})
    assert response.status_code == 200 and "キャンセル待ちの1番目" in response.text


def test_overlap_over_http_is_409_in_japanese(app, client, login):
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    first = make_staff_activity(starts_at=start, title="清掃A")
    second = make_staff_activity("農林課", starts_at=start + timedelta(minutes=30), title="清掃B")
    login(staff())
    assert client.post(f"/ikka/{first.id}/signup").status_code == 303
    response = client.post(f"/ikka/{second.id}/signup")
    assert response.status_code == 409
    assert "同じ時間帯の「清掃A」" in response.text
    assert db.session.scalar(select(StaffActivity.taken).where(StaffActivity.id == second.id)) == 0


def test_department_only_activity_is_403_for_other_departments_and_404_when_missing(app, client, login):
    activity = make_staff_activity(audience="department")
    login(staff("税務課"))
    assert client.get(f"/ikka/{activity.id}").status_code == 403
    assert client.post(f"/ikka/{activity.id}/signup").status_code == 403
    assert client.get("/ikka/999999").status_code == 404


def test_posting_an_activity_checks_its_rules_beside_the_fields(app, client, login):
    p = staff("環境課")
    login(p)
    day = (utcnow() + timedelta(days=20)).date()
    form = {"title": "河川清掃", "day": day.isoformat(), "start_time": "09:00", "end_time": "08:00",
            "place": "長良川", "capacity": "10", "deadline_day": day.isoformat(), "deadline_time": "17:00",
            "audience": "all", "participation": "individual", "adopt_section_id": "", "project_id": ""}
    refused = client.post("/ikka/new", data=form)
    assert refused.status_code == 422
    assert "終了の日時は、開始の日時より後に" in refused.text
    refused = client.post("/ikka/new", data=form | {"end_time": "11:00"})
    assert refused.status_code == 422 and "申込締切は、活動の開始より前に" in refused.text
    refused = client.post("/ikka/new", data=form | {"end_time": "11:00", "deadline_time": "08:00",
                                                    "participation": "workplace"})
    assert refused.status_code == 422 and "職場単位の活動は" in refused.text
    assert db.session.scalar(select(StaffActivity.id)) is None
    ok = client.post("/ikka/new", data=form | {"end_time": "11:00", "deadline_time": "08:00", "start_time": "09:00",
                                               "capacity": "２０"})
    assert ok.status_code == 303
    made = db.session.scalars(select(StaffActivity)).one()
    assert made.capacity == 20 and made.department_id == department_id("環境課")
    assert made.starts_at.hour == 0  # 09:00 in Japan is 00:00 UTC
    assert (made.ends_at - made.starts_at) == timedelta(hours=2)


def test_only_the_organising_department_edits_and_records(app, client, login):
    activity = make_staff_activity()
    login(staff("税務課"))
    assert client.get(f"/ikka/{activity.id}/edit").status_code == 403
    assert client.get(f"/ikka/{activity.id}/attendance").status_code == 403
    assert client.post(f"/ikka/{activity.id}/call-off", data={"reason": "x"}).status_code == 403


def test_attendance_is_recorded_after_the_start_with_hours(app, client, login):
    start = (utcnow() + timedelta(days=2)).replace(microsecond=0)
    activity = make_staff_activity(starts_at=start, hours=2)
    came, absent = staff(), staff()
    for p in (came, absent):
        signups.sign_up(activity, p)
    activity.starts_at = utcnow() - timedelta(hours=3)  # the day has come
    activity.ends_at = utcnow() - timedelta(hours=1)
    activity.signup_deadline = activity.starts_at - timedelta(days=1)
    db.session.commit()
    login(staff("環境課"))
    rows = {s.user_id: s.id for s in signups.confirmed(activity.id)}
    bad = client.post(f"/ikka/{activity.id}/attendance", data={
        f"attended-{rows[came.id]}": "yes", f"minutes-{rows[came.id]}": "たくさん",
        f"attended-{rows[absent.id]}": "no"})
    assert bad.status_code == 422 and "活動時間は数字で入力してください" in bad.text
    assert db.session.get(StaffActivity, activity.id).attendance_recorded_at is None
    ok = client.post(f"/ikka/{activity.id}/attendance", data={
        f"attended-{rows[came.id]}": "yes", f"minutes-{rows[came.id]}": "１.５",
        f"attended-{rows[absent.id]}": "no", f"minutes-{rows[absent.id]}": "2"})
    assert ok.status_code == 303
    db.session.expire_all()
    assert db.session.get(StaffSignup, rows[came.id]).attended is True
    assert db.session.get(StaffSignup, rows[came.id]).minutes == 90
    assert db.session.get(StaffSignup, rows[absent.id]).attended is False
    assert db.session.get(StaffSignup, rows[absent.id]).minutes == 0
    assert db.session.get(StaffActivity, activity.id).attendance_recorded_at is not None


def test_attendance_before_the_start_is_409(app, client, login):
    activity = make_staff_activity()
    signups.sign_up(activity, staff())
    db.session.commit()
    login(staff("環境課"))
    assert client.post(f"/ikka/{activity.id}/attendance", data={}).status_code == 409


def test_workplace_activity_signs_up_colleagues_in_one_go(app, client, login):
    start = (utcnow() + timedelta(days=10)).replace(microsecond=0)
    activity = make_staff_activity(starts_at=start, capacity=2, audience="department", participation="workplace")
    organiser = staff("環境課")
    busy, free1, free2 = staff("環境課"), staff("環境課"), staff("環境課")
    outsider = staff("税務課")
    elsewhere = make_staff_activity("農林課", starts_at=start, title="同じ時間の植樹")
    signups.sign_up(elsewhere, busy)
    db.session.commit()
    login(organiser)
    page = client.get(f"/ikka/{activity.id}")
    assert "課の職員をまとめて登録する" in page.text and outsider.display_name not in page.text
    response = client.post(f"/ikka/{activity.id}/team",
                           data={"user_id": [str(busy.id), str(free1.id), str(free2.id), str(outsider.id),
                                             str(organiser.id)]})
    assert response.status_code == 303
    assert dict(_statuses(activity)) == {free1.id: "confirmed", free2.id: "confirmed", organiser.id: "waitlisted"}
    assert db.session.get(StaffActivity, activity.id).taken == 2
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == free1.id)).all()
    assert any("課として参加を登録しました" in m for m in told)
    flashes = client.get(f"/ikka/{activity.id}").text
    assert "同じ時間の植樹" in flashes and "主催課の職員ではありません" in flashes


def test_team_sign_up_is_only_for_the_organiser(app, client, login):
    activity = make_staff_activity(audience="department", participation="workplace")
    login(staff("税務課"))
    assert client.post(f"/ikka/{activity.id}/team", data={"user_id": "1"}).status_code == 403


def test_a_deleted_account_frees_its_seat_for_the_next_in_line(app):
    from kyodo_match.account.services import delete_account

    activity = make_staff_activity(capacity=1)
    leaving, waiting = staff(), staff()
    signups.sign_up(activity, leaving)
    signups.sign_up(activity, waiting)
    db.session.commit()
    delete_account(leaving)
    db.session.commit()
    assert dict(_statuses(activity)) == {leaving.id: "cancelled", waiting.id: "confirmed"}
    assert db.session.get(StaffActivity, activity.id).taken == 1


def test_staff_without_a_department_are_told_why_they_cannot_post(app, client, login):
    login(make_user(Role.STAFF))
    page = client.get("/ikka/new")
    assert page.status_code == 200 and "所属する課が登録されていない" in page.text and "name=\"title\"" not in page.text
    assert client.post("/ikka/new", data={"title": "x"}).status_code == 403


def test_the_list_nudges_a_department_with_nothing_this_fiscal_year(app, client, login):
    login(staff("観光課"))
    assert "観光課は、今年度の活動がまだ登録されていません" in client.get("/ikka/").text
    make_staff_activity("観光課", starts_at=utcnow() + timedelta(minutes=5))  # in this fiscal year, whatever today is
    assert "今年度の活動がまだ登録されていません" not in client.get("/ikka/").text


def test_list_and_organiser_page_do_not_grow_queries_with_rows(app, client, login, queries):
    organiser = staff("環境課")
    login(organiser)
    first = make_staff_activity(capacity=30)

    def measure():
        with queries() as q:
            assert client.get("/ikka/").status_code == 200
        with queries() as r:
            assert client.get(f"/ikka/{first.id}").status_code == 200
        return q.count, r.count

    for d in ("税務課", "農林課"):
        signups.sign_up(first, staff(d))
        db.session.commit()
    few = measure()
    for i in range(8):
        make_staff_activity("観光課" if i % 2 else "税務課", title=f"活動{i}")
        signups.sign_up(first, staff("観光課" if i % 2 else "市民課"))
        db.session.commit()
    assert measure() == few


def test_waiting_positions_for_several_activities_in_one_query(app, queries):
    a, b = make_staff_activity(capacity=1), make_staff_activity("農林課", capacity=1,
                                                               starts_at=utcnow() + timedelta(days=20))
    me = staff()
    for activity, before in ((a, 2), (b, 0)):
        signups.sign_up(activity, staff())
        for _ in range(before):
            signups.sign_up(activity, staff())
        signups.sign_up(activity, me)
    db.session.commit()
    mine = [signups.signup_of(a.id, me.id), signups.signup_of(b.id, me.id)]
    with queries() as q:
        positions = signups.waiting_positions(mine)
    assert q.count == 1
    assert positions == {mine[0].id: 3, mine[1].id: 1}
    assert [signups.waiting_position(s) for s in mine] == [3, 1]


def test_a_clash_after_a_move_shows_on_the_seat_panel_and_to_the_organiser(app, client, login):
    start = (utcnow() + timedelta(days=10)).replace(hour=0, minute=0, second=0, microsecond=0)  # 9:00 in Seki
    moved = make_staff_activity(starts_at=start, hours=2, title="河川清掃")
    other = make_staff_activity("農林課", starts_at=start + timedelta(hours=4), hours=2, title="午後の植樹")
    busy = make_user(Role.STAFF, department_id=department_id("税務課"), display_name="重複 太郎")
    signups.sign_up(moved, busy)
    signups.sign_up(other, busy)
    db.session.commit()
    organiser = staff("環境課")
    login(organiser)
    form = client.get(f"/ikka/{moved.id}/edit")
    assert form.status_code == 200

    from kyodo_match.i18n import JST

    def jst(value):
        return value.replace(tzinfo=UTC).astimezone(JST) if value.tzinfo is None else value.astimezone(JST)

    shifted = jst(start + timedelta(hours=3))
    data = {"title": "河川清掃", "day": shifted.strftime("%Y-%m-%d"), "start_time": shifted.strftime("%H:%M"),
            "end_time": (shifted + timedelta(hours=2)).strftime("%H:%M"), "place": "長良川河川敷",
            "capacity": "10", "deadline_day": jst(moved.signup_deadline).strftime("%Y-%m-%d"),
            "deadline_time": jst(moved.signup_deadline).strftime("%H:%M"), "audience": "all",
            "participation": "individual"}
    saved = client.post(f"/ikka/{moved.id}/edit", data=data)
    assert saved.status_code == 303, saved.text
    page = client.get(f"/ikka/{moved.id}").text
    assert "申し込み済みのほかの活動と時間が重なっています" in page and "重複 太郎さん：「午後の植樹」" in page
    login(busy)
    mine = client.get(f"/ikka/{moved.id}").text
    assert "日時が変わり、申し込み済みの活動と時間が重なっています。" in mine
    assert f'href="/ikka/{other.id}"' in mine
    polled = client.get(f"/ikka/{moved.id}/seats", headers={"HX-Request": "true"})
    assert polled.status_code == 200 and "時間が重なっています" in polled.text  # the 30-second refresh keeps it
