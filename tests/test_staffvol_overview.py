"""1課1ボランティア yearly picture: counts per department, participants and share, fiscal-year edges in JST,
the 未実施 highlight, the CSV, who may open it, and the htmx fragment."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.i18n import fiscal_year, today_jst
from kyodo_match.models import Department, Role, StaffActivity, StaffSignup
from kyodo_match.staffvol import overview
from tests.conftest import count_queries
from tests.factories import make_user

NOW = datetime(2026, 10, 1, 3, 0, tzinfo=UTC)  # FY2026, half-way
HX = {"HX-Request": "true"}


def dept(name: str) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))


def activity(department: str, starts_at: datetime, *, hours: int = 2, status: str = "open") -> StaffActivity:
    a = StaffActivity(department_id=dept(department).id, title=f"{department}の清掃", starts_at=starts_at,
                      ends_at=starts_at + timedelta(hours=hours), signup_deadline=starts_at - timedelta(days=1),
                      capacity=50, taken=0, status=status)
    db.session.add(a)
    db.session.flush()
    return a


def signup(a: StaffActivity, user, *, department: str | None = None, status: str = "confirmed",
           attended: bool | None = None, minutes: int = 0) -> StaffSignup:
    s = StaffSignup(activity_id=a.id, user_id=user.id, status=status, attended=attended, minutes=minutes,
                    department_id=dept(department).id if department else user.department_id)
    db.session.add(s)
    db.session.flush()
    return s


def staff(department: str):
    return make_user(Role.STAFF, department_id=dept(department).id)


def row(picture, name: str) -> overview.DepartmentRow:
    return next(r for r in picture.rows if r.name == name)


# --- counting -----------------------------------------------------------------------------------------------------

def test_held_planned_and_cancelled_are_counted_apart_for_the_organiser(app):
    activity("環境課", datetime(2026, 5, 10, 0, 0, tzinfo=UTC))  # held
    activity("環境課", datetime(2026, 9, 30, 23, 0, tzinfo=UTC))  # held (ended 1 Oct 01:00 UTC, before NOW)
    activity("環境課", datetime(2026, 10, 1, 2, 0, tzinfo=UTC))  # under way at NOW: planned
    activity("環境課", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # planned
    activity("環境課", datetime(2026, 6, 1, 0, 0, tzinfo=UTC), status="cancelled")  # 中止, in the past
    activity("環境課", datetime(2027, 1, 1, 0, 0, tzinfo=UTC), status="cancelled")  # 中止, in the future
    activity("環境課", datetime(2025, 6, 1, 0, 0, tzinfo=UTC))  # last year
    db.session.commit()

    r = row(overview.yearly_picture(2026, now=NOW), "環境課")

    assert (r.held, r.planned, r.cancelled) == (2, 2, 2)
    assert not r.not_yet


def test_participants_are_distinct_confirmed_present_people_of_their_own_department(app):
    first = activity("環境課", datetime(2026, 5, 10, 0, 0, tzinfo=UTC))
    second = activity("環境課", datetime(2026, 7, 10, 0, 0, tzinfo=UTC))
    future = activity("環境課", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    a, b, absent, waiting, later = (staff("税務課") for _ in range(5))
    signup(first, a, attended=True, minutes=120)
    signup(second, a, attended=True, minutes=90)
    signup(first, b)  # not yet recorded: counts as a participant, no minutes
    signup(first, absent, attended=False)
    signup(first, waiting, status="waitlisted")
    signup(second, make_user(Role.STAFF, department_id=dept("税務課").id), status="cancelled")
    signup(future, later)  # a planned activity: nobody has taken part yet
    db.session.commit()

    picture = overview.yearly_picture(2026, now=NOW)
    tax, env = row(picture, "税務課"), row(picture, "環境課")

    assert (tax.participants, tax.person_activities) == (2, 3)
    assert tax.minutes == 210 and tax.hours == 3.5
    assert tax.staff_count == 30 and tax.share == 7  # 2 / 30 = 6.7%
    assert tax.held == 0 and not tax.not_yet  # took part in another department's activity
    assert env.participants == 0 and env.held == 2
    assert picture.totals.participants == 2


def test_a_person_counts_for_the_department_they_signed_up_from(app):
    held = activity("環境課", datetime(2026, 5, 10, 0, 0, tzinfo=UTC))
    moved = staff("市民課")  # belongs to 市民課 now, signed up while in 税務課
    signup(held, moved, department="税務課", attended=True, minutes=60)
    db.session.commit()

    picture = overview.yearly_picture(2026, now=NOW)

    assert row(picture, "税務課").participants == 1
    assert row(picture, "市民課").participants == 0
    assert row(picture, "市民課").not_yet


def test_share_is_a_dash_when_the_staff_count_is_zero_and_rounds_half_up(app):
    held = activity("環境課", datetime(2026, 5, 10, 0, 0, tzinfo=UTC))
    dept("環境課").staff_count = 0
    dept("秘書課").staff_count = 8
    signup(held, staff("環境課"))
    signup(held, staff("秘書課"))
    db.session.commit()

    picture = overview.yearly_picture(2026, now=NOW)

    assert row(picture, "環境課").share is None
    assert row(picture, "秘書課").share == 13  # 12.5% rounds up


# --- fiscal year edges in Japan time ----------------------------------------------------------------------------

def test_31_march_belongs_to_the_previous_year_and_1_april_to_the_new_one_in_jst(app):
    activity("秘書課", datetime(2026, 3, 31, 14, 59, tzinfo=UTC))  # 31 Mar 23:59 JST → 2025年度
    activity("総務課", datetime(2026, 3, 31, 15, 0, tzinfo=UTC))  # 1 Apr 00:00 JST → 2026年度
    activity("財政課", datetime(2026, 3, 31, 23, 0, tzinfo=UTC))  # 1 Apr 08:00 JST (31 Mar in UTC) → 2026年度
    activity("税務課", datetime(2027, 3, 31, 14, 0, tzinfo=UTC))  # 31 Mar 2027 23:00 JST → 2026年度
    activity("市民課", datetime(2027, 3, 31, 15, 0, tzinfo=UTC))  # 1 Apr 2027 00:00 JST → 2027年度
    db.session.commit()
    later = datetime(2027, 6, 1, tzinfo=UTC)

    fy2025 = overview.yearly_picture(2025, now=later)
    fy2026 = overview.yearly_picture(2026, now=later)
    fy2027 = overview.yearly_picture(2027, now=later)

    assert {r.name for r in fy2025.rows if r.held} == {"秘書課"}
    assert {r.name for r in fy2026.rows if r.held} == {"総務課", "財政課", "税務課"}
    assert {r.name for r in fy2027.rows if r.held} == {"市民課"}
    assert overview.available_years(now=later) == [2027, 2026, 2025]


def test_available_years_include_the_current_one_without_activities(app):
    assert overview.available_years(now=NOW) == [2026]


# --- highlight, order, queries ------------------------------------------------------------------------------------

def test_departments_with_nothing_are_highlighted_and_planned_ones_say_so(app):
    activity("環境課", datetime(2026, 5, 10, 0, 0, tzinfo=UTC))
    activity("秘書課", datetime(2026, 12, 1, 0, 0, tzinfo=UTC))  # planned only
    db.session.commit()

    picture = overview.yearly_picture(2026, now=NOW)

    assert not row(picture, "環境課").not_yet
    assert row(picture, "秘書課").not_yet and overview.status_label(row(picture, "秘書課")) == "未実施（予定あり）"
    assert row(picture, "総務課").not_yet and overview.status_label(row(picture, "総務課")) == "未実施"
    assert picture.totals.departments_done == 1
    assert picture.totals.departments == len(picture.rows)


def test_only_active_departments_in_position_order_in_a_fixed_number_of_queries(app):
    dept("秘書課").active = False
    dept("税務課").position = -1
    for name in ("環境課", "市民課", "総務課"):
        a = activity(name, datetime(2026, 5, 10, 0, 0, tzinfo=UTC))
        signup(a, staff(name), attended=True, minutes=30)
    db.session.commit()

    with count_queries() as q:
        picture = overview.yearly_picture(2026, now=NOW)

    names = [r.name for r in picture.rows]
    assert "秘書課" not in names and names[0] == "税務課"
    assert q.count <= 4


# --- the page and the CSV -----------------------------------------------------------------------------------------

def _past_year_data():
    """FY2024 (wholly past): 環境課 held one activity with a 税務課 participant; 秘書課 nothing."""
    held = activity("環境課", datetime(2024, 6, 1, 0, 0, tzinfo=UTC))
    signup(held, staff("税務課"), attended=True, minutes=90)
    db.session.commit()


def _table_row(page: str, name: str) -> str:
    match = re.search(rf'<tr>\s*<th scope="row">{name}.*?</tr>', page, re.S)
    assert match, name
    return match.group(0)


def test_collaboration_staff_see_the_chart_the_table_and_the_highlight(app, client, login):
    _past_year_data()
    login(staff("市民協働課"))

    response = client.get("/ikka/overview?year=2024")
    page = response.get_data(as_text=True)

    assert response.status_code == 200 and "<html" in page
    assert re.search(r'<svg[^>]*role="img"[^>]*aria-labelledby="overview-chart-title overview-chart-desc"', page)
    assert '<title id="overview-chart-title">' in page
    assert '<caption id="overview-table-caption">2024年度 課ごとの実施状況</caption>' in page
    assert '<th scope="col">' in page
    assert "未実施" in _table_row(page, "秘書課")
    assert "実施済み" in _table_row(page, "環境課") and "未実施" not in _table_row(page, "環境課")
    tax = _table_row(page, "税務課")
    assert "実施済み" in tax and "1.5" in tax and "3%" in tax  # 1 of 30
    assert 'name="year"' in page and "表示する" in page and 'hx-push-url="true"' in page
    assert "/ikka/overview.csv?year=2024" in page and "CSVでダウンロード" in page


def test_a_year_switch_by_htmx_gets_only_the_picture(app, client, login):
    _past_year_data()
    login(staff("市民協働課"))

    response = client.get("/ikka/overview?year=2024", headers=HX)
    fragment = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<html" not in fragment and "<form" not in fragment
    assert fragment.lstrip().startswith('<div id="overview-picture">')
    assert "<svg" in fragment and "<table" in fragment
    assert "HX-Request" in response.headers["Vary"]


def test_without_a_year_the_current_fiscal_year_is_shown(app, client, login):
    login(make_user(Role.COORDINATOR))

    page = client.get("/ikka/overview").get_data(as_text=True)

    assert f"{fiscal_year(today_jst())}年度の状況" in page


@pytest.mark.parametrize("year", ["abc", "1999", "2101", "20261", "２０２６", "-2026"])
def test_a_year_that_is_not_a_plausible_fiscal_year_is_refused(app, client, login, year):
    login(make_user(Role.COORDINATOR))

    page = client.get(f"/ikka/overview?year={year}")
    assert page.status_code == 400 and "年度は2000〜2100の4桁の数字で指定してください。" in page.text
    assert client.get(f"/ikka/overview.csv?year={year}").status_code == 400


def test_csv_has_a_bom_a_header_and_one_row_per_active_department(app, client, login):
    _past_year_data()
    dept("秘書課").active = False
    db.session.commit()
    active = db.session.scalar(select(db.func.count(Department.id)).where(Department.active.is_(True)))
    login(make_user(Role.COORDINATOR))

    response = client.get("/ikka/overview.csv?year=2024")
    text = response.get_data().decode("utf-8")
    lines = text.removeprefix("\ufeff").split("\r\n")[:-1]

    assert response.status_code == 200
    assert response.mimetype == "text/csv" and response.mimetype_params["charset"] == "utf-8"
    assert response.headers["Content-Disposition"] == 'attachment; filename="1ka1vol_2024.csv"'
    assert text.startswith("\ufeff年度,課,部,職員数,")
    assert len(lines) == 1 + active
    tax = next(line for line in lines if ",税務課," in line)
    assert tax.startswith("2024,税務課,財務部,30,0,0,0,1,1,1.5,3,実施済み")
    assert not any(",秘書課," in line for line in lines)


# --- who may see it -----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("who", "status"), [
    ("collaboration", 200), ("other_staff", 403), ("coordinator", 200), ("admin", 200), ("volunteer", 403),
    ("group_rep", 403),
])
def test_who_may_open_the_page_and_the_csv(app, client, login, who, status):
    user = {
        "collaboration": lambda: staff("市民協働課"),
        "other_staff": lambda: staff("税務課"),
        "coordinator": lambda: make_user(Role.COORDINATOR),
        "admin": lambda: make_user(Role.ADMIN),
        "volunteer": lambda: make_user(Role.VOLUNTEER),
        "group_rep": lambda: make_user(Role.GROUP_REP),
    }[who]()
    login(user)

    assert client.get("/ikka/overview?year=2026").status_code == status
    assert client.get("/ikka/overview.csv?year=2026").status_code == status


def test_anonymous_visitors_are_sent_to_login(app, client):
    for url in ("/ikka/overview", "/ikka/overview.csv"):
        response = client.get(url)
        assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_staff_without_a_department_are_told_why_and_get_no_numbers(app, client, login):
    _past_year_data()
    login(make_user(Role.STAFF))

    page = client.get("/ikka/overview?year=2024")
    csv = client.get("/ikka/overview.csv?year=2024")

    assert page.status_code == 200 and "所属する課が登録されていない" in page.get_data(as_text=True)
    assert "<table" not in page.get_data(as_text=True)
    assert csv.status_code == 303 and "/ikka/overview" in csv.headers["Location"]
