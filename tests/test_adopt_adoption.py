"""里親の申請と合意書 (issue 7): applying, the two approvals in either order, declining and withdrawing, the
agreement and who sees its contact, and the change records (変更届・休止届・再開届・廃止届) with their effect."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kyodo_match.extensions import db
from kyodo_match.models import (
    AdoptAgreement,
    AdoptChange,
    Adoption,
    AdoptSection,
    Department,
    Notification,
    Role,
)
from tests.factories import make_group, make_user

HX = {"HX-Request": "true"}


def _dept(name: str) -> Department:
    return db.session.scalar(select(Department).where(Department.name == name))


def make_section(dept_name: str = "土木課", **extra) -> AdoptSection:
    section = AdoptSection(name=extra.pop("name", "小瀬の市道 300m"), kind="road", department_id=_dept(dept_name).id,
                           start_point="小瀬交差点", end_point="鮎之瀬橋", min_activities_per_year=4, **extra)
    db.session.add(section)
    db.session.commit()
    return section


def apply_form(group_id: int, **overrides) -> dict:
    data = {"group_id": str(group_id), "activities": ["cleaning", "mowing"], "plan": "毎月第2日曜の朝に清掃します。",
            "times_per_year": "12", "members_count": "8", "has_insurance": "yes", "local_tie": "live",
            "commitment": "y", "open_to_all": "y"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


@pytest.fixture
def world(app):
    """A section of 土木課, its staff, another department's staff, the centre, and a verified group's rep."""
    section = make_section()
    staff = make_user(Role.STAFF, department_id=_dept("土木課").id)
    other_staff = make_user(Role.STAFF, department_id=_dept("環境課").id)
    centre = make_user(Role.COORDINATOR)
    rep = make_user(Role.GROUP_REP)
    group = make_group("小瀬をきれいにする会", representative=rep)
    return {"section": section, "staff": staff, "other_staff": other_staff, "centre": centre, "rep": rep,
            "group": group}


def _apply(client, login, w, **overrides):
    login(w["rep"])
    return client.post(f"/adopt/sections/{w['section'].id}/apply", data=apply_form(w["group"].id, **overrides))


def _adoption() -> Adoption:
    return db.session.scalar(select(Adoption))


def _switch(client, login, user):
    client.post("/logout")
    login(user)


def _step(client, adoption_id: int, action: str, reason: str = "", headers=None):
    return client.post(f"/adopt/adoptions/{adoption_id}/step", data={"action": action, "reason": reason},
                       headers=headers or {})


def _approved(client, login, w) -> Adoption:
    assert _apply(client, login, w).status_code == 303
    a = _adoption()
    _switch(client, login, w["staff"])
    assert _step(client, a.id, "department_approve").status_code == 303
    _switch(client, login, w["centre"])
    assert _step(client, a.id, "centre_approve").status_code == 303
    return a


def agreement_form(**overrides) -> dict:
    start = date(2026, 6, 1)
    data = {"starts_on": start.isoformat(), "ends_on": date(2027, 6, 1).isoformat(), "auto_renew": "y",
            "group_duties": "清掃を行います。", "city_duties": "ごみ袋を支給します。",
            "sign_text": "小瀬をきれいにする会",
            "sign_approved": "y", "contact_name": "関 一郎", "contact_phone": "0575-99-1234"}
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _agreed(client, login, w) -> AdoptAgreement:
    a = _approved(client, login, w)
    _switch(client, login, w["staff"])
    r = client.post(f"/adopt/adoptions/{a.id}/agreement", data=agreement_form())
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    return db.session.scalar(select(AdoptAgreement))


# --- applying ---------------------------------------------------------------------------------------------------

def test_representative_applies_and_section_becomes_negotiating(client, login, world):
    login(world["rep"])
    page = client.get(f"/adopt/sections/{world['section'].id}/apply")
    assert page.status_code == 200 and "里親に申請する" in page.get_data(as_text=True)
    r = client.post(f"/adopt/sections/{world['section'].id}/apply", data=apply_form(world["group"].id), headers=HX)
    assert r.status_code == 204 and "/adopt/adoptions/" in r.headers["HX-Redirect"]
    a = _adoption()
    assert a.status == "applied" and a.activities == ["cleaning", "mowing"] and a.times_per_year == 12
    assert db.session.get(AdoptSection, world["section"].id).status == "negotiating"
    told = set(db.session.scalars(select(Notification.user_id)))
    assert {world["staff"].id, world["centre"].id} <= told and world["other_staff"].id not in told


def test_unverified_group_is_refused(client, login, world):
    rep = make_user(Role.GROUP_REP)
    group = make_group("未確認の会", status="pending", representative=rep)
    login(rep)
    assert "確認が済んでいない" in client.get(f"/adopt/sections/{world['section'].id}/apply").get_data(as_text=True)
    r = client.post(f"/adopt/sections/{world['section'].id}/apply", data=apply_form(group.id))
    assert r.status_code == 403
    assert _adoption() is None and db.session.get(AdoptSection, world["section"].id).status == "open"


def test_times_per_year_below_minimum_is_422_beside_the_field(client, login, world):
    r = _apply(client, login, world, times_per_year="3")
    assert r.status_code == 422
    body = r.get_data(as_text=True)
    assert 'id="times_per_year-error"' in body and "年4回以上" in body
    assert _adoption() is None and db.session.get(AdoptSection, world["section"].id).status == "open"


def test_without_insurance_or_promises_is_refused(client, login, world):
    r = _apply(client, login, world, has_insurance="no")
    assert r.status_code == 422 and "ボランティア保険" in r.get_data(as_text=True)
    r = client.post(f"/adopt/sections/{world['section'].id}/apply",
                    data=apply_form(world["group"].id, commitment=None, open_to_all=None))
    body = r.get_data(as_text=True)
    assert r.status_code == 422 and 'id="commitment-error"' in body and 'id="open_to_all-error"' in body
    assert _adoption() is None


def test_group_cannot_apply_twice(client, login, world):
    assert _apply(client, login, world).status_code == 303
    r = client.post(f"/adopt/sections/{world['section'].id}/apply", data=apply_form(world["group"].id))
    assert r.status_code == 409
    assert db.session.scalar(select(func.count()).select_from(Adoption)) == 1


def test_volunteer_and_staff_cannot_open_apply(client, login, world):
    login(make_user(Role.VOLUNTEER))
    assert client.get(f"/adopt/sections/{world['section'].id}/apply").status_code == 403


def test_outside_seki_is_noted_for_the_centre(client, login, world):
    assert _apply(client, login, world, local_tie="other").status_code == 303
    _switch(client, login, world["centre"])
    assert "センターの承認が必要" in client.get("/adopt/adoptions").get_data(as_text=True)


# --- approvals --------------------------------------------------------------------------------------------------

@pytest.mark.parametrize("first", ["department", "centre"])
def test_both_approvals_in_either_order(client, login, world, first):
    assert _apply(client, login, world).status_code == 303
    a = _adoption()
    order = [("staff", "department_approve"), ("centre", "centre_approve")]
    if first == "centre":
        order.reverse()
    for who, action in order:
        _switch(client, login, world[who])
        assert _step(client, a.id, action).status_code == 303
    a = db.session.get(Adoption, a.id)
    assert a.department_approved_by_id == world["staff"].id and a.centre_approved_by_id == world["centre"].id
    # Approving twice is an illegal step.
    _switch(client, login, world["staff"])
    assert _step(client, a.id, "department_approve").status_code == 409
    assert "合意書を作成する" in client.get(f"/adopt/adoptions/{a.id}").get_data(as_text=True)
    notices = db.session.scalars(select(Notification.message).where(Notification.user_id == world["rep"].id)).all()
    assert any("担当課が承認" in m for m in notices) and any("センターが承認" in m for m in notices)


def test_wrong_people_cannot_decide(client, login, world):
    assert _apply(client, login, world).status_code == 303
    a = _adoption()
    _switch(client, login, world["other_staff"])  # another department's staff
    assert _step(client, a.id, "department_approve").status_code == 403
    assert client.get(f"/adopt/adoptions/{a.id}").status_code == 403
    assert f"adoption-row-{a.id}" not in client.get("/adopt/adoptions").get_data(as_text=True)
    _switch(client, login, world["staff"])
    assert _step(client, a.id, "centre_approve").status_code == 403  # the department is not the centre
    _switch(client, login, world["centre"])
    assert _step(client, a.id, "department_approve").status_code == 403
    _switch(client, login, make_user(Role.VOLUNTEER))
    assert _step(client, a.id, "department_approve").status_code == 403
    assert client.get("/adopt/adoptions").status_code == 403
    _switch(client, login, make_user(Role.GROUP_REP))  # a representative of another group
    assert _step(client, a.id, "withdraw").status_code == 403
    assert client.get(f"/adopt/adoptions/{a.id}").status_code == 403
    assert db.session.get(Adoption, a.id).status == "applied"


def test_decline_needs_a_reason_shown_to_the_group(client, login, world):
    assert _apply(client, login, world).status_code == 303
    a = _adoption()
    _switch(client, login, world["staff"])
    r = _step(client, a.id, "decline", headers={**HX, "HX-Target": f"adoption-row-{a.id}"})
    assert r.status_code == 422 and "理由を入力してください" in r.get_data(as_text=True)
    r = _step(client, a.id, "decline", reason="区間の工事が予定されているため", headers=HX)
    assert r.status_code == 200
    assert db.session.get(Adoption, a.id).status == "declined"
    assert db.session.get(AdoptSection, world["section"].id).status == "open"
    _switch(client, login, world["rep"])
    assert "区間の工事が予定されているため" in client.get(f"/adopt/adoptions/{a.id}").get_data(as_text=True)
    assert "区間の工事が予定されているため" in client.get("/adopt/mine").get_data(as_text=True)
    assert _step(client, a.id, "withdraw").status_code == 409  # nothing to withdraw any more


def test_group_withdraws_and_section_opens_again(client, login, world):
    assert _apply(client, login, world).status_code == 303
    a = _adoption()
    assert _step(client, a.id, "withdraw").status_code == 303
    assert db.session.get(Adoption, a.id).status == "withdrawn"
    assert db.session.get(AdoptSection, world["section"].id).status == "open"
    assert _step(client, a.id, "department_approve").status_code in (403, 409)
    told = set(db.session.scalars(select(Notification.user_id).where(Notification.message.contains("取り下げ"))))
    assert {world["staff"].id, world["centre"].id} <= told


def test_queue_full_page_and_htmx_row_swap(client, login, world):
    assert _apply(client, login, world).status_code == 303
    a = _adoption()
    _switch(client, login, world["staff"])
    full = client.get("/adopt/adoptions")
    assert full.status_code == 200 and "<html" in full.get_data(as_text=True) and "HX-Request" in full.headers["Vary"]
    part = client.get("/adopt/adoptions", headers=HX)
    assert part.get_data(as_text=True).lstrip().startswith('<div id="adoption-queue">')
    assert "HX-Request" in part.headers["Vary"]
    r = _step(client, a.id, "department_approve", headers={**HX, "HX-Target": f"adoption-row-{a.id}"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body and body.lstrip().startswith("<article")
    assert f'id="adoption-row-{a.id}"' in body and "担当課承認" in body and "HX-Request" in r.headers["Vary"]
    assert "担当課として承認する" not in body  # the step is gone from the swapped row
    # The centre sees every department's applications.
    _switch(client, login, world["centre"])
    assert f"adoption-row-{a.id}" in client.get("/adopt/adoptions").get_data(as_text=True)


# --- the agreement ----------------------------------------------------------------------------------------------

def test_department_creates_agreement(client, login, world):
    a = _approved(client, login, world)
    _switch(client, login, world["staff"])
    form = client.get(f"/adopt/adoptions/{a.id}/agreement").get_data(as_text=True)
    assert "ごみ袋" in form and "小瀬をきれいにする会" in form  # prefilled duties and sign text
    r = client.post(f"/adopt/adoptions/{a.id}/agreement", data=agreement_form())
    assert r.status_code == 303
    agreement = db.session.scalar(select(AdoptAgreement))
    assert agreement.adoption_id == a.id and agreement.ends_on == date(2027, 6, 1)
    assert db.session.get(Adoption, a.id).status == "agreed"
    assert db.session.get(AdoptSection, world["section"].id).status == "active"
    page = client.get(f"/adopt/agreements/{agreement.id}").get_data(as_text=True)
    assert "合意書" in page and "@media" not in page and "data-print" in page
    assert client.post(f"/adopt/adoptions/{a.id}/agreement", data=agreement_form()).status_code == 409


def test_agreement_shorter_than_a_year_is_422(client, login, world):
    a = _approved(client, login, world)
    _switch(client, login, world["staff"])
    r = client.post(f"/adopt/adoptions/{a.id}/agreement", data=agreement_form(ends_on="2027-05-31"))
    assert r.status_code == 422 and 'id="ends_on-error"' in r.get_data(as_text=True)
    assert db.session.scalar(select(AdoptAgreement)) is None and db.session.get(Adoption, a.id).status != "agreed"
    r = client.post(f"/adopt/adoptions/{a.id}/agreement", data=agreement_form(sign_text="x" * 101))
    assert r.status_code == 422 and 'id="sign_text-error"' in r.get_data(as_text=True)


def test_agreement_needs_both_approvals_and_the_department(client, login, world):
    assert _apply(client, login, world).status_code == 303
    a = _adoption()
    _switch(client, login, world["staff"])
    assert _step(client, a.id, "department_approve").status_code == 303
    assert client.post(f"/adopt/adoptions/{a.id}/agreement", data=agreement_form()).status_code == 409
    _switch(client, login, world["centre"])
    assert _step(client, a.id, "centre_approve").status_code == 303
    assert client.get(f"/adopt/adoptions/{a.id}/agreement").status_code == 403  # the centre is not the department
    _switch(client, login, world["other_staff"])
    assert client.post(f"/adopt/adoptions/{a.id}/agreement", data=agreement_form()).status_code == 403
    _switch(client, login, world["rep"])
    assert client.get(f"/adopt/adoptions/{a.id}/agreement").status_code == 403
    assert db.session.scalar(select(AdoptAgreement)) is None


def test_contact_phone_only_for_the_group_and_the_city(client, login, world):
    agreement = _agreed(client, login, world)
    url = f"/adopt/agreements/{agreement.id}"
    assert "0575-99-1234" in client.get(url).get_data(as_text=True)  # the department
    _switch(client, login, world["centre"])
    assert "0575-99-1234" in client.get(url).get_data(as_text=True)
    _switch(client, login, world["rep"])
    assert "0575-99-1234" in client.get(url).get_data(as_text=True)
    _switch(client, login, make_user(Role.GROUP_REP))  # another group's representative
    page = client.get(url)
    assert page.status_code == 200 and "0575-99-1234" not in page.get_data(as_text=True)
    assert "関 一郎" not in page.get_data(as_text=True)
    client.post("/logout")
    page = client.get(url)
    assert page.status_code == 200 and "小瀬をきれいにする会" in page.get_data(as_text=True)
    assert "0575-99-1234" not in page.get_data(as_text=True) and "関 一郎" not in page.get_data(as_text=True)


# --- change records ---------------------------------------------------------------------------------------------

def _change(client, agreement_id, kind, headers=None, **extra):
    data = {"kind": kind, "effective_on": (date.today() + timedelta(days=1)).isoformat(),
            "reason": "会員の高齢化のため"}
    data.update(extra)
    return client.post(f"/adopt/agreements/{agreement_id}/changes", data=data, headers=headers or {})


def _statuses(agreement_id, section_id):
    return db.session.get(AdoptAgreement, agreement_id).status, db.session.get(AdoptSection, section_id).status


def test_each_change_kind_moves_agreement_and_section(client, login, world):
    agreement = _agreed(client, login, world)
    sid = world["section"].id
    _switch(client, login, world["rep"])
    r = _change(client, agreement.id, "change", detail_field="representative", old_value="関 一郎",
                new_value="美濃 花子", headers=HX)
    assert r.status_code == 200 and 'id="agreement-changes"' in r.get_data(as_text=True)
    assert "美濃 花子" in r.get_data(as_text=True) and _statuses(agreement.id, sid) == ("active", "active")
    assert _change(client, agreement.id, "resume").status_code == 409  # not paused
    assert _change(client, agreement.id, "pause").status_code == 303
    assert _statuses(agreement.id, sid) == ("paused", "paused")
    assert _change(client, agreement.id, "pause").status_code == 409
    _switch(client, login, world["staff"])  # the department files too
    assert _change(client, agreement.id, "resume").status_code == 303
    assert _statuses(agreement.id, sid) == ("active", "active")
    assert _change(client, agreement.id, "end").status_code == 303
    assert _statuses(agreement.id, sid) == ("ended", "open")
    for kind in ("change", "pause", "resume", "end"):
        assert _change(client, agreement.id, kind, detail_field="group_name", new_value="新しい名前").status_code == 409
    kinds = db.session.scalars(select(AdoptChange.kind).order_by(AdoptChange.id)).all()
    assert kinds == ["change", "pause", "resume", "end"]
    change = db.session.scalar(select(AdoptChange).where(AdoptChange.kind == "change"))
    assert change.details == {"representative": ["関 一郎", "美濃 花子"]}
    page = client.get(f"/adopt/agreements/{agreement.id}").get_data(as_text=True)
    assert "休止届" in page and "再開届" in page and "廃止届" in page and "美濃 花子" in page


def test_change_needs_what_changed_and_the_right_people(client, login, world):
    agreement = _agreed(client, login, world)
    _switch(client, login, world["rep"])
    r = _change(client, agreement.id, "change", headers=HX)
    assert r.status_code == 422 and 'id="new_value-error"' in r.get_data(as_text=True)
    for user in (make_user(Role.GROUP_REP), world["other_staff"]):
        _switch(client, login, user)
        assert _change(client, agreement.id, "pause").status_code == 403
    _switch(client, login, world["centre"])
    assert _change(client, agreement.id, "pause").status_code == 403  # coordinators hold no 届 role here
    assert db.session.scalar(select(func.count()).select_from(AdoptChange)) == 0


def test_mine_lists_applications_and_agreements(client, login, world):
    agreement = _agreed(client, login, world)
    _switch(client, login, world["rep"])
    page = client.get("/adopt/mine").get_data(as_text=True)
    assert world["section"].name in page and f"/adopt/agreements/{agreement.id}" in page
    _switch(client, login, make_user(Role.GROUP_REP))
    assert world["section"].name not in client.get("/adopt/mine").get_data(as_text=True)
