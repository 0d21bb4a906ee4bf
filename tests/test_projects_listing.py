"""The public project list: facets, sort and pages held in the URL, the same answer as a page or an htmx fragment."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from kyodo_match import search
from kyodo_match.extensions import db
from kyodo_match.models import ActivityField, District
from kyodo_match.projects.services import schedule_days
from tests.factories import make_project

TODAY = date.today()


def _titles(response) -> list[str]:
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return re.findall(r'class="project-card__title"><a href="/issues/\d+">([^<]+)</a>', html)


def _district(name: str) -> District:
    return db.session.scalar(select(District).where(District.name == name))


def _field(code: int) -> ActivityField:
    return db.session.get(ActivityField, code)


def _published(title: str, **fields):
    fields.setdefault("published_at", None)
    return make_project(title=title, status=fields.pop("status", "recruiting"), commit=False, **fields)


@pytest.fixture
def catalogue(app):
    """Five published projects that differ in one facet each, and a draft that never shows."""
    itadori = _published("板取の見守り", districts=[_district("板取")], fields=[_field(1)], domain="government_led",
                         method="commission", schedule_slots=["wed_am"], on_weekdays=True,
                         recruit_until=TODAY + timedelta(days=5))
    citywide = _published("市全域の防災訓練", fields=[_field(3)],
                          schedule_dates=[(TODAY + timedelta(days=20)).isoformat()], on_weekends=True,
                          recruit_until=TODAY + timedelta(days=60))
    ose = _published("富岡のごみ拾い", districts=[_district("富岡")], fields=[_field(4)],
                     schedule_slots=["sat_am"], on_weekends=True, recruit_until=TODAY + timedelta(days=25))
    running = _published("実施中の子ども食堂", status="running", fields=[_field(2)],
                         recruit_until=TODAY - timedelta(days=3))
    closed_call = _published("締切が過ぎた募集", recruit_until=TODAY - timedelta(days=1))
    make_project(title="検討中の下書き", status="draft", commit=False)
    db.session.commit()
    search.rebuild()
    return {"itadori": itadori, "citywide": citywide, "ose": ose, "running": running, "closed": closed_call}


def test_every_published_project_is_listed_and_no_draft(client, catalogue):
    titles = _titles(client.get("/issues/"))
    assert set(titles) == {"板取の見守り", "市全域の防災訓練", "富岡のごみ拾い", "実施中の子ども食堂",
                           "締切が過ぎた募集"}


def test_a_district_keeps_city_wide_projects_but_not_other_districts(client, catalogue):
    titles = _titles(client.get(f"/issues/?district={_district('板取').id}"))
    assert "板取の見守り" in titles and "市全域の防災訓練" in titles
    assert "富岡のごみ拾い" not in titles


def test_field_domain_method_and_status_each_narrow_the_list(client, catalogue):
    assert _titles(client.get("/issues/?field=4")) == ["富岡のごみ拾い"]
    assert _titles(client.get("/issues/?domain=government_led")) == ["板取の見守り"]
    assert _titles(client.get("/issues/?method=commission&field=1")) == ["板取の見守り"]
    assert _titles(client.get("/issues/?status=running")) == ["実施中の子ども食堂"]


def test_recruiting_now_leaves_out_running_projects_and_past_deadlines(client, catalogue):
    titles = _titles(client.get("/issues/?open=1"))
    assert set(titles) == {"板取の見守り", "市全域の防災訓練", "富岡のごみ拾い"}


def test_weekend_and_weekday_filters_read_slots_and_dates(client, catalogue):
    assert set(_titles(client.get("/issues/?days=weekend"))) == {"市全域の防災訓練", "富岡のごみ拾い"}
    assert _titles(client.get("/issues/?days=weekday")) == ["板取の見守り"]


def test_deadline_within_a_week_and_sorting_by_deadline(client, catalogue):
    assert _titles(client.get("/issues/?deadline=7")) == ["板取の見守り"]
    by_deadline = _titles(client.get("/issues/?open=1&sort=deadline"))
    assert by_deadline == ["板取の見守り", "富岡のごみ拾い", "市全域の防災訓練"]


def test_search_text_and_a_facet_combine_and_the_htmx_fragment_matches_the_page(client, catalogue):
    url = "/issues/?q=ゴミ拾い&open=1"
    page = client.get(url)
    fragment = client.get(url, headers={"HX-Request": "true"})
    assert _titles(page) == _titles(fragment) == ["富岡のごみ拾い"]
    assert "<html" not in fragment.get_data(as_text=True) and "HX-Request" in fragment.headers["Vary"]
    html = page.get_data(as_text=True)
    assert 'id="filter-open" checked' in html and 'value="ゴミ拾い"' in html  # the URL reproduces the form


@pytest.mark.parametrize("query", ["field=abc", "district=99999999999", "domain=<script>", "status=draft",
                                   "days=someday", "deadline=-1", "deadline=999", "sort=random", "page=-3",
                                   "q=" + "草" * 5000, "q=field:secret*", 'q="unbalanced'])
def test_odd_filter_values_are_ignored_never_an_error(client, catalogue, query):
    response = client.get(f"/issues/?{query}")
    assert response.status_code == 200
    assert "検討中の下書き" not in response.get_data(as_text=True)


def test_page_links_keep_every_filter(client, app):
    for n in range(23):
        make_project(title=f"週末の清掃 {n:02d}", status="recruiting", schedule_slots=["sun_am"], on_weekends=True,
                     commit=False)
    db.session.commit()
    html = client.get("/issues/?days=weekend&sort=deadline").get_data(as_text=True)
    assert 'href="/issues/?days=weekend&amp;sort=deadline&amp;page=2"' in html
    assert len(_titles(client.get("/issues/?days=weekend&sort=deadline&page=2"))) == 3


def test_query_count_does_not_grow_with_the_number_of_projects(client, app, queries):
    counts = []
    for total in (3, 20):
        for n in range(total - (3 if counts else 0)):
            make_project(title=f"事業 {total}-{n}", status="recruiting", districts=[_district("板取")],
                         fields=[_field(1), _field(2)], commit=False)
        db.session.commit()
        with queries() as q:
            client.get(f"/issues/?field=1&district={_district('板取').id}&open=1")
        counts.append(q.count)
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(("slots", "dates", "expected"), [
    (["mon_am"], [], (True, False)),
    (["sat_pm", "sun_am"], [], (False, True)),
    ([], ["2026-04-04"], (False, True)),  # a Saturday
    ([], ["2026-04-06", "not-a-date"], (True, False)),  # a Monday; odd stored values are skipped
    ([], [], (False, False)),
])
def test_schedule_days_reads_weekly_slots_and_dates(slots, dates, expected):
    assert schedule_days(slots, dates) == expected


def test_the_draft_form_saves_skills_slots_and_dates(client, login_as, app):
    from kyodo_match.models import Department, Project, Role, Skill

    dept = db.session.scalar(select(Department).where(Department.name == "環境課"))
    login_as(Role.STAFF, department_id=dept.id)
    skill = db.session.scalar(select(Skill).where(Skill.name == "草刈り"))
    saturday = date(2027, 5, 8)
    response = client.post("/issues/new", data={
        "kind": "project", "title": "土曜の草刈り", "selection_method": "open_call", "skill_ids": [str(skill.id)],
        "schedule_slots": ["sat_am"], "schedule_dates": f"{saturday.isoformat()}\n２０２７-０５-０９"})
    assert response.status_code == 303
    project = db.session.scalar(select(Project).where(Project.title == "土曜の草刈り"))
    assert [s.name for s in project.skills] == ["草刈り"]
    assert project.schedule_slots == ["sat_am"] and project.schedule_dates == ["2027-05-08", "2027-05-09"]
    assert project.on_weekends and not project.on_weekdays
    bad = client.post("/issues/new", data={"kind": "project", "title": "日付の誤り", "selection_method": "open_call",
                                           "schedule_dates": "来週の土曜"})
    assert bad.status_code == 422 and "「来週の土曜」は日付として読めません" in bad.get_data(as_text=True)
    assert db.session.scalar(select(Project).where(Project.title == "日付の誤り")) is None
