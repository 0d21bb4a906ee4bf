"""Adopt sections: the public list and its filters, who may post and edit, GeoJSON checks, results and open data."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlalchemy import func, select

from kyodo_match.extensions import db
from kyodo_match.i18n import fiscal_year
from kyodo_match.models import ActivityReport, AdoptAgreement, Adoption, AdoptSection, Department, District, Role
from tests.factories import make_group

LINE = {"type": "LineString", "coordinates": [[136.91, 35.49], [136.92, 35.50]]}
SQUARE = {"type": "Polygon", "coordinates": [[[136.9, 35.4], [136.91, 35.4], [136.91, 35.41], [136.9, 35.4]]]}


def _dept(name: str | None = None) -> Department:
    query = select(Department).order_by(Department.id)
    if name:
        query = query.where(Department.name == name)
    return db.session.scalars(query).first()


def _other_dept(dept: Department) -> Department:
    return db.session.scalars(select(Department).where(Department.id != dept.id).order_by(Department.id)).first()


def make_section(name="安桜山公園", *, kind="park", status="open", dept=None, district=None, geometry=SQUARE,
                 **extra) -> AdoptSection:
    section = AdoptSection(name=name, kind=kind, status=status, department_id=(dept or _dept()).id,
                           district_id=district.id if district else None, geometry=geometry, **extra)
    db.session.add(section)
    db.session.commit()
    return section


def make_agreement(section: AdoptSection, group_name="関川をきれいにする会", status="active") -> AdoptAgreement:
    group = make_group(group_name)
    adoption = Adoption(section_id=section.id, group_id=group.id, status="agreed")
    db.session.add(adoption)
    db.session.flush()
    agreement = AdoptAgreement(adoption_id=adoption.id, section_id=section.id, group_id=group.id,
                               starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31), status=status,
                               contact_name="連絡 花子", contact_phone="090-1111-2222")
    db.session.add(agreement)
    db.session.commit()
    return agreement


def add_report(agreement: AdoptAgreement, day: date, participants: int, bags: int, kg_tenths: int) -> None:
    db.session.add(ActivityReport(agreement_id=agreement.id, section_id=agreement.section_id, activity_date=day,
                                  participants=participants, bags=bags, kg_tenths=kg_tenths))
    db.session.commit()


def _form(**overrides) -> dict:
    data = {"name": "関川（本町〜西本郷）", "kind": "river", "district_id": "", "description": "川沿いの遊歩道",
            "start_point": "本町橋", "end_point": "西本郷橋", "geometry_text": json.dumps(LINE),
            "length_m": "1200", "area_m2": "", "min_activities_per_year": "4", "status": "open"}
    data.update(overrides)
    return data


# --- the public list ------------------------------------------------------------------------------------------

def test_list_filters_by_kind_status_and_district(client):
    district = db.session.scalars(select(District).order_by(District.id)).first()
    make_section("道路のA", kind="road", status="open", district=district)
    make_section("河川のB", kind="river", status="active")
    make_section("公園のC", kind="park", status="open")
    everything = client.get("/adopt/").get_data(as_text=True)
    assert all(n in everything for n in ("道路のA", "河川のB", "公園のC"))

    roads = client.get("/adopt/?kind=road").get_data(as_text=True)
    assert "道路のA" in roads and "河川のB" not in roads and "公園のC" not in roads

    open_ = client.get("/adopt/?status=open").get_data(as_text=True)
    assert "道路のA" in open_ and "公園のC" in open_ and "河川のB" not in open_

    here = client.get(f"/adopt/?district={district.id}").get_data(as_text=True)
    assert "道路のA" in here and "公園のC" not in here

    odd = client.get("/adopt/?kind=%3Cscript%3E&status=x&district=abc&page=-4")
    assert odd.status_code == 200 and "公園のC" in odd.get_data(as_text=True)


def test_list_shows_status_as_text_and_pages(client):
    for n in range(23):
        make_section(f"区間{n:02d}", status="active" if n % 2 else "open")
    first = client.get("/adopt/").get_data(as_text=True)
    assert "募集中" in first and "活動中" in first
    assert first.count('class="card adopt-card"') == 20
    second = client.get("/adopt/?page=2").get_data(as_text=True)
    assert second.count('class="card adopt-card"') == 3


def test_list_is_a_full_page_or_the_results_fragment_for_htmx(client):
    make_section("道路のA", kind="road")
    page = client.get("/adopt/?kind=road")
    assert page.status_code == 200 and "HX-Request" in page.headers["Vary"]
    html = page.get_data(as_text=True)
    assert "<html" in html and 'id="adopt-map"' in html and 'hx-push-url="true"' in html
    fragment = client.get("/adopt/?kind=road", headers={"HX-Request": "true"})
    body = fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    assert "<html" not in body and body.strip().startswith('<div id="adopt-results"') and "道路のA" in body
    assert 'data-geojson-url="/adopt/sections.geojson?kind=road"' in body


def test_map_has_an_accessible_name_and_loads_leaflet_with_sri(client, app):
    html = client.get("/adopt/").get_data(as_text=True)
    assert 'role="region" aria-label="区間の地図"' in html
    assert f'src="{app.config["KYODO_LEAFLET_JS_URL"]}" integrity="{app.config["KYODO_LEAFLET_JS_SRI"]}"' in html
    assert "<script>" not in html  # no inline script
    csp = client.get("/adopt/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://cyberjapandata.gsi.go.jp" in csp
    assert "style-src 'self' https://cdn.jsdelivr.net" in csp


# --- the section page -----------------------------------------------------------------------------------------

def test_section_page_shows_the_adopter_and_its_results_without_the_private_contact(client):
    section = make_section("関川", kind="river", length_m=800, start_point="本町橋", end_point="西本郷橋")
    agreement = make_agreement(section)
    add_report(agreement, date(2025, 5, 10), 12, 5, 83)
    add_report(agreement, date(2026, 3, 31), 8, 2, 20)   # still 2025年度
    add_report(agreement, date(2026, 4, 1), 5, 1, 7)     # 2026年度
    html = client.get(f"/adopt/sections/{section.id}").get_data(as_text=True)
    assert "関川をきれいにする会" in html and "本町橋 から 西本郷橋 まで" in html
    assert "2025年度" in html and "2026年度" in html and "20人" in html  # 12 + 8 in 2025年度
    assert "延べ 25人" in html and "ごみ袋 8袋・11.0 kg" in html
    assert "連絡 花子" not in html and "090-1111-2222" not in html
    assert client.get("/adopt/sections/999999").status_code == 404


# --- posting and editing --------------------------------------------------------------------------------------

def test_staff_posts_a_section_for_their_own_department(client, login_as):
    dept = _dept()
    login_as(Role.STAFF, department_id=dept.id)
    form = client.get("/adopt/sections/new").get_data(as_text=True)
    assert 'name="department_id"' not in form  # staff get their own department
    response = client.post("/adopt/sections/new", data=_form())
    assert response.status_code == 303
    section = db.session.scalars(select(AdoptSection)).one()
    assert section.department_id == dept.id and section.length_m == 1200 and section.geometry == LINE


def test_coordinator_chooses_the_department(client, login_as):
    dept = _other_dept(_dept())
    login_as(Role.COORDINATOR)
    assert 'name="department_id"' in client.get("/adopt/sections/new").get_data(as_text=True)
    missing = client.post("/adopt/sections/new", data=_form())
    assert missing.status_code == 422 and db.session.scalar(select(func.count(AdoptSection.id))) == 0
    assert client.post("/adopt/sections/new", data=_form(department_id=str(dept.id))).status_code == 303
    assert db.session.scalars(select(AdoptSection)).one().department_id == dept.id


def test_staff_of_another_department_cannot_edit(client, login_as):
    section = make_section("関川")
    login_as(Role.STAFF, department_id=_other_dept(_dept()).id)
    assert client.get(f"/adopt/sections/{section.id}/edit").status_code == 403
    assert client.post(f"/adopt/sections/{section.id}/edit", data=_form(name="書き換え")).status_code == 403
    db.session.expire_all()
    assert db.session.get(AdoptSection, section.id).name == "関川"


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.GROUP_REP])
def test_citizens_cannot_post_sections(client, login_as, role):
    login_as(role)
    assert client.post("/adopt/sections/new", data=_form()).status_code == 403
    assert db.session.scalar(select(func.count(AdoptSection.id))) == 0


def test_managing_department_edits_its_section(client, login_as):
    section = make_section("関川", dept=_dept())
    login_as(Role.STAFF, department_id=_dept().id)
    response = client.post(f"/adopt/sections/{section.id}/edit",
                           data=_form(name="関川（延長）", status="paused", geometry_text=json.dumps(SQUARE)))
    assert response.status_code == 303
    db.session.expire_all()
    edited = db.session.get(AdoptSection, section.id)
    assert edited.name == "関川（延長）" and edited.status == "paused" and edited.geometry == SQUARE


BAD_GEOMETRY = {
    "not json": ("{oops", "GeoJSONとして読めません"),
    "a point": (json.dumps({"type": "Point", "coordinates": [136.9, 35.5]}), "線（LineString・MultiLineString）"),
    "outside Gifu": (json.dumps({"type": "LineString", "coordinates": [[139.7, 35.6], [139.8, 35.7]]}),
                     "岐阜県の範囲"),
    "lat and lon swapped": (json.dumps({"type": "LineString", "coordinates": [[35.49, 136.91], [35.5, 136.92]]}),
                            "岐阜県の範囲"),
    "too many points": (json.dumps({"type": "LineString",
                                    "coordinates": [[136.9 + i * 1e-5, 35.5] for i in range(2001)]}),
                        "点の数が多すぎます"),
    "open polygon": (json.dumps({"type": "Polygon", "coordinates": [[[136.9, 35.4], [136.91, 35.4],
                                                                     [136.91, 35.41], [136.92, 35.42]]]}),
                     "閉じてください"),
    "strings as numbers": (json.dumps({"type": "LineString", "coordinates": [["136.9", "35.5"], [136.9, 35.6]]}),
                           "数の組"),
    "one point line": (json.dumps({"type": "LineString", "coordinates": [[136.9, 35.5]]}), "2点以上"),
}


@pytest.mark.parametrize("case", list(BAD_GEOMETRY))
def test_bad_geojson_is_refused_beside_the_field_and_nothing_is_written(client, login_as, case):
    text, message = BAD_GEOMETRY[case]
    login_as(Role.STAFF, department_id=_dept().id)
    response = client.post("/adopt/sections/new", data=_form(geometry_text=text),
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="geometry_text-error"' in body and message in body
    assert body.strip().startswith('<div id="section-form"')
    assert db.session.scalar(select(func.count(AdoptSection.id))) == 0


def test_bad_numbers_are_refused_beside_their_fields(client, login_as):
    login_as(Role.STAFF, department_id=_dept().id)
    response = client.post("/adopt/sections/new", data=_form(length_m="-5", min_activities_per_year="0"))
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert 'id="length_m-error"' in body and 'id="min_activities_per_year-error"' in body
    assert db.session.scalar(select(func.count(AdoptSection.id))) == 0


# --- results and open data ------------------------------------------------------------------------------------

def test_fiscal_year_runs_from_april_to_march():
    assert fiscal_year(date(2026, 3, 31)) == 2025 and fiscal_year(date(2026, 4, 1)) == 2026


def test_program_results_equal_the_sum_of_the_reports(client):
    river = make_section("関川", kind="river", length_m=1500, geometry=LINE)
    park = make_section("安桜山公園", kind="park", area_m2=3200)
    make_section("募集中の道", kind="road", length_m=9999)  # no agreement: not adopted km
    a1 = make_agreement(river, "関川をきれいにする会")
    a2 = make_agreement(park, "安桜山の会")
    rows = [(a1, date(2025, 6, 1), 10, 4, 55), (a1, date(2026, 2, 1), 6, 2, 18), (a2, date(2026, 5, 3), 15, 7, 91)]
    for agreement, day, people, bags, kg in rows:
        add_report(agreement, day, people, bags, kg)
    html = client.get("/adopt/results").get_data(as_text=True)
    assert "2団体" in html and "1.5 km" in html and "3,200 ㎡" in html
    assert f"{len(rows)}回" in html and f"{sum(r[2] for r in rows)}人" in html
    assert f"{sum(r[3] for r in rows)}袋" in html and f"{sum(r[4] for r in rows) / 10:,.1f} kg" in html
    assert "2025年度" in html and "2026年度" in html


def test_results_csv_has_a_bom_crlf_and_neutralises_formulas(client):
    section = make_section("=HYPERLINK(\"http://evil\")", kind="road", length_m=100)
    add_report(make_agreement(section), date(2025, 7, 1), 3, 1, 12)
    response = client.get("/adopt/results.csv")
    raw = response.get_data()
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert raw.startswith("\ufeff".encode()) and b"\r\n" in raw
    text = raw.decode("utf-8")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text
    assert "連絡 花子" not in text and "090-1111-2222" not in text
    assert text.splitlines()[1].endswith("関川をきれいにする会,1,3,1,1.2")


def test_geojson_export_is_a_valid_feature_collection_of_public_fields(client):
    drawn = make_section("関川", kind="river", status="active", geometry=LINE)
    make_section("形のない区間", geometry=None)
    make_agreement(drawn)
    response = client.get("/adopt/sections.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    data = json.loads(response.get_data(as_text=True))
    assert data["type"] == "FeatureCollection"
    assert [f["properties"]["name"] for f in data["features"]] == ["関川"]
    feature = data["features"][0]
    assert feature["type"] == "Feature" and feature["geometry"] == LINE
    assert feature["properties"]["status"] == "active" and feature["properties"]["status_label"] == "活動中"
    assert feature["properties"]["adopter"] == "関川をきれいにする会"
    assert feature["properties"]["url"].endswith(f"/adopt/sections/{drawn.id}")
    body = response.get_data(as_text=True)
    assert "連絡 花子" not in body and "090-1111-2222" not in body and "created_by" not in body
    assert json.loads(client.get("/adopt/sections.geojson?kind=park").get_data(as_text=True))["features"] == []
    only = json.loads(client.get(f"/adopt/sections.geojson?section={drawn.id}").get_data(as_text=True))
    assert len(only["features"]) == 1


def test_staff_without_a_department_cannot_post_sections(client, login_as):
    login_as(Role.STAFF)  # no department: the page says why, and a POST is refused
    response = client.get("/adopt/sections/new")
    assert response.status_code == 200 and "担当課が登録されていない" in response.get_data(as_text=True)
    assert 'name="name"' not in response.get_data(as_text=True)
    assert client.post("/adopt/sections/new", data=_form()).status_code == 403
    assert db.session.scalar(select(func.count(AdoptSection.id))) == 0
