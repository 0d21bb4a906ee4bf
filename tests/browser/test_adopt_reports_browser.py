"""An activity report in a real browser, under the strict CSP: the representative files it with a photo and a
problem (htmx multipart post), sees the totals, and the managing department answers the repair request (htmx
row swap); axe and phone/desktop screenshots on every page."""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, timedelta

import pytest
from PIL import Image
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import AdoptAgreement, Adoption, AdoptSection, Department, Role
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 422\b")


def _setup(live_server):
    from tests.factories import make_group, make_user

    staff_email, rep_email = live_server.unique_email("staff"), live_server.unique_email("rep")
    name = f"小瀬の河川敷 {uuid.uuid4().hex[:4]}"
    with live_server.app.app_context():
        dept = db.session.scalar(select(Department).where(Department.name == "土木課"))
        make_user(Role.STAFF, email=staff_email, department_id=dept.id)
        rep = make_user(Role.GROUP_REP, email=rep_email)
        group = make_group(f"清流クラブ {name}", representative=rep)
        section = AdoptSection(name=name, kind="river", department_id=dept.id, status="active")
        db.session.add(section)
        db.session.flush()
        adoption = Adoption(section_id=section.id, group_id=group.id, status="agreed")
        db.session.add(adoption)
        db.session.flush()
        agreement = AdoptAgreement(adoption_id=adoption.id, section_id=section.id, group_id=group.id,
                                   starts_on=date.today() - timedelta(days=60),
                                   ends_on=date.today() + timedelta(days=700))
        db.session.add(agreement)
        db.session.commit()
        agreement_id = agreement.id
        db.session.remove()
    return staff_email, rep_email, name, agreement_id


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (30, 140, 60)).save(out, format="PNG")
    return out.getvalue()


def test_representative_reports_with_a_photo_and_the_department_answers(open_page, check_page, expect,
                                                                        live_server):
    staff_email, rep_email, name, agreement_id = _setup(live_server)
    rep, rep_log = open_page(bypass_csp=False)
    sign_in(rep, rep_email)
    rep.goto(f"/adopt/agreements/{agreement_id}/reports/new")
    check_page(rep, "report-form")

    # A value the server refuses comes back beside its field (422 swapped by htmx), nothing written.
    rep.fill("#activity_date", (date.today() + timedelta(days=3)).isoformat())
    rep.fill("#participants", "6")
    rep.fill("#hours", "2")
    rep.get_by_role("button", name="活動報告を送る").click()
    expect(rep.locator("#activity_date-error")).to_contain_text("未来の日付")
    check_page(rep, "report-form-error")

    rep.fill("#activity_date", (date.today() - timedelta(days=1)).isoformat())
    rep.get_by_label("清掃").check()
    rep.get_by_label("草刈り").check()
    rep.fill("#bags", "4")
    rep.fill("#kg", "7.5")
    rep.set_input_files("#photo_1", files=[{"name": "river.png", "mimeType": "image/png", "buffer": _png()}])
    rep.get_by_label("写真1を公開する（成果のページに載せる）").check()
    rep.locator("#problem_kind_1").select_option("dumping")
    rep.fill("#problem_text_1", "堤防の階段の下に家電が捨てられている")
    rep.get_by_role("button", name="活動報告を送る").click()
    rep.wait_for_url(f"**/adopt/agreements/{agreement_id}/reports")
    expect(rep.locator(".adopt-totals")).to_contain_text("7.5 kg")
    expect(rep.locator(".adopt-repair-follow")).to_contain_text("受付")
    photo = rep.locator(".adopt-photos img").first
    expect(photo).to_be_visible()
    assert rep.evaluate("(img) => img.complete && img.naturalWidth", photo.element_handle()) == 64
    check_page(rep, "reports")

    staff, staff_log = open_page(bypass_csp=False)
    sign_in(staff, staff_email)
    staff.goto("/adopt/repairs")
    card = staff.locator(".adopt-repair", has_text="家電が捨てられている")
    expect(card).to_have_count(1)
    expect(card).to_contain_text(name)
    check_page(staff, "repairs")
    card.get_by_label("次の状態").select_option("in_progress")
    card.get_by_label("回答").fill("来週回収します")
    card.get_by_role("button", name=re.compile("状態を更新する")).click()
    expect(card.locator(".notice--success")).to_contain_text("対応中")
    check_page(staff, "repairs-answered")

    rep.reload()
    expect(rep.locator(".adopt-repair-follow")).to_contain_text("対応中")
    expect(rep.locator(".adopt-repair-follow")).to_contain_text("来週回収します")
    for log in (rep_log, staff_log):
        assert not log.csp_messages(), log.csp_messages()
        assert not log.page_errors, log.page_errors
        assert all(EXPECTED_CONSOLE.match(m) for m in log.console_errors), log.console_errors
