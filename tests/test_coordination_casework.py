"""相談記録 and the step-up stage: coordinators add records with htmx, correct their own, move stages (audited)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from kyodo_match.coordination import services
from kyodo_match.errors import FieldRefused
from kyodo_match.extensions import db
from kyodo_match.i18n import today_jst
from kyodo_match.models import AuditEvent, Consultation, Role
from tests.factories import make_group, make_user, make_volunteer_profile

HX = {"HX-Request": "true"}


def _records() -> list[Consultation]:
    return list(db.session.scalars(select(Consultation).order_by(Consultation.id)))


def _events(action: str) -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def _data(**extra) -> dict:
    return {"held_on": today_jst().isoformat(), "topic": "子ども食堂を始めたい", "notes": "場所を探している",
            "next_step": "公民館の空きを調べる"} | extra


def test_coordinator_adds_a_record_with_htmx_and_gets_the_new_row(login_as, client):
    profile = make_volunteer_profile(phone="0575-99-0000")
    coordinator = login_as(Role.COORDINATOR)
    response = client.post(f"/coordination/people/{profile.user_id}/consultations", data=_data(), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "HX-Request" in response.headers["Vary"]
    assert 'id="casework"' in body and "<html" not in body
    assert "子ども食堂を始めたい" in body and "公民館の空きを調べる" in body
    assert 'value="子ども食堂を始めたい"' not in body  # a fresh form for the next record
    assert "0575-99-0000" not in body  # the fragment carries no contact data, so it is not an audited view
    [record] = _records()
    assert (record.volunteer_user_id, record.group_id, record.coordinator_id) == (profile.user_id, None,
                                                                                    coordinator.id)
    assert record.held_on == today_jst()
    assert _events("personal_data_viewed") == []


def test_records_are_listed_newest_first_on_the_group_page(login_as, client):
    group = make_group()
    login_as(Role.COORDINATOR)
    today = today_jst()
    client.post(f"/coordination/groups/{group.id}/consultations", data=_data(topic="古い相談",
                held_on=(today - timedelta(days=30)).isoformat()))
    response = client.post(f"/coordination/groups/{group.id}/consultations", data=_data(topic="新しい相談"))
    assert response.status_code == 303  # without htmx: back to the page
    page = client.get(f"/coordination/groups/{group.id}").get_data(as_text=True)
    assert page.index("新しい相談") < page.index("古い相談")
    assert [r.group_id for r in _records()] == [group.id, group.id]


def test_future_date_and_empty_topic_are_refused_beside_the_field(login_as, client):
    profile = make_volunteer_profile()
    login_as(Role.COORDINATOR)
    url = f"/coordination/people/{profile.user_id}/consultations"
    tomorrow = (today_jst() + timedelta(days=1)).isoformat()
    response = client.post(url, data=_data(held_on=tomorrow), headers=HX)
    assert response.status_code == 422
    assert 'id="held_on-error"' in response.get_data(as_text=True)
    assert "未来の日付" in response.get_data(as_text=True)
    response = client.post(url, data=_data(topic="   "), headers=HX)
    assert response.status_code == 422
    assert 'id="topic-error"' in response.get_data(as_text=True)
    response = client.post(url, data=_data(topic="あ" * 121, notes="い" * 4001), headers=HX)
    assert response.status_code == 422
    assert 'id="notes-error"' in response.get_data(as_text=True)
    assert _records() == []


def test_the_service_refuses_a_future_date_and_an_empty_topic_too(app):
    profile = make_volunteer_profile()
    author = make_user(Role.COORDINATOR)
    with pytest.raises(FieldRefused) as refused:
        services.add_consultation(author, profile, held_on=today_jst() + timedelta(days=1), topic="件名")
    assert refused.value.field == "held_on"
    with pytest.raises(FieldRefused) as refused:
        services.add_consultation(author, profile, held_on=today_jst(), topic="  ")
    assert refused.value.field == "topic"


def test_xss_in_notes_is_shown_as_text(login_as, client):
    profile = make_volunteer_profile()
    login_as(Role.COORDINATOR)
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    client.post(f"/coordination/people/{profile.user_id}/consultations",
                data=_data(topic=payload, notes=payload, next_step=payload), headers=HX)
    for body in (client.get(f"/coordination/people/{profile.user_id}").get_data(as_text=True),
                 client.get("/coordination/").get_data(as_text=True)):
        assert "<script>alert" not in body and "<img src=x" not in body
        assert "&lt;script&gt;alert(" in body


def test_another_coordinator_cannot_edit_the_record_but_the_author_and_an_admin_can(login, client, app):
    profile = make_volunteer_profile()
    author = make_user(Role.COORDINATOR)
    other = make_user(Role.COORDINATOR)
    admin = make_user(Role.ADMIN)
    record = services.add_consultation(author, profile, held_on=today_jst(), topic="最初の件名")
    db.session.commit()
    url = f"/coordination/consultations/{record.id}/edit"

    login(other)
    assert client.get(url).status_code == 403
    assert client.post(url, data=_data(topic="書き換え")).status_code == 403
    page = client.get(f"/coordination/people/{profile.user_id}").get_data(as_text=True)
    assert url not in page  # no edit link for someone else's record
    db.session.refresh(record)
    assert record.topic == "最初の件名"

    client.post("/logout")
    login(author)
    assert url in client.get(f"/coordination/people/{profile.user_id}").get_data(as_text=True)
    assert client.get(url).status_code == 200
    response = client.post(url, data=_data(topic="修正した件名"))
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/coordination/people/{profile.user_id}#consultation-{record.id}")
    db.session.refresh(record)
    assert (record.topic, record.coordinator_id) == ("修正した件名", author.id)
    response = client.post(url, data=_data(topic=""), headers=HX)
    assert response.status_code == 422 and 'id="topic-error"' in response.get_data(as_text=True)

    client.post("/logout")
    login(admin)
    assert client.post(url, data=_data(topic="管理者が直した件名")).status_code == 303
    db.session.refresh(record)
    assert (record.topic, record.coordinator_id) == ("管理者が直した件名", author.id)


def test_stage_change_is_audited_and_noted_as_a_consultation(login_as, client):
    profile = make_volunteer_profile()
    coordinator = login_as(Role.COORDINATOR)
    response = client.post(f"/coordination/people/{profile.user_id}/stage",
                           data={"stage": "grant", "note": "市民活動助成金に申請する"}, headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and 'id="casework"' in body
    assert "段階の変更: 相談 → 助成" in body
    db.session.refresh(profile)
    assert profile.stage == "grant"
    [event] = _events("stage_changed")
    assert (event.actor_id, event.target, event.details) == (
        coordinator.id, f"volunteer:{profile.user_id}", {"old": "consultation", "new": "grant"})
    [record] = _records()
    assert (record.topic, record.notes) == ("段階の変更: 相談 → 助成", "市民活動助成金に申請する")
    assert record.coordinator_id == coordinator.id


def test_group_stage_goes_forward_without_a_note_and_back_only_with_one(login_as, client):
    group = make_group()
    login_as(Role.COORDINATOR)
    url = f"/coordination/groups/{group.id}/stage"
    assert client.post(url, data={"stage": "collaboration"}, headers=HX).status_code == 200
    response = client.post(url, data={"stage": "grant"}, headers=HX)
    assert response.status_code == 422 and 'id="note-error"' in response.get_data(as_text=True)
    response = client.post(url, data={"stage": "collaboration"}, headers=HX)
    assert response.status_code == 422 and 'id="stage-error"' in response.get_data(as_text=True)
    assert client.post(url, data={"stage": "boss"}, headers=HX).status_code == 422
    response = client.post(url, data={"stage": "grant", "note": "事業が終わり、次の助成を検討"})
    assert response.status_code == 303
    db.session.refresh(group)
    assert group.stage == "grant"
    assert [e.details for e in _events("stage_changed")] == [
        {"old": "consultation", "new": "collaboration"}, {"old": "collaboration", "new": "grant"}]
    assert [r.topic for r in _records()] == ["段階の変更: 相談 → 協働事業", "段階の変更: 協働事業 → 助成"]


def test_post_without_csrf_token_is_refused(login_as, client):
    profile = make_volunteer_profile()
    login_as(Role.COORDINATOR)
    response = client.post(f"/coordination/people/{profile.user_id}/consultations", data=_data(), csrf=False)
    assert response.status_code == 400
    assert _records() == []
