"""地域課題・協働事業 in a real browser: a department's staff member drafts a project, is refused publication with
the guideline's rules listed (an htmx 422 swap), fills them in and publishes; then a volunteer finds it with the
list's active search and a facet, and the URL alone reproduces that search."""

from __future__ import annotations

import re
from datetime import date, timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Department, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 422\b")


def _department_id(live_server, name: str) -> int:
    with live_server.app.app_context():
        dept_id = db.session.scalar(select(Department.id).where(Department.name == name))
        db.session.remove()
    return dept_id


def test_staff_is_refused_publication_by_rule_fixes_it_and_a_volunteer_finds_it(
        open_page, check_page, expect, live_server, live_user):
    today = date.today()
    title = "長良川河川敷のゴミ拾い大作戦"
    staff, log = open_page(bypass_csp=False)
    sign_in(staff, live_user(Role.STAFF, department_id=_department_id(live_server, "環境課")))

    staff.goto("/issues/new")
    expect(staff.locator("main h1")).to_have_text("新しい事業の下書き")
    check_page(staff, "draft-form")
    staff.fill("#title", title)
    staff.fill("#summary", "月に一度、河川敷のごみを拾います。")
    staff.get_by_role("button", name="下書きを保存する").click()
    expect(staff.locator("main h1")).to_have_text(title)
    expect(staff.locator(".notice--warning")).to_contain_text("検討中（下書き）")

    # Publishing now is refused: the rules that are missing come back in place, by number.
    staff.evaluate("window.__marker = 1")
    with staff.expect_response(lambda r: r.request.method == "POST" and "/transition" in r.url) as answer:
        staff.get_by_role("button", name="公開して募集を始める").click()
    assert answer.value.status == 422
    assert answer.value.request.headers.get("hx-request") == "true", "the step was not sent by htmx"
    problems = staff.locator("#project-actions .project-problems")
    rules = ("ルール2 目的や地域課題の共有", "ルール4 公平な機会", "ルール5 期限の明確化", "ルール6 役割分担の明確化")
    for rule in rules:
        expect(problems).to_contain_text(rule)
    assert staff.evaluate("window.__marker") == 1, "the refusal reloaded the page instead of swapping in place"
    check_page(staff, "publication-refused")

    # Each refused rule links to the field of the edit form that fixes it.
    problems.get_by_role("link", name=re.compile("「誰のために」")).click()
    expect(staff.locator("main h1")).to_have_text("事業の編集")
    assert staff.url.endswith("/edit#beneficiaries-field")
    staff.fill("#beneficiaries", "河川敷を散歩する市民と、川で遊ぶ子どもたち")
    staff.fill("#purpose", "安心して遊べる河川敷を取り戻すため")
    staff.select_option("#domain", "cooperation")
    staff.select_option("#method", "joint_project")
    staff.fill("#city_role", "ごみ袋と軍手の支給、集めたごみの回収")
    staff.fill("#partner_role", "清掃の企画と参加者への呼びかけ")
    staff.fill("#selection_criteria", "河川や公園の清掃の経験があること")
    staff.fill("#recruit_until", (today + timedelta(days=30)).isoformat())
    staff.fill("#period_end", (today + timedelta(days=200)).isoformat())
    staff.fill("#needed_individuals", "10")
    staff.check("#schedule_slots-sat_am")
    staff.get_by_role("button", name="保存する").click()
    expect(staff.locator("main h1")).to_have_text(title)
    staff.get_by_role("button", name="公開して募集を始める").click()
    expect(staff.locator("#flash-region")).to_contain_text("公募中")
    expect(staff.locator(".project-page__meta .badge")).to_have_text("公募中")
    check_page(staff, "published")

    # A volunteer (not signed in) searches with other spelling and a facet; htmx swaps the results only.
    visitor, visitor_log = open_page(bypass_csp=False)
    visitor.goto("/issues/")
    visitor.evaluate("window.__marker = 2")
    with visitor.expect_response(lambda r: "/issues/?" in r.url and "q=" in r.url) as answer:
        visitor.fill("#issue-q", "ごみ拾い")
    assert answer.value.request.headers.get("hx-request") == "true", "the search was not sent by htmx"
    visitor.locator("summary", has_text="活動する日・締切で絞り込む").click()
    with visitor.expect_response(lambda r: "days=weekend" in r.url):
        visitor.check("#filter-days-weekend")
    card = visitor.locator("#issue-results .project-card", has_text=title)
    expect(card).to_have_count(1)
    expect(visitor).to_have_url(re.compile(re.escape("q=" + quote("ごみ拾い")) + ".*days=weekend"))
    assert visitor.evaluate("window.__marker") == 2, "the search reloaded the page instead of swapping the results"
    check_page(visitor, "search-with-facet")

    # The URL alone reproduces the search: a fresh page at that address shows the same form and result.
    fresh, fresh_log = open_page(bypass_csp=False)
    fresh.goto(visitor.url)
    expect(fresh.locator("#issue-q")).to_have_value("ごみ拾い")
    expect(fresh.locator("#filter-days-weekend")).to_be_checked()
    expect(fresh.locator("#issue-results .project-card", has_text=title)).to_have_count(1)
    fresh.get_by_role("link", name=title).click()
    expect(fresh.locator("main h1")).to_have_text(title)
    expect(fresh.locator("main")).to_contain_text("土曜日 午前")
    check_page(fresh, "project-page-public")

    for who, page_log in (("staff", log), ("visitor", visitor_log), ("fresh visitor", fresh_log)):
        assert not page_log.csp_messages(), f"CSP refused something for the {who}: {page_log.csp_messages()}"
        assert not page_log.page_errors, page_log.page_errors
        assert not [m for m in page_log.console_errors if not EXPECTED_CONSOLE.match(m)], page_log.console_errors
        assert not page_log.blocked_requests, page_log.blocked_requests
