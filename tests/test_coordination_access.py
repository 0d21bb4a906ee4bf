"""Only coordinators and administrators reach the coordinator's desk; everyone else is refused or sent to login."""

from __future__ import annotations

import pytest

from kyodo_match.models import Role
from tests.factories import make_group, make_user, make_volunteer_profile


def _urls(profile, group, record_id: int) -> list[tuple[str, str]]:
    return [
        ("GET", "/coordination/"),
        ("GET", "/coordination/people"),
        ("GET", f"/coordination/people/{profile.user_id}"),
        ("GET", "/coordination/people.csv"),
        ("GET", "/coordination/groups"),
        ("GET", f"/coordination/groups/{group.id}"),
        ("GET", "/coordination/groups.csv"),
        ("POST", f"/coordination/people/{profile.user_id}/consultations"),
        ("POST", f"/coordination/groups/{group.id}/consultations"),
        ("POST", f"/coordination/people/{profile.user_id}/stage"),
        ("POST", f"/coordination/groups/{group.id}/stage"),
        ("GET", f"/coordination/consultations/{record_id}/edit"),
        ("POST", f"/coordination/consultations/{record_id}/edit"),
    ]


@pytest.fixture
def objects(app):
    from kyodo_match.coordination import services
    from kyodo_match.i18n import today_jst

    profile = make_volunteer_profile(real_name="秘密 花子")
    group = make_group()
    author = make_user(Role.COORDINATOR)
    record = services.add_consultation(author, profile, held_on=today_jst(), topic="はじめての相談")
    from kyodo_match.extensions import db

    db.session.commit()
    return profile, group, record.id


@pytest.mark.parametrize("role", [Role.VOLUNTEER, Role.GROUP_REP, Role.STAFF])
def test_volunteers_group_reps_and_staff_are_refused_every_coordination_page(role, objects, login_as, client):
    login_as(role)
    for method, url in _urls(*objects):
        response = client.open(url, method=method, data={"topic": "x", "held_on": "2026-01-01", "stage": "grant"})
        assert response.status_code == 403, (role, method, url)
        assert "秘密 花子" not in response.get_data(as_text=True)


def test_anonymous_visitor_is_sent_to_login(objects, client):
    for method, url in _urls(*objects):
        response = client.open(url, method=method)
        assert response.status_code in (302, 303), (method, url)
        assert "/login" in response.headers["Location"]


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.ADMIN])
def test_coordinators_and_admins_open_every_page(role, objects, login_as, client):
    login_as(role)
    for method, url in _urls(*objects):
        if method == "GET" and "/edit" not in url:
            assert client.get(url).status_code == 200, (role, url)


def test_the_desk_is_in_the_navigation_for_coordinators_only(login_as, client, app):
    login_as(Role.COORDINATOR)
    assert 'href="/coordination/"' in client.get("/").get_data(as_text=True)
    client.post("/logout")
    login_as(Role.STAFF)
    assert 'href="/coordination/"' not in client.get("/").get_data(as_text=True)


def test_unknown_person_group_and_record_are_404(login_as, client):
    login_as(Role.COORDINATOR)
    for url in ["/coordination/people/999999", "/coordination/groups/999999",
                "/coordination/consultations/999999/edit"]:
        assert client.get(url).status_code == 404, url
    assert client.post("/coordination/people/999999/consultations", data={"topic": "x"}).status_code == 404
