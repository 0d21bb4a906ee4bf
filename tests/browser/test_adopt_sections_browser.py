"""Adopt sections in a real browser: the list with the Leaflet map drawn under the real CSP, filters through htmx,
a section's page and the section form (axe + phone/desktop screenshots)."""

from __future__ import annotations

import struct
import zlib
from datetime import date

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import ActivityReport, AdoptAgreement, Adoption, AdoptSection, Department, Role
from tests.browser.conftest import sign_in
from tests.factories import make_group

pytestmark = pytest.mark.browser

TILES = "https://cyberjapandata.gsi.go.jp/xyz/std/**"
RIVER = {"type": "LineString", "coordinates": [[136.905, 35.49], [136.915, 35.495], [136.925, 35.493]]}
PARK = {"type": "Polygon", "coordinates": [[[136.93, 35.50], [136.935, 35.50], [136.935, 35.505],
                                            [136.93, 35.505], [136.93, 35.50]]]}


def _tile() -> bytes:
    """A plain 256×256 PNG standing in for 地理院タイル (this machine is offline)."""
    raw = b"".join(b"\x00" + b"\xee\xee\xe8" * 256 for _ in range(256))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 256, 256, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))


def _serve_tiles(page) -> None:
    png = _tile()
    page.context.route(TILES, lambda route: route.fulfill(body=png, content_type="image/png"))


@pytest.fixture(scope="module")
def seeded(live_server):
    """Two sections with shapes, one adopted with reports; returns their ids and a department id."""
    with live_server.app.app_context():
        dept = db.session.scalars(select(Department).order_by(Department.id)).first()
        river = AdoptSection(name="関川（本町〜西本郷）", kind="river", status="active", department_id=dept.id,
                             geometry=RIVER, length_m=1200, start_point="本町橋", end_point="西本郷橋",
                             description="川沿いの遊歩道と河川敷。")
        park = AdoptSection(name="安桜山公園の花壇", kind="park", status="open", department_id=dept.id,
                            geometry=PARK, area_m2=3200)
        db.session.add_all([river, park])
        db.session.flush()
        group = make_group("関川をきれいにする会", commit=False)
        adoption = Adoption(section_id=river.id, group_id=group.id, status="agreed")
        db.session.add(adoption)
        db.session.flush()
        agreement = AdoptAgreement(adoption_id=adoption.id, section_id=river.id, group_id=group.id,
                                   starts_on=date(2025, 4, 1), ends_on=date(2026, 3, 31))
        db.session.add(agreement)
        db.session.flush()
        for day, people in ((date(2025, 5, 10), 12), (date(2026, 4, 20), 9)):
            db.session.add(ActivityReport(agreement_id=agreement.id, section_id=river.id, activity_date=day,
                                          participants=people, bags=3, kg_tenths=45))
        db.session.commit()
        ids = {"river": river.id, "park": park.id, "dept": dept.id}
        db.session.remove()
    return ids


def test_list_draws_the_map_under_the_real_csp_and_filters_with_htmx(open_page, live_server, seeded, check_page,
                                                                     expect):
    page, log = open_page(bypass_csp=False)  # the real CSP: Leaflet from its CDN, tiles from 地理院
    _serve_tiles(page)
    page.goto("/adopt/")
    page.wait_for_selector("#adopt-map.leaflet-container")
    page.wait_for_selector("#adopt-map path.leaflet-interactive")
    assert page.locator("#adopt-map path.leaflet-interactive").count() == 2
    expect(page.locator("#adopt-map .leaflet-control-attribution a", has_text="地理院タイル")).to_have_attribute(
        "href", "https://maps.gsi.go.jp/development/ichiran.html")
    page.get_by_label("公園").check()
    expect(page.locator("#adopt-results .adopt-card")).to_have_count(1)
    assert "kind=park" in page.url
    expect(page.locator("#adopt-map path.leaflet-interactive")).to_have_count(1)
    assert not log.csp_messages(), log.csp_messages()
    assert not log.page_errors, log.page_errors

    page, _ = open_page()  # axe needs the CSP bypass to be injected
    _serve_tiles(page)
    page.goto("/adopt/")
    page.wait_for_selector("#adopt-map path.leaflet-interactive")
    check_page(page, "adopt-list")


def test_list_works_without_the_map(open_page, live_server, seeded, expect):
    page, _ = open_page(bypass_csp=False)
    page.context.unroute(live_server.app.config["KYODO_LEAFLET_JS_URL"])  # the CDN is blocked: no Leaflet
    page.goto("/adopt/")
    expect(page.locator("#adopt-results .adopt-card")).to_have_count(2)
    expect(page.locator("#adopt-map")).to_be_hidden()
    expect(page.locator(".adopt-map__caption").first).to_be_visible()


def test_section_page(open_page, live_server, seeded, check_page, expect):
    page, log = open_page()
    _serve_tiles(page)
    page.goto(f"/adopt/sections/{seeded['river']}")
    page.wait_for_selector("#adopt-map path.leaflet-interactive")
    expect(page.get_by_role("heading", level=1)).to_have_text("関川（本町〜西本郷）")
    expect(page.locator(".adopt-facts")).to_contain_text("関川をきれいにする会")
    expect(page.locator("table.adopt-table tbody tr")).to_have_count(2)
    check_page(page, "adopt-section")
    assert not log.page_errors, log.page_errors


def test_section_form_draws_the_geojson_and_refuses_a_bad_one(open_page, live_server, live_user, seeded,
                                                              check_page, expect):
    email = live_user(Role.STAFF, department_id=seeded["dept"])
    page, log = open_page(bypass_csp=False)
    _serve_tiles(page)
    sign_in(page, email)
    page.goto(f"/adopt/sections/{seeded['park']}/edit")
    page.wait_for_selector("#section-form-map path.leaflet-interactive")
    page.fill("textarea[name=geometry_text]", '{"type": "Point", "coordinates": [136.9, 35.5]}')
    page.get_by_role("button", name="保存する").click()
    expect(page.locator("#geometry_text-error")).to_contain_text("線（LineString・MultiLineString）")
    page.wait_for_selector("#section-form-map.leaflet-container")  # the swapped-in form has its map again
    assert not log.csp_messages(), log.csp_messages()

    page, _ = open_page()
    _serve_tiles(page)
    sign_in(page, email)
    page.goto(f"/adopt/sections/{seeded['park']}/edit")
    page.wait_for_selector("#section-form-map path.leaflet-interactive")
    check_page(page, "adopt-section-form")
