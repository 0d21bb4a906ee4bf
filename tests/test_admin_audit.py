"""The audit log page: filters in the URL (dates in Japan time), paging, the htmx fragment, query counts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from kyodo_match.extensions import db
from kyodo_match.models import AuditEvent, Role
from tests.factories import make_user


def _event(action: str, when: datetime, *, outcome: str = "ok", actor=None, target: str = "") -> AuditEvent:
    event = AuditEvent(action=action, outcome=outcome, actor_id=getattr(actor, "id", None), created_at=when,
                       target=target or None, ip="192.0.2.1", details={})
    db.session.add(event)
    return event


@pytest.fixture
def admin(login_as):
    return login_as(Role.ADMIN)


def test_audit_filters_by_action_and_outcome(admin, client):
    t = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    _event("login_failed", t, outcome="fail", target="mark-a")
    _event("forbidden", t, outcome="denied", target="mark-b")
    _event("user_created", t, actor=admin, target="mark-c")
    db.session.commit()
    page = client.get("/admin/audit?action=login_failed").get_data(as_text=True)
    assert "mark-a" in page and "mark-b" not in page and "mark-c" not in page
    page = client.get("/admin/audit?outcome=denied").get_data(as_text=True)
    assert "mark-b" in page and "mark-a" not in page and "mark-c" not in page


def test_audit_filters_by_actor_email(admin, client):
    someone = make_user(email="someone@example.jp")
    t = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    _event("password_changed", t, actor=someone, target="mark-someone")
    _event("password_changed", t, actor=admin, target="mark-admin")
    db.session.commit()
    page = client.get("/admin/audit?actor=SOMEONE@example").get_data(as_text=True)
    assert "mark-someone" in page and "mark-admin" not in page


def test_audit_dates_are_japan_days_converted_to_utc(admin, client):
    # 2026-04-02 in Japan runs from 2026-04-01 15:00 UTC to 2026-04-02 15:00 UTC.
    _event("logout", datetime(2026, 4, 1, 14, 59, tzinfo=UTC), target="mark-before")
    _event("logout", datetime(2026, 4, 1, 15, 0, tzinfo=UTC), target="mark-start")
    _event("logout", datetime(2026, 4, 2, 14, 59, tzinfo=UTC), target="mark-end")
    _event("logout", datetime(2026, 4, 2, 15, 0, tzinfo=UTC), target="mark-after")
    db.session.commit()
    page = client.get("/admin/audit?date_from=2026-04-02&date_to=2026-04-02").get_data(as_text=True)
    assert "mark-start" in page and "mark-end" in page
    assert "mark-before" not in page and "mark-after" not in page
    assert "2026-04-02 00:00:00" in page  # shown in JST
    page = client.get("/admin/audit?date_from=2026-04-02").get_data(as_text=True)
    assert "mark-after" in page and "mark-before" not in page


def test_audit_is_newest_first_and_paginated_by_fifty(admin, client):
    for n in range(51):
        _event("password_reset", datetime(2026, 6, 1, 0, n, tzinfo=UTC), target=f"row-{n:02d}")
    db.session.commit()
    first = client.get("/admin/audit?action=password_reset").get_data(as_text=True)
    assert first.index("row-50") < first.index("row-49")
    assert "row-01" in first and "row-00" not in first
    second = client.get("/admin/audit?action=password_reset&page=2").get_data(as_text=True)
    assert "row-00" in second and "row-01" not in second
    assert "page=2" in first and "action=password_reset" in first  # page links keep the filters


@pytest.mark.parametrize("query", [
    "date_from=2026-13-45", "date_to=yesterday", "action=drop_tables", "outcome=maybe", "page=abc", "page=-1",
    "page=99999999999999999999", "date_from=2026-05-02&date_to=2026-05-01", "actor=" + "a" * 300,
])
def test_invalid_audit_filters_never_fail(query, admin, client):
    response = client.get(f"/admin/audit?{query}")
    assert response.status_code in (200, 422)
    if response.status_code == 422:
        assert "無視しました" in response.get_data(as_text=True)


def test_bad_date_is_explained_in_japanese_and_the_other_filters_still_apply(admin, client):
    _event("forbidden", datetime(2026, 5, 1, tzinfo=UTC), outcome="denied", target="mark-denied")
    _event("login", datetime(2026, 5, 1, tzinfo=UTC), target="mark-login")
    db.session.commit()
    response = client.get("/admin/audit?date_from=abc&outcome=denied")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "2026-04-01 の形で" in page
    assert "mark-denied" in page and "mark-login" not in page


def test_audit_list_is_a_full_page_or_an_htmx_fragment(admin, client):
    _event("login", datetime(2026, 5, 1, tzinfo=UTC), target="mark-x")
    db.session.commit()
    full = client.get("/admin/audit?action=login")
    assert full.status_code == 200
    body = full.get_data(as_text=True)
    assert "<html" in body and 'id="audit-results"' in body and 'hx-push-url="true"' in body
    assert "HX-Request" in full.headers["Vary"]
    fragment = client.get("/admin/audit?action=login", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    text = fragment.get_data(as_text=True)
    assert text.lstrip().startswith('<div id="audit-results"') and "<html" not in text and "mark-x" in text
    assert "HX-Request" in fragment.headers["Vary"]


def test_audit_list_query_count_does_not_grow_with_rows(admin, client, queries):
    def count_for_list() -> int:
        with queries() as q:
            assert client.get("/admin/audit?outcome=fail").status_code == 200
        return q.count

    def add(n: int) -> None:
        for i in range(n):
            actor = make_user(commit=False)
            _event("login_failed", datetime(2026, 5, 1, 0, i, tzinfo=UTC), outcome="fail", actor=actor)
        db.session.commit()

    add(3)
    few = count_for_list()
    add(27)
    assert count_for_list() == few


def test_admin_actions_are_in_the_log_without_passwords(admin, client):
    client.post("/admin/users/new", data={"display_name": "記録 確認", "email": "log@example.jp", "roles": ["admin"],
                                          "password_mode": "typed", "password": "tsubaki-no-hana-2026"})
    page = client.get("/admin/audit?action=user_created").get_data(as_text=True)
    assert "ユーザー作成" in page and "tsubaki" not in page
