"""Issue 7 in a real browser under the strict CSP (no bypass), with axe and phone/desktop screenshots: a group's
representative applies for a section (htmx form, 422 beside the field first), the department and the centre approve
in /adopt/adoptions (htmx row swaps), the department writes the agreement (合意書), and the agreement page."""

from __future__ import annotations

import re
import uuid

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Adoption, AdoptSection, Department, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 422\b")


def _setup(live_server):
    from tests.factories import make_group, make_user

    tag = uuid.uuid4().hex[:6]
    who = {k: live_server.unique_email(k) for k in ("staff", "centre", "rep")}
    with live_server.app.app_context():
        dept = db.session.scalar(select(Department).where(Department.name == "土木課"))
        make_user(Role.STAFF, email=who["staff"], department_id=dept.id, display_name=f"土木課 担当{tag}")
        make_user(Role.COORDINATOR, email=who["centre"])
        rep = make_user(Role.GROUP_REP, email=who["rep"])
        make_group(f"小瀬をきれいにする会{tag}", representative=rep)
        section = AdoptSection(name=f"小瀬の市道 {tag}", kind="road", department_id=dept.id, start_point="小瀬交差点",
                               end_point="鮎之瀬橋", min_activities_per_year=4)
        db.session.add(section)
        db.session.commit()
        ids = {"section": section.id}
        db.session.remove()
    return who, ids, tag


def _adoption_id(live_server, section_id: int) -> int:
    with live_server.app.app_context():
        found = db.session.scalar(select(Adoption.id).where(Adoption.section_id == section_id))
        db.session.remove()
    return found


def _approve(page, check_page, expect, adoption_id: int, button: str, name: str) -> None:
    page.goto("/adopt/adoptions")
    row = page.locator(f"#adoption-row-{adoption_id}")
    expect(row).to_be_visible()
    check_page(page, f"{name}-queue")
    page.evaluate("window.__marker = 1")
    with page.expect_response(lambda r: r.request.method == "POST" and "/step" in r.url) as answer:
        row.get_by_role("button", name=button).click()
    assert answer.value.status == 200 and answer.value.request.headers.get("hx-request") == "true"
    expect(row.get_by_role("button", name=button)).to_have_count(0)
    assert page.evaluate("window.__marker") == 1, "approving reloaded the page instead of swapping the row"
    check_page(page, f"{name}-approved")


def test_apply_approve_agreement(open_page, check_page, expect, live_server):
    who, ids, tag = _setup(live_server)
    section_id = ids["section"]

    rep, rep_log = open_page(bypass_csp=False)
    sign_in(rep, who["rep"])
    rep.goto(f"/adopt/sections/{section_id}/apply")
    check_page(rep, "apply-form")
    rep.evaluate("window.__marker = 1")
    rep.get_by_label("清掃").check()
    rep.get_by_label("草刈り").check()
    rep.fill("#plan", "毎月第2日曜の朝に、会員と近所の方で清掃します。")
    rep.fill("#times_per_year", "2")  # below the section's minimum: 422 beside the field, swapped by htmx
    rep.fill("#members_count", "8")
    rep.locator("#has_insurance-0").check()
    rep.locator("#local_tie-0").check()
    rep.get_by_label("1年以上続けて活動します").check()
    rep.get_by_label("誰でも参加でき、営利を目的としない活動です").check()
    with rep.expect_response(lambda r: r.request.method == "POST") as answer:
        rep.get_by_role("button", name="この内容で申請する").click()
    assert answer.value.status == 422
    expect(rep.locator("#times_per_year-error")).to_contain_text("年4回以上")
    assert rep.evaluate("window.__marker") == 1, "the form reloaded the page instead of swapping in"
    check_page(rep, "apply-422")
    rep.fill("#times_per_year", "12")
    with rep.expect_response(lambda r: r.request.method == "POST") as answer:
        rep.get_by_role("button", name="この内容で申請する").click()
    assert answer.value.request.headers.get("hx-request") == "true"
    rep.wait_for_url(re.compile(r"/adopt/adoptions/\d+$"))
    adoption_id = _adoption_id(live_server, section_id)
    expect(rep.locator(f"#adoption-{adoption_id}")).to_contain_text("申請中")
    check_page(rep, "adoption-applied")

    staff, staff_log = open_page(bypass_csp=False)
    sign_in(staff, who["staff"])
    _approve(staff, check_page, expect, adoption_id, "担当課として承認する", "department")

    centre, centre_log = open_page(bypass_csp=False)
    sign_in(centre, who["centre"])
    _approve(centre, check_page, expect, adoption_id, "センターとして承認する", "centre")
    expect(centre.locator(f"#adoption-row-{adoption_id}")).to_contain_text("承認済み")

    staff.goto("/adopt/adoptions")
    staff.locator(f"#adoption-row-{adoption_id}").get_by_role("link", name="合意書を作成する").click()
    staff.wait_for_url(f"**/adopt/adoptions/{adoption_id}/agreement")
    expect(staff.locator("#group_duties")).to_contain_text("活動報告")
    staff.fill("#contact_name", f"関 一郎{tag}")
    staff.fill("#contact_phone", "0575-99-1234")
    staff.check("#sign_approved")
    check_page(staff, "agreement-form")
    staff.get_by_role("button", name="この内容で合意書を作成する").click()
    staff.wait_for_url(re.compile(r"/adopt/agreements/\d+$"))
    sheet = staff.locator(".adopt-agreement")
    expect(sheet).to_contain_text("0575-99-1234")
    expect(sheet).to_contain_text(f"小瀬をきれいにする会{tag}")
    expect(staff.get_by_role("button", name="この合意書を印刷する")).to_be_visible()
    check_page(staff, "agreement")
    staff.emulate_media(media="print")
    expect(staff.get_by_role("button", name="この合意書を印刷する")).to_be_hidden()
    expect(staff.locator(".agreement-change-form")).to_be_hidden()
    staff.screenshot(path=check_page.screenshot_path("agreement-print"), full_page=True, caret="initial")
    staff.emulate_media(media="screen")

    visitor, visitor_log = open_page(bypass_csp=False)
    visitor.goto(staff.url.replace(live_server.url, ""))
    expect(visitor.locator(".adopt-agreement")).to_contain_text(f"小瀬の市道 {tag}")
    expect(visitor.locator("main")).not_to_contain_text("0575-99-1234")
    check_page(visitor, "agreement-public")

    for side, log in (("rep", rep_log), ("department", staff_log), ("centre", centre_log), ("visitor", visitor_log)):
        assert not log.csp_messages(), f"CSP refused something for the {side}: {log.csp_messages()}"
        assert not log.page_errors, log.page_errors
        assert not [m for m in log.console_errors if not EXPECTED_CONSOLE.match(m)], log.console_errors
        assert not log.blocked_requests, log.blocked_requests
