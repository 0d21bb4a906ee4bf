"""The public talent bank (人材バンク) and volunteers' pages: only public cards, search, facets, paging,
htmx fragments, private data only for the owner and coordinators (audited), escaping, query counts."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from kyodo_match import audit, search
from kyodo_match.account import services as account_services
from kyodo_match.extensions import db
from kyodo_match.i18n import today_jst
from kyodo_match.models import AuditEvent, District, Role, SearchOutbox, VolunteerProfile
from kyodo_match.volunteers import services
from tests.factories import make_user, make_volunteer_profile

HX = {"HX-Request": "true"}
PRIVATE = {"phone": "0575-99-1234", "real_name": "秘密 花子", "email": "hidden-person@example.jp",
           "bio": "自己紹介は非公開です", "postal_code": "501-3999"}


def _district(name: str) -> District:
    return db.session.scalar(select(District).where(District.name == name))


def _indexed(*profiles):
    for p in profiles:
        search.enqueue("volunteer", p.user_id)
    db.session.commit()
    search.drain()


def _private_volunteer(public: bool = True, **kw) -> VolunteerProfile:
    user = make_user(Role.VOLUNTEER, email=PRIVATE["email"], display_name="草刈りボランティア")
    return make_volunteer_profile(user, public=public, phone=PRIVATE["phone"], real_name=PRIVATE["real_name"],
                                  bio=PRIVATE["bio"], postal_code=PRIVATE["postal_code"],
                                  skills=["草刈り"], districts=["板取"], fields=[3], **kw)


def _assert_no_private(html: str) -> None:
    for value in PRIVATE.values():
        assert value not in html


# --- public cards only, never contact data ------------------------------------------------------------------------


@pytest.mark.parametrize("who", [None, Role.VOLUNTEER, Role.GROUP_REP, Role.STAFF])
def test_talent_bank_shows_public_cards_and_never_private_data(client, login_as, who):
    shown = _private_volunteer()
    hidden = make_volunteer_profile(public=False, skills=["手話"])
    hidden.user.display_name = "非公開のひと"
    _indexed(shown, hidden)
    if who:
        login_as(who)
    for url in ("/volunteers/", "/volunteers/?q=草刈り", f"/volunteers/?district={_district('板取').id}&field=3"):
        html = client.get(url).get_data(as_text=True)
        assert "草刈りボランティア" in html and "板取" in html and "まちづくり" in html, url
        assert "非公開のひと" not in html
        _assert_no_private(html)
    page = client.get(f"/volunteers/{shown.user_id}").get_data(as_text=True)
    assert "草刈りボランティア" in page
    _assert_no_private(page)


def test_inactive_and_expired_volunteers_leave_the_bank(client):
    gone = make_volunteer_profile(skills=["点訳"])
    gone.user.active = False
    old = make_volunteer_profile(skills=["点訳"])
    old.expires_on = today_jst() - timedelta(days=1)
    _indexed(gone, old)
    for url in ("/volunteers/", "/volunteers/?q=点訳"):
        assert "1人" not in client.get(url).get_data(as_text=True)
        assert "0人が見つかりました" in client.get(url).get_data(as_text=True)
    assert client.get(f"/volunteers/{gone.user_id}").status_code == 404
    assert client.get(f"/volunteers/{old.user_id}").status_code == 404


def test_public_card_holds_only_public_fields(app):
    p = _private_volunteer(free_tags=["写真"])
    assert set(services.public_card(p)) == {"user_id", "display_name", "skills", "free_tags", "districts", "fields"}
    _assert_no_private(json.dumps(services.public_card(p), ensure_ascii=False))


# --- search and facets --------------------------------------------------------------------------------------------


def test_search_and_facets_go_through_the_index(client):
    kusa = make_volunteer_profile(skills=["草刈り"], districts=["板取"], fields=[3])
    kusa.user.display_name = "くさかりさん"
    sign = make_volunteer_profile(skills=["手話"], districts=["安桜"], fields=[1])
    sign.user.display_name = "しゅわさん"
    _indexed(kusa, sign)
    html = client.get("/volunteers/?q=草刈り").get_data(as_text=True)
    assert "くさかりさん" in html and "しゅわさん" not in html and "1人が見つかりました" in html
    html = client.get(f"/volunteers/?district={_district('安桜').id}").get_data(as_text=True)
    assert "しゅわさん" in html and "くさかりさん" not in html
    assert f'value="{_district("安桜").id}" id="district-{_district("安桜").id}" checked' in html
    html = client.get("/volunteers/?field=3&field=1").get_data(as_text=True)
    assert "しゅわさん" in html and "くさかりさん" in html
    assert 'value="3" id="field-3" checked' in html
    html = client.get("/volunteers/?q=草刈り&field=1").get_data(as_text=True)
    assert "0人が見つかりました" in html


def test_search_rechecks_the_database_even_when_the_index_is_stale(client):
    p = make_volunteer_profile(skills=["傾聴"])
    _indexed(p)
    p.public_card = False  # changed without an index update
    db.session.commit()
    html = client.get("/volunteers/?q=傾聴").get_data(as_text=True)
    assert p.user.display_name not in html


@pytest.mark.parametrize("q", ["*", "name:x", 'text:"', "(", "a" * 10_000, "\x00", "<script>alert(1)</script>"])
def test_odd_queries_never_fail(client, q):
    make_volunteer_profile(skills=["草刈り"])
    response = client.get("/volunteers/", query_string={"q": q, "page": "-1", "district": "x"})
    assert response.status_code == 200
    assert "<script>alert(1)</script>" not in response.get_data(as_text=True)


def test_saving_a_profile_reaches_the_index_after_the_request(client, login_as):
    user = login_as(Role.VOLUNTEER)
    from tests.test_volunteers_editor import _form

    client.post("/volunteers/me/edit", data=_form(display_name="索引テスト"))
    assert search.search("volunteer", "索引テスト").ids == [user.id]


# --- pagination, htmx, URL state ----------------------------------------------------------------------------------


def test_pagination_keeps_the_filters_in_links(client):
    for _ in range(23):
        make_volunteer_profile(skills=["草刈り"], districts=["板取"], commit=False)
    db.session.commit()
    search.rebuild()
    d = _district("板取").id
    html = client.get(f"/volunteers/?q=草刈り&district={d}").get_data(as_text=True)
    assert "23人が見つかりました" in html and html.count('class="card vol-card"') == 20
    assert f'href="/volunteers/?q=%E8%8D%89%E5%88%88%E3%82%8A&amp;district={d}&amp;page=2"' in html
    assert 'hx-target="#volunteer-results"' in html and 'hx-push-url="true"' in html
    page2 = client.get(f"/volunteers/?q=草刈り&district={d}&page=2").get_data(as_text=True)
    assert page2.count('class="card vol-card"') == 3
    plain = client.get("/volunteers/?page=2").get_data(as_text=True)
    assert plain.count('class="card vol-card"') == 3 and 'href="/volunteers/?page=1"' in plain


def test_htmx_gets_the_results_block_and_a_browser_the_whole_page(client):
    make_volunteer_profile(skills=["草刈り"])
    full = client.get("/volunteers/?q=草刈り")
    part = client.get("/volunteers/?q=草刈り", headers=HX)
    for response in (full, part):
        assert response.status_code == 200 and "HX-Request" in response.headers["Vary"]
    assert "<html" in full.get_data(as_text=True) and 'role="search"' in full.get_data(as_text=True)
    fragment = part.get_data(as_text=True).strip()
    assert fragment.startswith('<section id="volunteer-results"') and "<html" not in fragment
    assert 'role="search"' not in fragment


def test_search_form_is_active_and_pushes_the_url(client):
    html = client.get("/volunteers/").get_data(as_text=True)
    assert 'hx-get="/volunteers/"' in html and 'hx-push-url="true"' in html
    assert 'hx-target="#volunteer-results"' in html and 'method="get"' in html


def test_query_count_is_constant_whatever_the_number_of_cards(client, queries):
    counts = []
    for total in (3, 25):
        for _ in range(total - (3 if counts else 0)):
            make_volunteer_profile(skills=["草刈り", "手話"], districts=["板取", "安桜"], fields=[3, 4],
                                   commit=False)
        db.session.commit()
        search.rebuild()
        with queries() as q:
            client.get("/volunteers/")
        with queries() as q2:
            client.get("/volunteers/?q=草刈り&field=3")
        counts.append((q.count, q2.count))
    assert counts[0] == counts[1], counts


# --- one volunteer's page ----------------------------------------------------------------------------------------


def test_another_volunteer_cannot_open_a_private_profile(client, login_as):
    p = _private_volunteer(public=False)
    login_as(Role.VOLUNTEER)
    assert client.get(f"/volunteers/{p.user_id}").status_code == 404
    login_as(Role.STAFF)
    assert client.get(f"/volunteers/{p.user_id}").status_code == 404


def test_anonymous_visitor_gets_404_for_a_private_or_missing_profile(client):
    p = _private_volunteer(public=False)
    assert client.get(f"/volunteers/{p.user_id}").status_code == 404
    assert client.get("/volunteers/999999").status_code == 404


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinator_sees_private_data_and_the_view_is_audited(client, login_as, role):
    p = _private_volunteer(public=False)
    viewer = login_as(role)
    response = client.get(f"/volunteers/{p.user_id}")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    for value in PRIVATE.values():
        assert value in html
    events = list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == "personal_data_viewed")))
    assert [(e.actor_id, e.target) for e in events] == [(viewer.id, f"volunteer:{p.user_id}")]
    assert audit.ACTIONS["personal_data_viewed"] == "個人情報の閲覧"


def test_owner_sees_own_page_whole_without_an_audit_entry(client, login):
    p = _private_volunteer(public=False)
    login(p.user)
    html = client.get(f"/volunteers/{p.user_id}").get_data(as_text=True)
    assert PRIVATE["phone"] in html and PRIVATE["real_name"] in html
    assert db.session.scalar(select(AuditEvent.id).where(AuditEvent.action == "personal_data_viewed")) is None


def test_contact_data_is_shown_to_a_match_partner_only_through_the_hook(client, login_as, monkeypatch):
    p = _private_volunteer()
    staff = login_as(Role.STAFF)
    assert PRIVATE["phone"] not in client.get(f"/volunteers/{p.user_id}").get_data(as_text=True)
    assert not services.has_approved_match(staff, p.user_id)
    partner_of = p.user_id  # read now: the hook runs inside the request, outside the test's session
    monkeypatch.setattr(services, "has_approved_match", lambda viewer, uid: uid == partner_of)
    html = client.get(f"/volunteers/{p.user_id}").get_data(as_text=True)
    assert PRIVATE["phone"] in html and PRIVATE["email"] in html
    assert PRIVATE["real_name"] not in html and PRIVATE["bio"] not in html
    assert db.session.scalar(select(AuditEvent.target).where(AuditEvent.action == "personal_data_viewed")) == \
        f"volunteer:{p.user_id}"


def test_predicates(app):
    p = _private_volunteer(public=False)
    owner, other = p.user, make_user(Role.VOLUNTEER)
    coordinator, staff = make_user(Role.COORDINATOR), make_user(Role.STAFF)
    assert services.can_view_private(owner, p) and services.can_view_private(coordinator, p)
    assert not services.can_view_private(other, p) and not services.can_view_private(staff, p)
    assert services.can_view_contact(coordinator, p) and not services.can_view_contact(staff, p)


# --- escaping ------------------------------------------------------------------------------------------------------

XSS = "<script>alert(1)</script>"
SHORT_XSS = "<svg onload=1>"  # a free tag is at most 20 characters


def test_xss_in_every_text_field_renders_as_text(client, login_as):
    from tests.test_volunteers_editor import _form

    user = login_as(Role.VOLUNTEER)
    payload = {name: XSS for name in ("display_name", "real_name", "guardian_name", "availability_note", "bio")}
    payload.update({"free_tags": SHORT_XSS, "qualifications-0-name": XSS, "is_minor": "y", "guardian_consent": "y"})
    assert client.post("/volunteers/me/edit", data=_form(**payload)).status_code == 303
    p = services.load_profile(user.id)
    assert p.bio == XSS and p.free_tags == [SHORT_XSS] and p.qualifications[0].name == XSS
    coordinator = make_user(Role.COORDINATOR)
    pages = [client.get("/volunteers/me"), client.get("/volunteers/me/edit"), client.get("/volunteers/"),
             client.get("/volunteers/?q=script"), client.get("/volunteers/", headers=HX)]
    client.post("/logout")
    client.post("/login", data={"email": coordinator.email, "password": "kawa-no-nagare-2026"})
    pages.append(client.get(f"/volunteers/{user.id}"))
    for response in pages:
        html = response.get_data(as_text=True)
        assert XSS not in html and SHORT_XSS not in html
    assert html.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 5
    assert "&lt;svg onload=1&gt;" in html


def test_xss_comes_back_escaped_from_the_inline_check(client, login_as):
    from tests.test_volunteers_editor import _form

    login_as(Role.VOLUNTEER)
    for name in ("display_name", "real_name", "bio", "availability_note", "free_tags"):
        html = client.post(f"/volunteers/me/validate/{name}", data=_form(**{name: XSS}), headers=HX).get_data(
            as_text=True)
        assert XSS not in html and "&lt;script&gt;" in html, name


# --- my data: export and deletion --------------------------------------------------------------------------------


def test_export_includes_the_whole_profile_and_qualifications(app):
    p = _private_volunteer()
    from kyodo_match.models import Qualification

    p.qualifications.append(Qualification(name="介護福祉士", year=2015))
    db.session.commit()
    data = account_services.export_data(p.user)
    section = data["volunteer_profile"]
    assert section["phone"] == PRIVATE["phone"] and section["real_name"] == PRIVATE["real_name"]
    assert section["qualifications"] == [{"name": "介護福祉士", "year": 2015}]
    assert section["skills"] == ["草刈り"] and section["districts"] == ["板取"]
    assert account_services.export_data(make_user())["volunteer_profile"] is None


def test_deleting_the_account_erases_the_profile_and_its_card(client, login):
    p = _private_volunteer()
    user_id = p.user_id
    _indexed(p)
    assert search.search("volunteer", "草刈り").ids == [user_id]
    user = p.user
    account_services.delete_account(user)
    db.session.commit()
    search.drain()
    assert db.session.get(VolunteerProfile, user_id) is None
    assert search.search("volunteer", "草刈り").ids == []
    assert db.session.scalar(select(SearchOutbox.id).order_by(SearchOutbox.id.desc())) is not None
