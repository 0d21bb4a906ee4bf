"""1課1ボランティア: わたしの参加 (sign-ups to come, the record per 年度) and each department's record."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from kyodo_match.extensions import db
from kyodo_match.i18n import JST
from kyodo_match.models import Role, StaffActivity, StaffSignup, utcnow
from kyodo_match.staffvol import signups
from kyodo_match.staffvol.attendance import person_history
from tests.factories import department_id, make_staff_activity, make_user


def staff(dept: str = "税務課", **kwargs):
    return make_user(Role.STAFF, department_id=department_id(dept), **kwargs)


def held(dept: str, starts_jst: datetime, people: dict, *, hours: float = 2, title: str = "河川敷の清掃"):
    """A past activity of ``dept`` whose attendance is recorded: ``people`` maps each user to minutes (None:
    absent)."""
    starts = starts_jst.replace(tzinfo=JST).astimezone(UTC)
    activity = StaffActivity(department_id=department_id(dept), title=title, starts_at=starts,
                             ends_at=starts + timedelta(hours=hours), signup_deadline=starts - timedelta(days=1),
                             place="長良川河川敷", capacity=10, taken=len(people),
                             attendance_recorded_at=starts + timedelta(hours=hours))
    db.session.add(activity)
    db.session.flush()
    for user, minutes in people.items():
        db.session.add(StaffSignup(activity_id=activity.id, user_id=user.id, department_id=user.department_id,
                                   status="confirmed", confirmed_at=starts - timedelta(days=3),
                                   attended=minutes is not None, minutes=minutes or 0))
    db.session.commit()
    return activity


# --- わたしの参加 -------------------------------------------------------------------------------------------------

def test_the_fiscal_year_ends_on_31_march_in_japan_time(app, client, login):
    me = staff()
    held("環境課", datetime(2025, 3, 31, 23, 0), {me: 90}, title="年度末の清掃")  # 14:00 UTC on 31 March: 2024年度
    held("環境課", datetime(2025, 4, 1, 0, 30), {me: 120}, title="新年度の清掃")  # 31 March 15:30 UTC: 2025年度
    held("環境課", datetime(2025, 6, 1, 9, 0), {me: None}, title="欠席した清掃")
    old, new = person_history(me.id, 2024), person_history(me.id, 2025)
    assert [s.activity.title for s in old.past] == ["年度末の清掃"] and (old.attended, old.minutes) == (1, 90)
    assert [s.activity.title for s in new.past] == ["欠席した清掃", "新年度の清掃"]
    assert (new.attended, new.minutes) == (1, 120)

    login(me)
    page = client.get("/ikka/mine?year=2024").text
    assert "2024年度の参加の記録" in page
    assert "参加した活動: 1回" in page and "活動時間の合計: 1.5時間" in page
    assert "年度末の清掃" in page and "新年度の清掃" not in page
    page = client.get("/ikka/mine?year=2025").text
    assert "参加した活動: 1回" in page and "活動時間の合計: 2時間" in page
    assert "新年度の清掃" in page and "欠席した清掃" in page and "欠席" in page and "年度末の清掃" not in page
    assert '<option value="2024"' in page and '<option value="2023"' not in page
    assert client.get("/ikka/mine?year=").status_code == 200  # empty: the current fiscal year
    quiet = client.get("/ikka/mine?year=2019")  # valid, no records: shown empty, not swapped for another year
    assert quiet.status_code == 200 and "2019年度の参加の記録" in quiet.text and '<option value="2019"' in quiet.text
    for junk in ("1999", "abc", "20255", "２０２５"):  # the same rule as the yearly picture: 400, and why
        refused = client.get(f"/ikka/mine?year={junk}")
        assert refused.status_code == 400 and "年度は2000〜2100の4桁の数字で指定してください。" in refused.text
    department = client.get(f"/ikka/departments/{me.department_id}?year=abc")
    assert department.status_code == 400 and "4桁の数字" in department.text


def test_upcoming_signups_show_their_status_and_place_in_line(app, client, login):
    me, other = staff(), staff()
    full = make_staff_activity(capacity=1, title="満員の活動")
    open_one = make_staff_activity(title="空きのある活動", starts_at=utcnow() + timedelta(days=12))
    signups.sign_up(full, other)
    signups.sign_up(full, me)
    signups.sign_up(open_one, me)
    db.session.commit()
    login(me)
    page = client.get("/ikka/mine").text
    assert "満員の活動" in page and "キャンセル待ち 1番目" in page
    assert "空きのある活動" in page and '<span class="badge badge--ok">申し込み済み</span>' in page
    assert f'href="/ikka/{full.id}"' in page


def test_my_page_is_a_full_page_and_an_htmx_fragment(app, client, login):
    login(staff())
    full = client.get("/ikka/mine")
    assert full.status_code == 200 and "<html" in full.text and 'id="staffvol-calendar"' in full.text
    fragment = client.get("/ikka/mine", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "わたしの参加" in fragment.text
    assert "HX-Request" in fragment.headers["Vary"]
    assert "no-store" in full.headers["Cache-Control"]


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.GROUP_REP, Role.COORDINATOR])
def test_my_page_is_for_staff_only(app, client, login_as, role):
    login_as(role)
    assert client.get("/ikka/mine").status_code == 403


def test_my_page_needs_login(app, client):
    response = client.get("/ikka/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- a department's record ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "expected"), [
    ("own_staff", 200), ("other_staff", 403), ("collaboration_staff", 200), ("coordinator", 200), ("admin", 200),
    ("volunteer", 403), ("staff_without_department", 403),
])
def test_department_page_access(app, client, login, who, expected):
    users = {
        "own_staff": lambda: staff("環境課"), "other_staff": lambda: staff("税務課"),
        "collaboration_staff": lambda: staff("市民協働課"), "coordinator": lambda: make_user(Role.COORDINATOR),
        "admin": lambda: make_user(Role.ADMIN), "volunteer": lambda: make_user(Role.VOLUNTEER),
        "staff_without_department": lambda: make_user(Role.STAFF),
    }
    login(users[who]())
    assert client.get(f"/ikka/departments/{department_id('環境課')}").status_code == expected


def test_unknown_department_is_404_and_anonymous_must_log_in(app, client, login):
    response = client.get(f"/ikka/departments/{department_id('環境課')}")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    login(make_user(Role.COORDINATOR))
    assert client.get("/ikka/departments/999999").status_code == 404


def test_department_page_counts_without_names(app, client, login):
    hanako, taro = staff("環境課", display_name="関 花子"), staff("環境課", display_name="刃物 太郎")
    guest = staff("税務課", display_name="税務 次郎")
    now = utcnow().astimezone(JST)
    year = now.year if now.month >= 4 else now.year - 1
    day = datetime(year, 4, 10, 9, 0)
    held("環境課", day, {hanako: 120, taro: None, guest: 60}, title="課の清掃")
    held("税務課", day + timedelta(days=30), {hanako: 90}, title="よその課の清掃")
    held("環境課", datetime(year - 1, 4, 10, 9, 0), {taro: 120}, title="前年度の清掃")

    login(make_user(Role.COORDINATOR))
    page = client.get(f"/ikka/departments/{department_id('環境課')}").text
    assert "課の清掃" in page and "よその課の清掃" not in page and "前年度の清掃" not in page
    assert "<td>3人</td><td>2人</td><td>3時間</td>" in page.replace("\n", "").replace("  ", "")
    # 環境課 staff who took part this year: 花子 only (twice: her own department's and 税務課's), 3.5 hours
    assert "参加した職員: 1人" in page and "延べ参加: 2回" in page and "活動時間の合計: 3.5時間" in page
    for name in ("関 花子", "刃物 太郎", "税務 次郎"):
        assert name not in page
    earlier = client.get(f"/ikka/departments/{department_id('環境課')}?year={year - 1}").text
    assert "前年度の清掃" in earlier and "参加した職員: 1人" in earlier and "課の清掃" not in earlier


def test_department_page_counts_participation_as_the_yearly_picture_does(app, client, login):
    from kyodo_match.staffvol.overview import yearly_picture

    hanako = staff("環境課", display_name="関 花子")
    now = utcnow().astimezone(JST)
    year = now.year if now.month >= 4 else now.year - 1
    activity = held("税務課", datetime(year, 4, 12, 9, 0), {hanako: 60}, title="記録前の清掃")
    activity.attendance_recorded_at = None  # held, attendance not yet recorded: she still took part
    db.session.query(StaffSignup).filter_by(activity_id=activity.id).update({"attended": None, "minutes": 0})
    db.session.commit()
    row = next(r for r in yearly_picture(year).rows if r.name == "環境課")
    assert row.participants == 1
    login(make_user(Role.COORDINATOR))
    page = client.get(f"/ikka/departments/{department_id('環境課')}").text
    assert f"参加した職員: {row.participants}人" in page and f"延べ参加: {row.person_activities}回" in page
