"""Account rules without HTTP: updating, exporting and deleting my account."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kyodo_match import audit
from kyodo_match.account import services
from kyodo_match.errors import FieldRefused, RuleViolation
from kyodo_match.extensions import db
from kyodo_match.models import AuditEvent, Role, User
from tests.factories import PASSWORD, make_user


def test_every_audit_action_used_here_has_a_label():
    for action in ("account_updated", "account_exported", "account_deleted"):
        assert action in audit.ACTIONS


def test_update_account_normalises_the_name_and_reports_what_changed(app):
    user = make_user(display_name="前の名前")
    changed = services.update_account(user, display_name=" ｾｷ　ﾀﾛｳ ", email=user.email)
    assert changed == ["display_name"] and user.display_name == "セキ タロウ"
    assert services.update_account(user, display_name="セキ タロウ", email=user.email.upper()) == []


def test_update_account_refuses_control_characters_and_empty_names(app):
    user = make_user()
    with pytest.raises(FieldRefused) as caught:
        services.update_account(user, display_name="関\x00太郎", email=user.email)
    assert caught.value.field == "display_name"
    with pytest.raises(FieldRefused):
        services.update_account(user, display_name="\u3000 ", email=user.email)


def test_new_email_ends_every_session_and_needs_the_password(app):
    user = make_user(email="a@example.jp")
    version = user.session_version
    with pytest.raises(FieldRefused) as caught:
        services.update_account(user, display_name=user.display_name, email="b@example.jp", current_password="")
    assert caught.value.field == "current_password" and user.email == "a@example.jp"
    services.update_account(user, display_name=user.display_name, email="b@example.jp", current_password=PASSWORD)
    assert user.email == "b@example.jp" and user.session_version == version + 1


def test_export_holds_only_this_users_audit_events(app):
    me, other = make_user(), make_user()
    audit.record("login", actor=me)
    audit.record("login", actor=other)
    audit.record("login", actor=other)
    db.session.commit()
    data = services.export_data(me)
    assert len(data["audit_events"]) == 1
    assert data["account"]["email"] == me.email and other.email not in str(data)
    assert "password" not in str(data.keys()) and me.password_hash not in str(data)


def test_delete_account_keeps_an_anonymous_row_linked_to_past_records(app):
    user = make_user(Role.GROUP_REP, Role.VOLUNTEER)
    audit.record("login", actor=user)
    db.session.commit()
    version = user.session_version
    services.delete_account(user)
    db.session.commit()
    row = db.session.get(User, user.id)
    assert row.display_name == services.DELETED_DISPLAY_NAME
    assert row.email is None and row.password_hash is None and row.roles == [] and row.consents == []
    assert row.session_version == version + 1 and not row.is_active
    linked = db.session.scalars(select(AuditEvent).where(AuditEvent.actor_id == user.id)).all()
    assert {e.action for e in linked} == {"login", "account_deleted"}


def test_last_active_admin_cannot_be_deleted_but_one_of_two_can(app):
    first = make_user(Role.ADMIN, Role.STAFF)
    assert not services.can_delete_account(first)
    with pytest.raises(RuleViolation):
        services.delete_account(first)
    db.session.rollback()
    second = make_user(Role.ADMIN)
    assert services.can_delete_account(first) and services.can_delete_account(second)
    services.delete_account(first)
    db.session.commit()
    assert not services.can_delete_account(second)
    with pytest.raises(RuleViolation):
        services.delete_account(second)


def test_non_admins_may_always_delete_their_account(app):
    assert services.can_delete_account(make_user(Role.VOLUNTEER))
    assert services.can_delete_account(make_user(Role.COORDINATOR))
