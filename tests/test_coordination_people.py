"""Coordinators see every profile and group: private names in the lists, contact data only on the audited pages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.i18n import today_jst
from kyodo_match.models import ActivityField, AuditEvent, District, Role, Stage
from tests.factories import make_group, make_user, make_volunteer_profile

HX = {"HX-Request": "true"}


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _district(n: int = 0) -> District:
    return db.session.scalars(select(District).order_by(District.id)).all()[n]


def _person(real_name: str, kana: str, *, display: str | None = None, email: str | None = None, **extra):
    user = make_user(Role.VOLUNTEER, display_name=display, email=email)
    profile = make_volunteer_profile(user, real_name=real_name, **extra)
    profile.real_name_kana = kana
    db.session.commit()
    return profile


def test_people_list_shows_private_names_but_no_contact_data(login_as, client):
    _person("長良 川子", "ながら かわこ", display="かわちゃん", email="kawako@example.jp", phone="090-1111-2222",
            public=False)
    login_as(Role.COORDINATOR)
    page = client.get("/coordination/people").get_data(as_text=True)
    assert "長良 川子" in page and "ながら かわこ" in page and "かわちゃん" in page
    assert "090-1111-2222" not in page
    assert "kawako@example.jp" not in page


def test_person_page_shows_contact_data_and_is_audited_on_every_view(login_as, client):
    profile = _person("刃物 匠", "はもの たくみ", email="takumi@example.jp", phone="0575-22-9999")
    coordinator = login_as(Role.COORDINATOR)
    for _ in range(2):
        response = client.get(f"/coordination/people/{profile.user_id}")
        page = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "takumi@example.jp" in page and "0575-22-9999" in page
    events = _events("personal_data_viewed")
    assert [(e.actor_id, e.target) for e in events] == [(coordinator.id, f"volunteer:{profile.user_id}")] * 2


def test_list_pages_are_not_audited_as_personal_data_views(login_as, client):
    _person("関 一郎", "せき いちろう")
    login_as(Role.COORDINATOR)
    client.get("/coordination/people")
    client.get("/coordination/groups")
    assert _events("personal_data_viewed") == []


def test_group_page_shows_private_contact_and_address_and_is_audited(login_as, client):
    group = make_group("山の会", status="pending", contact_email="yama@example.jp", contact_phone="0575-33-4444",
                       address="関市若草通3丁目1番地")
    login_as(Role.ADMIN)
    page = client.get(f"/coordination/groups/{group.id}").get_data(as_text=True)
    assert "yama@example.jp" in page and "0575-33-4444" in page and "関市若草通3丁目1番地" in page
    assert [e.target for e in _events("personal_data_viewed")] == [f"group:{group.id}"]


def test_groups_list_shows_every_status_without_contact_data(login_as, client):
    for name, status in [("確認済の会", "verified"), ("申請中の会", "pending"), ("休止の会", "paused"),
                         ("停止の会", "stopped")]:
        make_group(name, status=status, contact_email=f"{status}@example.jp")
    login_as(Role.COORDINATOR)
    page = client.get("/coordination/groups").get_data(as_text=True)
    for name in ["確認済の会", "申請中の会", "休止の会", "停止の会"]:
        assert name in page
    assert "@example.jp" not in page.split('id="group-results"')[1]
    only_pending = client.get("/coordination/groups?status=pending").get_data(as_text=True)
    assert "申請中の会" in only_pending and "確認済の会" not in only_pending


def test_text_filter_finds_display_real_name_and_kana_in_either_script(login_as, client):
    _person("関 太郎", "せき たろう", display="たろちゃん")
    _person("美濃 花子", "ミノ ハナコ", display="はなちゃん")
    login_as(Role.COORDINATOR)

    def names(q):
        body = client.get("/coordination/people", query_string={"q": q}).get_data(as_text=True)
        return {n for n in ("関 太郎", "美濃 花子") if n in body}

    assert names("関太郎") == {"関 太郎"}  # spaces do not matter
    assert names("セキ") == {"関 太郎"}  # katakana finds hiragana
    assert names("みの") == {"美濃 花子"}  # hiragana finds katakana
    assert names("はなちゃん") == {"美濃 花子"}
    assert names("ｾｷ") == {"関 太郎"}  # half-width katakana, NFKC
    assert names("%") == set()  # LIKE wildcards are literal


def test_filters_by_district_field_stage_and_expiry(login_as, client):
    district = _district(0)
    field = db.session.scalars(select(ActivityField).order_by(ActivityField.code)).first()
    near = _person("近所 一", "きんじょ はじめ", home_district_id=district.id)
    far = _person("遠方 二", "えんぽう じ", fields=[field.code], stage=Stage.GRANT.value)
    far.expires_on = today_jst() + timedelta(days=30)
    old = _person("期限 三", "きげん さん")
    old.expires_on = today_jst() - timedelta(days=1)
    db.session.commit()
    login_as(Role.COORDINATOR)

    def found(**args):
        body = client.get("/coordination/people", query_string=args).get_data(as_text=True)
        return {p.real_name for p in (near, far, old) if p.real_name in body}

    assert found(district=district.id) == {"近所 一"}
    assert found(field=field.code) == {"遠方 二"}
    assert found(stage="grant") == {"遠方 二"}
    assert found(expiry="soon") == {"遠方 二"}
    assert found(expiry="expired") == {"期限 三"}
    assert found() == {"近所 一", "遠方 二", "期限 三"}


def test_bad_filter_values_are_explained_not_a_crash(login_as, client):
    _person("関 太郎", "せき たろう")
    login_as(Role.COORDINATOR)
    response = client.get("/coordination/people?stage=boss&expiry=tomorrow&district=abc&q=" + "あ" * 200)
    assert response.status_code == 422
    assert "関 太郎" in response.get_data(as_text=True)


def test_people_list_htmx_gets_the_results_block_and_vary(login_as, client):
    _person("関 太郎", "せき たろう")
    login_as(Role.COORDINATOR)
    full = client.get("/coordination/people?q=関")
    fragment = client.get("/coordination/people?q=関", headers=HX)
    for response in (full, fragment):
        assert response.status_code == 200
        assert "HX-Request" in response.headers["Vary"]
        assert 'id="people-results"' in response.get_data(as_text=True)
        assert "関 太郎" in response.get_data(as_text=True)
    assert "<html" in full.get_data(as_text=True) and 'hx-target="#people-results"' in full.get_data(as_text=True)
    assert "<html" not in fragment.get_data(as_text=True)
    assert 'name="q"' not in fragment.get_data(as_text=True)  # the filter form is not re-sent


def test_people_list_paginates_thirty_a_page_and_keeps_the_filters(login_as, client):
    for n in range(32):
        _person(f"頁 {n:02d}", f"ぺーじ {n:02d}")
    login_as(Role.COORDINATOR)
    first = client.get("/coordination/people?q=頁").get_data(as_text=True)
    assert first.count("/coordination/people/") >= 30 and "頁 31" not in first
    assert "q=%E9%A0%81" in first and "page=2" in first
    second = client.get("/coordination/people?q=頁&page=2").get_data(as_text=True)
    assert "頁 31" in second and "頁 00" not in second


@pytest.mark.parametrize("url", ["/coordination/people", "/coordination/groups"])
def test_list_query_count_does_not_grow_with_rows(url, login_as, client, queries):
    skills = ["草刈り", "料理"]
    district = _district(0).name

    def add(n):
        for _ in range(n):
            make_volunteer_profile(skills=skills, districts=[district], home_district_id=_district(1).id)
            make_group(skills=skills, districts=[district])

    login_as(Role.COORDINATOR)
    add(3)
    with queries() as few:
        assert client.get(url).status_code == 200
    add(27)
    with queries() as many:
        assert client.get(url).status_code == 200
    assert many.count == few.count, many.statements


def test_desk_counts_people_groups_and_this_months_consultations(login_as, client):
    from kyodo_match.coordination import services

    make_volunteer_profile(public=True)
    hidden = make_volunteer_profile(public=False)
    hidden.expires_on = today_jst() + timedelta(days=10)
    make_group("申請の会", status="pending")
    coordinator = login_as(Role.COORDINATOR)
    services.add_consultation(coordinator, hidden, held_on=today_jst(), topic="登録の更新について")
    db.session.commit()
    counts = services.desk_counts()
    assert (counts["volunteers"], counts["public_cards"], counts["expiring"]) == (2, 1, 1)
    assert counts["groups"]["pending"] == 1 and counts["consultations_this_month"] == 1
    page = client.get("/coordination/").get_data(as_text=True)
    assert "登録の更新について" in page
    assert "申請中: 1団体" in page
