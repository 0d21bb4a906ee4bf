"""1課1ボランティア: each staff member's secret iCal feed — the address, its reset and stop, and what it holds."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from sqlalchemy import func, select

from kyodo_match.extensions import db
from kyodo_match.models import CalendarFeed, Role, User, UserRole, utcnow
from kyodo_match.staffvol import activities, calendar, signups
from tests.factories import department_id, make_staff_activity, make_user

URL_RE = re.compile(r'value="https?://localhost(/ikka/calendar/[A-Za-z0-9_-]+\.ics)"')


def staff(dept: str = "税務課", **kwargs) -> User:
    return make_user(Role.STAFF, department_id=department_id(dept), **kwargs)


def feed_path(token: str) -> str:
    return f"/ikka/calendar/{token}.ics"


def feed(user, now=None) -> str:
    return calendar.feed_ics(user, now or utcnow())


def unfold(body: str) -> list[str]:
    return body.replace("\r\n ", "").split("\r\n")


def events(body: str) -> list[dict[str, str]]:
    """Each VEVENT as {property name (with parameters): value}, after unfolding."""
    out, current = [], None
    for line in unfold(body):
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            out.append(current)
            current = None
        elif current is not None:
            name, _sep, value = line.partition(":")
            current[name] = value
    return out


# --- the address -------------------------------------------------------------------------------------------------

def test_the_feed_works_with_the_token_alone_and_sets_no_cookie(app, client):
    me = staff(display_name="関 花子")
    activity = make_staff_activity(title="安桜山の草刈り", place="安桜山公園", meeting_point="市役所北玄関",
                                   bring="軍手", description="草刈りをします")
    signup = signups.sign_up(activity, me)
    token = calendar.issue_token(me)
    db.session.commit()

    response = client.get(feed_path(token))
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "no-store" in response.headers["Cache-Control"] and "private" in response.headers["Cache-Control"]
    assert "Set-Cookie" not in response.headers
    body = response.text
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert "X-WR-CALNAME:1課1ボランティア わたしの予定" in unfold(body)
    assert "関 花子" not in body  # no personal name in the feed
    [event] = events(body)
    assert event["UID"] == f"staff-signup-{signup.id}@kyodo-match"
    assert event["SUMMARY"] == "安桜山の草刈り"
    assert event["STATUS"] == "CONFIRMED"
    assert event["DTSTART"] == activity.starts_at.strftime("%Y%m%dT%H%M%SZ")
    assert event["DTEND"] == activity.ends_at.strftime("%Y%m%dT%H%M%SZ")
    assert re.fullmatch(r"\d{8}T\d{6}Z", event["DTSTAMP"])
    assert event["LOCATION"] == "安桜山公園（集合場所: 市役所北玄関）"
    assert "持ち物: 軍手" in event["DESCRIPTION"] and "草刈りをします" in event["DESCRIPTION"]
    assert event["URL"] == f"http://localhost/ikka/{activity.id}"


def test_only_the_hash_of_the_token_is_stored(app):
    me = staff()
    token = calendar.issue_token(me)
    db.session.commit()
    row = db.session.get(CalendarFeed, me.id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    assert len(token) >= 43  # 32 random bytes
    for table in db.metadata.sorted_tables:
        for values in db.session.execute(select(table)):
            assert token not in repr(tuple(values)), table.name


def test_reset_gives_a_new_address_once_and_the_old_one_stops(app, client, login):
    me = staff()
    login(me)
    first = client.post("/ikka/calendar/reset")
    assert first.status_code == 200
    assert "いまこの画面だけ" in first.text
    old = URL_RE.search(first.text).group(1)
    assert client.get(old).status_code == 200

    assert URL_RE.search(client.get("/ikka/mine").text) is None  # never shown again
    second = client.post("/ikka/calendar/reset")
    new = URL_RE.search(second.text).group(1)
    assert new != old
    assert client.get(old).status_code == 404
    assert client.get(new).status_code == 200
    assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 1


def test_htmx_reset_swaps_only_the_calendar_section(app, client, login):
    login(staff())
    response = client.post("/ikka/calendar/reset", headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.lstrip().startswith('<section id="staffvol-calendar"')
    assert "<html" not in response.text
    assert URL_RE.search(response.text) and 'href="webcal://localhost/ikka/calendar/' in response.text
    assert "HX-Request" in response.headers["Vary"]
    assert "no-store" in response.headers["Cache-Control"]
    stopped = client.post("/ikka/calendar/stop", headers={"HX-Request": "true"})
    assert stopped.text.lstrip().startswith('<section id="staffvol-calendar"') and "配信していません" in stopped.text
    assert 'hx-swap-oob="true"' in stopped.text and "配信を止めました" in stopped.text


def test_stop_makes_the_address_a_plain_404(app, client, login):
    me = staff()
    login(me)
    token = URL_RE.search(client.post("/ikka/calendar/reset").text).group(1)
    stopped = client.post("/ikka/calendar/stop")
    assert stopped.status_code == 303 and stopped.headers["Location"].endswith("/ikka/mine#staffvol-calendar")
    assert db.session.get(CalendarFeed, me.id) is None

    anonymous = app.test_client()
    gone = anonymous.get(token)
    assert gone.status_code == 404
    assert gone.mimetype == "text/plain" and "Set-Cookie" not in gone.headers
    assert anonymous.get(feed_path("x")).status_code == 404


def test_reset_and_stop_without_a_csrf_token_are_refused(app, client, login):
    me = staff()
    login(me)
    assert client.post("/ikka/calendar/reset", csrf=False).status_code == 400
    assert db.session.get(CalendarFeed, me.id) is None
    calendar.issue_token(me)
    db.session.commit()
    assert client.post("/ikka/calendar/stop", csrf=False).status_code == 400
    assert db.session.get(CalendarFeed, me.id) is not None


def test_only_staff_of_a_department_may_make_an_address(app, client, login_as):
    login_as(Role.STAFF)  # no department
    assert client.post("/ikka/calendar/reset").status_code == 403
    assert 'action="/ikka/calendar/reset"' not in client.get("/ikka/mine").text
    client.post("/logout")
    login_as(Role.VOLUNTEER)
    assert client.post("/ikka/calendar/reset").status_code == 403
    assert db.session.scalar(select(func.count()).select_from(CalendarFeed)) == 0


def test_the_address_stops_for_someone_stopped_deleted_or_no_longer_staff(app):
    people = [staff() for _ in range(4)]
    tokens = [calendar.issue_token(p) for p in people]
    db.session.commit()
    assert [calendar.user_for_token(t) for t in tokens] == people
    stopped, deleted, moved_out, not_staff = people
    stopped.active = False
    deleted.deleted_at = utcnow()
    moved_out.department_id = None
    db.session.execute(UserRole.__table__.delete().where(UserRole.user_id == not_staff.id,
                                                         UserRole.role == Role.STAFF.value))
    db.session.commit()
    db.session.expire_all()
    assert [calendar.user_for_token(t) for t in tokens] == [None] * 4
    for junk in ("", "x", "a" * 500, "../../etc", tokens[0].upper() + "!"):
        assert calendar.user_for_token(junk) is None


# --- what the feed holds ------------------------------------------------------------------------------------------

def test_a_waiting_place_is_prefixed_and_tentative(app):
    other, me = staff(), staff()
    activity = make_staff_activity(capacity=1, title="河川敷の清掃")
    signups.sign_up(activity, other)
    signups.sign_up(activity, me)
    db.session.commit()
    [event] = events(feed(me))
    assert event["SUMMARY"] == "キャンセル待ち: 河川敷の清掃"
    assert event["STATUS"] == "TENTATIVE"
    assert "キャンセル待ち 1番目" in event["DESCRIPTION"]
    [theirs] = events(feed(other))
    assert theirs["SUMMARY"] == "河川敷の清掃"
    # after the day, a place that never turned into a seat leaves the feed
    assert events(feed(me, activity.ends_at + timedelta(minutes=1))) == []


def test_a_cancelled_signup_is_not_in_the_feed(app):
    me = staff()
    kept, dropped = make_staff_activity(title="残す活動"), make_staff_activity(title="取り消す活動",
                                                                             starts_at=utcnow() + timedelta(days=9))
    signups.sign_up(kept, me)
    signup = signups.sign_up(dropped, me)
    db.session.commit()
    signups.cancel(signup, me)
    db.session.commit()
    body = feed(me)
    assert [e["SUMMARY"] for e in events(body)] == ["残す活動"]
    assert "取り消す活動" not in body


def test_an_activity_called_off_shows_as_cancelled_for_30_days(app):
    organiser = staff("環境課")
    me, left_before = staff(), staff()
    activity = make_staff_activity("環境課", title="植樹", starts_at=(utcnow() + timedelta(days=40)).replace(
        microsecond=0))
    mine = signups.sign_up(activity, me)
    theirs = signups.sign_up(activity, left_before)
    db.session.commit()
    signups.cancel(theirs, left_before, now=utcnow() - timedelta(minutes=5))
    db.session.commit()
    activities.cancel_activity(organiser, activity, "雨天のため")
    db.session.commit()

    [event] = events(feed(me))
    assert event["UID"] == f"staff-signup-{mine.id}@kyodo-match"
    assert event["STATUS"] == "CANCELLED"
    assert event["SUMMARY"] == "中止: 植樹"
    assert "中止の理由: 雨天のため" in event["DESCRIPTION"]
    assert events(feed(left_before)) == []  # they had already left: nothing comes back
    assert events(feed(me, utcnow() + timedelta(days=31))) == []


def test_past_activities_stay_90_days(app):
    me = staff()
    activity = make_staff_activity()
    signups.sign_up(activity, me)
    db.session.commit()
    assert len(events(feed(me, activity.ends_at + timedelta(days=89)))) == 1
    assert events(feed(me, activity.ends_at + timedelta(days=91))) == []


def test_other_peoples_signups_never_appear_in_my_feed(app, client):
    me, colleague = staff(), staff()
    shared = make_staff_activity(title="一緒の活動")
    theirs_only = make_staff_activity(title="同僚だけの活動", starts_at=utcnow() + timedelta(days=10))
    mine = signups.sign_up(shared, me)
    their_shared = signups.sign_up(shared, colleague)
    their_own = signups.sign_up(theirs_only, colleague)
    token = calendar.issue_token(me)
    calendar.issue_token(colleague)
    db.session.commit()
    body = client.get(feed_path(token)).text
    assert [e["UID"] for e in events(body)] == [f"staff-signup-{mine.id}@kyodo-match"]
    assert f"staff-signup-{their_shared.id}@" not in body and f"staff-signup-{their_own.id}@" not in body
    assert "同僚だけの活動" not in body


def test_lines_are_crlf_and_folded_at_75_octets_without_splitting_a_character(app):
    me = staff()
    title = "長良川河川敷の清掃と草刈り、" * 8  # 120 characters, 360 octets
    activity = make_staff_activity(title=title[:120], description="🌿説明" * 200, place="ａ" * 150,
                                   bring="x" * 300)
    signups.sign_up(activity, me)
    db.session.commit()
    body = feed(me)
    raw = body.encode()
    assert b"\n" not in raw.replace(b"\r\n", b"")  # no bare line feeds
    assert b"\r" not in raw.replace(b"\r\n", b"")
    lines = raw.split(b"\r\n")
    assert lines[-1] == b""
    assert max(len(line) for line in lines) <= 75
    assert sum(1 for line in lines if line.startswith(b" ")) > 10
    for line in lines:
        line.decode("utf-8")  # each physical line is whole characters
    [event] = events(body)
    assert event["SUMMARY"] == title[:120]
    assert event["DESCRIPTION"].endswith("🌿説明" * 200)


def test_fold_counts_octets_not_characters():
    assert calendar.fold("a" * 75) == "a" * 75
    assert calendar.fold("a" * 76) == "a" * 75 + "\r\n a"
    folded = calendar.fold("あ" * 60).split("\r\n")  # 3 octets each: 25 on the first line, 24 on the next
    assert [len(part.encode()) for part in folded] == [75, 73, 34]
    assert "".join(part.removeprefix(" ") for part in folded) == "あ" * 60


def test_text_is_escaped_and_cannot_add_properties(app):
    me = staff()
    activity = make_staff_activity(title="草刈り, 清掃; 準備\\", place="関市,小瀬;河川敷",
                                   description="1行目\n2行目\r\nEND:VEVENT\r\nBEGIN:VEVENT\x0bX")
    signups.sign_up(activity, me)
    db.session.commit()
    body = feed(me)
    lines = unfold(body)
    assert lines.count("BEGIN:VEVENT") == 1 and lines.count("END:VEVENT") == 1
    [event] = events(body)
    assert event["SUMMARY"] == "草刈り\\, 清掃\\; 準備\\\\"
    assert event["LOCATION"] == "関市\\,小瀬\\;河川敷"
    assert event["DESCRIPTION"].endswith("1行目\\n2行目\\nEND:VEVENT\\nBEGIN:VEVENTX")
