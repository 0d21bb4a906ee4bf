"""My volunteer registration: the editor (full page and htmx), inline checks, consent, renewal, who may edit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import delete, select

from kyodo_match.errors import FieldRefused
from kyodo_match.extensions import db
from kyodo_match.i18n import today_jst
from kyodo_match.models import ConsentRecord, District, Qualification, Role, SearchOutbox, Skill, VolunteerProfile
from kyodo_match.volunteers import services
from tests.factories import make_user, make_volunteer_profile

HX = {"HX-Request": "true"}


def _skill(name: str) -> Skill:
    return db.session.scalar(select(Skill).where(Skill.name == name))


def _district(name: str) -> District:
    return db.session.scalar(select(District).where(District.name == name))


def _form(**overrides) -> dict:
    data = {
        "display_name": "草刈りの達人", "real_name": "関 花子", "real_name_kana": "せき はなこ",
        "contact_email": "hanako@example.jp", "phone": "0575-22-3131", "postal_code": "501-3894",
        "home_district": str(_district("安桜").id), "districts": [str(_district("板取").id), str(_district("安桜").id)],
        "skills": [str(_skill("草刈り").id), str(_skill("手話").id)], "free_tags": "草木染め、写真, 郷土史",
        "qualifications-0-name": "普通自動車免許", "qualifications-0-year": "２０１０",
        "qualifications-1-name": "刈払機安全衛生教育", "qualifications-1-year": "",
        "fields": ["3", "7"], "availability": ["sat_am", "sun_pm", "mon_ev"], "availability_note": "第2土曜は不可",
        "travel_modes": ["car", "walk"], "has_insurance": "y", "insurance_fiscal_year": "2026",
        "bio": "週末なら草刈りに行けます。", "public_card": "y",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _field_error(html: str, field_id: str) -> str:
    """The error list rendered beside ``field_id``: inside its wrapper, before the input (empty if none)."""
    start = html.find(f'id="{field_id}-field"')
    assert start != -1, f"no field {field_id}"
    end = html.find(f'id="{field_id}"', start)
    chunk = html[start:end]
    marker = chunk.find(f'id="{field_id}-error"')
    return chunk[marker:chunk.find("</ul>", marker)] if marker != -1 else ""


def _profile(user_id: int) -> VolunteerProfile:
    return services.load_profile(user_id)


# --- save and reload ---------------------------------------------------------------------------------------------


def test_volunteer_saves_the_whole_profile_and_sees_it_again(client, login_as):
    user = login_as(Role.VOLUNTEER)
    page = client.get("/volunteers/me/edit")
    assert page.status_code == 200 and "ボランティア登録の編集" in page.get_data(as_text=True)
    response = client.post("/volunteers/me/edit", data=_form())
    assert response.status_code == 303 and response.headers["Location"].endswith("/volunteers/me")
    p = _profile(user.id)
    assert p.user.display_name == "草刈りの達人" and p.real_name == "関 花子" and p.real_name_kana == "せき はなこ"
    assert p.home_district.name == "安桜" and {d.name for d in p.districts} == {"板取", "安桜"}
    assert {s.name for s in p.skills} == {"草刈り", "手話"} and p.free_tags == ["草木染め", "写真", "郷土史"]
    assert [(q.name, q.year) for q in p.qualifications] == [("普通自動車免許", 2010), ("刈払機安全衛生教育", None)]
    assert [f.code for f in p.fields] == [3, 7]
    assert p.availability == ["mon_ev", "sat_am", "sun_pm"] and p.travel_modes == ["walk", "car"]
    assert p.has_insurance and p.insurance_fiscal_year == 2026 and p.public_card
    assert p.expires_on == services.years_later(today_jst())
    assert db.session.scalar(select(SearchOutbox.object_id).where(SearchOutbox.kind == "volunteer")) == user.id

    html = client.get("/volunteers/me/edit").get_data(as_text=True)
    assert 'value="草刈りの達人"' in html and 'value="0575-22-3131"' in html
    assert 'value="sat_am" id="availability-sat_am" checked' in html
    assert 'value="mon_am" id="availability-mon_am">' in html
    assert f'name="skills" value="{_skill("草刈り").id}" id="skills-{_skill("草刈り").id}" checked' in html
    assert 'value="普通自動車免許"' in html and 'value="2010"' in html
    me = client.get("/volunteers/me").get_data(as_text=True)
    assert "関 花子" in me and "hanako@example.jp" in me and "土曜日 午前" in me and "2026年度" in me


def test_saving_again_keeps_the_expiry_and_replaces_lists(client, login_as):
    user = login_as(Role.VOLUNTEER)
    client.post("/volunteers/me/edit", data=_form())
    first = _profile(user.id).expires_on
    _profile(user.id).expires_on = first - timedelta(days=10)
    db.session.commit()
    response = client.post("/volunteers/me/edit", data=_form(skills=[], availability=[], **{
        "qualifications-0-name": "", "qualifications-1-name": ""}))
    assert response.status_code == 303
    p = _profile(user.id)
    assert p.expires_on == first - timedelta(days=10)
    assert p.skills == [] and p.availability == [] and p.qualifications == []
    assert db.session.scalar(select(Qualification.id)) is None


def test_full_width_input_is_normalised_before_it_is_checked(client, login_as):
    user = login_as(Role.VOLUNTEER)
    response = client.post("/volunteers/me/edit", data=_form(
        phone="０９０ー１２３４ー５６７８", postal_code="５０１－３８９４",
        contact_email="ＨＡＮＡＫＯ＠ＥＸＡＭＰＬＥ．ＪＰ", real_name_kana="ｾｷ ﾊﾅｺ", insurance_fiscal_year="２０２６"))
    assert response.status_code == 303, response.get_data(as_text=True)
    p = _profile(user.id)
    assert p.phone == "090-1234-5678" and p.postal_code == "501-3894"
    assert p.contact_email == "hanako@example.jp" and p.real_name_kana == "セキ ハナコ"
    assert p.insurance_fiscal_year == 2026


@pytest.mark.parametrize("field, value, message", [
    ("phone", "12345", "電話番号は市外局番から"),
    ("postal_code", "50138", "郵便番号は数字7桁"),
    ("real_name_kana", "関花子", "ふりがなは、ひらがなかカタカナ"),
    ("contact_email", "hanako@", "メールアドレスの形式"),
    ("free_tags", "、".join(f"tag{i}" for i in range(11)), "10個まで"),
    ("free_tags", "あ" * 21, "20文字以内"),
    ("insurance_fiscal_year", "", "年度を入力してください"),
    ("display_name", "", "表示名を入力してください"),
])
def test_bad_input_gets_422_with_the_message_beside_the_field(client, login_as, field, value, message):
    user = login_as(Role.VOLUNTEER)
    for headers in ({}, HX):
        response = client.post("/volunteers/me/edit", data=_form(**{field: value}), headers=headers)
        assert response.status_code == 422
        html = response.get_data(as_text=True)
        assert message in _field_error(html, field)
        assert "<html" not in html if headers else "<html" in html
        assert 'id="profile-form"' in html
    assert _profile(user.id) is None


@pytest.mark.parametrize("field, value, message", [
    ("phone", "0575-22-313", "電話番号"), ("postal_code", "abc", "郵便番号"), ("real_name_kana", "seki", "ふりがな"),
    ("contact_email", "x@@example.jp", "メールアドレス"),
])
def test_inline_check_returns_only_that_field_with_422(client, login_as, field, value, message):
    login_as(Role.VOLUNTEER)
    response = client.post(f"/volunteers/me/validate/{field}", data=_form(**{field: value}), headers=HX)
    assert response.status_code == 422 and "HX-Request" in response.headers["Vary"]
    html = response.get_data(as_text=True)
    assert html.strip().startswith(f'<div class="field field--error" id="{field}-field">')
    assert message in _field_error(html, field) and 'aria-invalid="true"' in html
    assert "<form" not in html and "<html" not in html


def test_inline_check_of_a_good_value_is_200_and_shows_it_normalised(client, login_as):
    login_as(Role.VOLUNTEER)
    response = client.post("/volunteers/me/validate/phone", data=_form(phone="０５７５ー２２ー３１３１"), headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'value="0575-22-3131"' in html and "field__error" not in html


def test_inline_check_of_an_unknown_field_is_404(client, login_as):
    login_as(Role.VOLUNTEER)
    assert client.post("/volunteers/me/validate/password_hash", data=_form(), headers=HX).status_code == 404


def test_editor_marks_every_validated_field_for_inline_checks(client, login_as):
    login_as(Role.VOLUNTEER)
    html = client.get("/volunteers/me/edit").get_data(as_text=True)
    for name in ("display_name", "real_name_kana", "contact_email", "phone", "postal_code", "free_tags"):
        assert f'hx-post="/volunteers/me/validate/{name}" hx-trigger="change"' in html
    for legend in ("基本情報", "連絡先（非公開）", "活動できる地域", "得意なこと", "資格", "関心のある分野",
                   "活動できる時間", "移動手段", "ボランティア保険", "自己紹介", "公開設定"):
        assert f"<legend>{legend}</legend>" in html
    assert html.count('<th scope="row">') == 7 and html.count('<th scope="col">') >= 3
    assert html.count('name="availability"') == 21


# --- minors and consent -------------------------------------------------------------------------------------------


def test_a_minor_needs_a_guardian_name_and_consent(client, login_as):
    user = login_as(Role.VOLUNTEER)
    response = client.post("/volunteers/me/edit", data=_form(is_minor="y"))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "保護者の氏名を入力してください" in _field_error(html, "guardian_name")
    assert "保護者の同意が必要です" in html
    response = client.post("/volunteers/me/edit", data=_form(is_minor="y", guardian_name="関 一郎"))
    assert response.status_code == 422 and _profile(user.id) is None
    response = client.post("/volunteers/me/edit", data=_form(is_minor="y", guardian_name="関 一郎",
                                                            guardian_consent="y"))
    assert response.status_code == 303
    p = _profile(user.id)
    assert p.is_minor and p.guardian_name == "関 一郎" and p.guardian_consent_at is not None


def test_guardian_rule_holds_in_the_service_too(app):
    user = make_user(Role.VOLUNTEER)
    with pytest.raises(FieldRefused) as caught:
        services.save_profile(user, {"display_name": "x", "is_minor": True, "guardian_name": "保護者"})
    assert caught.value.field == "guardian_consent"


def test_consent_to_the_current_notice_is_required_and_recorded(client, login_as):
    user = login_as(Role.VOLUNTEER)
    db.session.execute(delete(ConsentRecord).where(ConsentRecord.user_id == user.id))
    db.session.commit()
    html = client.get("/volunteers/me/edit").get_data(as_text=True)
    assert 'name="consent"' in html
    response = client.post("/volunteers/me/edit", data=_form())
    assert response.status_code == 422
    assert "同意が必要です" in response.get_data(as_text=True) and _profile(user.id) is None
    assert client.post("/volunteers/me/edit", data=_form(consent="y")).status_code == 303
    record = db.session.scalar(select(ConsentRecord).where(ConsentRecord.user_id == user.id))
    assert record.notice_version == "2026-04" and record.accepted_at is not None
    assert 'name="consent"' not in client.get("/volunteers/me/edit").get_data(as_text=True)


# --- who may edit -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.GROUP_REP, Role.STAFF, Role.COORDINATOR, Role.ADMIN])
def test_only_volunteers_have_a_profile(client, login_as, role):
    login_as(role)
    assert client.get("/volunteers/me").status_code == 403
    assert client.get("/volunteers/me/edit").status_code == 403
    assert client.post("/volunteers/me/edit", data={"display_name": "x"}).status_code == 403


def test_staff_member_who_is_also_a_volunteer_has_a_profile(client, login_as):
    user = login_as(Role.STAFF, Role.VOLUNTEER)
    assert client.post("/volunteers/me/edit", data=_form()).status_code == 303
    assert _profile(user.id) is not None


def test_save_without_csrf_token_is_refused(client, login_as):
    user = login_as(Role.VOLUNTEER)
    assert client.post("/volunteers/me/edit", data=_form(), csrf=False).status_code == 400
    assert _profile(user.id) is None


def test_odd_ids_and_codes_are_dropped_not_a_500(client, login_as):
    user = login_as(Role.VOLUNTEER)
    response = client.post("/volunteers/me/edit", data=_form(
        skills=["abc", "999999", "-1"], districts=["x"], fields=["99"], availability=["xyz_am", "mon_am"],
        travel_modes=["rocket"], home_district="9" * 30))
    assert response.status_code == 303
    p = _profile(user.id)
    assert p.skills == [] and p.districts == [] and p.fields == [] and p.availability == ["mon_am"]
    assert p.travel_modes == [] and p.home_district_id is None


# --- skill picker ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["くさかり", "草刈", "ｸｻｶﾘ", "クサカリ", "草刈り"])
def test_skill_suggestions_meet_kana_kanji_and_width_variants(client, typed):
    response = client.get("/volunteers/skills/suggest", query_string={"q": typed}, headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "草刈りを追加" in html
    assert f'hx-get="/volunteers/skills/{_skill("草刈り").id}/chip"' in html


@pytest.mark.parametrize("typed", ["<script>alert(1)</script>", "*", "name:x", "\x00", "a" * 5000, "", "   "])
def test_odd_skill_queries_return_nothing_harmful(client, typed):
    response = client.get("/volunteers/skills/suggest", query_string={"q": typed})
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and "<script>" not in html and "<button" not in html


def test_suggestions_are_capped_at_ten(client, app):
    category_id = _skill("草刈り").category_id
    for n in range(15):
        db.session.add(Skill(name=f"テスト技能{n}", reading=f"てすとぎのう{n}", category_id=category_id))
    db.session.commit()
    html = client.get("/volunteers/skills/suggest?q=てすと").get_data(as_text=True)
    assert html.count("<button") == 10


def test_a_chosen_skill_comes_back_as_a_checked_chip(client, login_as):
    login_as(Role.VOLUNTEER)
    skill = _skill("手話")
    response = client.get(f"/volunteers/skills/{skill.id}/chip", headers=HX)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'name="skills" value="{skill.id}"' in html and "checked" in html and "手話" in html
    skill.active = False
    db.session.commit()
    assert client.get(f"/volunteers/skills/{skill.id}/chip", headers=HX).status_code == 404


# --- renewal -----------------------------------------------------------------------------------------------------


def _expiring(user, days: int) -> VolunteerProfile:
    p = make_volunteer_profile(user, commit=False)
    p.expires_on = today_jst() + timedelta(days=days)
    db.session.commit()
    return p


def test_renewal_banner_appears_sixty_days_before_expiry(client, login_as):
    user = login_as(Role.VOLUNTEER)
    p = _expiring(user, 61)
    assert "登録を3年間更新する" not in client.get("/volunteers/me").get_data(as_text=True)
    p.expires_on = today_jst() + timedelta(days=60)
    db.session.commit()
    html = client.get("/volunteers/me").get_data(as_text=True)
    assert "あと60日" in html and "登録を3年間更新する" in html
    assert "あと60日" in client.get("/volunteers/me/edit").get_data(as_text=True)


def test_volunteer_renews_for_three_years_from_today(client, login_as):
    user = login_as(Role.VOLUNTEER)
    _expiring(user, 30)
    response = client.post("/volunteers/me/renew")
    assert response.status_code == 303
    assert _profile(user.id).expires_on == services.years_later(today_jst())


def test_renewal_is_refused_earlier_than_ninety_days_before_expiry(client, login_as):
    user = login_as(Role.VOLUNTEER)
    p = _expiring(user, 91)
    before = p.expires_on
    assert client.post("/volunteers/me/renew").status_code == 422
    assert _profile(user.id).expires_on == before


def test_an_expired_registration_can_be_renewed(app):
    user = make_user(Role.VOLUNTEER)
    p = _expiring(user, -5)
    assert services.needs_renewal(_profile(user.id), today_jst())
    p.expires_on = date(2026, 2, 23)
    db.session.commit()
    assert not services.can_renew(p, date(2025, 11, 24)) and services.can_renew(p, date(2025, 11, 25))
    services.renew_registration(user, date(2026, 2, 28))
    assert _profile(user.id).expires_on == date(2029, 2, 28)
    assert services.years_later(date(2028, 2, 29)) == date(2031, 2, 28)
