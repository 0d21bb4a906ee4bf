"""Civic group rules: registration, 法人番号, the status table, invitations, leaving, account export and deletion."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
from sqlalchemy import select

from kyodo_match import audit
from kyodo_match.account import services as account
from kyodo_match.errors import Conflict, FieldRefused, NotAllowed, RuleViolation
from kyodo_match.extensions import db
from kyodo_match.groups import services
from kyodo_match.models import AuditEvent, GroupInvitation, GroupRepresentative, Role, SearchOutbox, utcnow
from kyodo_match.validation import corporate_number_check_digit
from tests.factories import make_group, make_user

BODY = "180301000000"
CORPORATE_NUMBER = f"{corporate_number_check_digit(BODY)}{BODY}"
FULL_WIDTH = str.maketrans("0123456789-", "０１２３４５６７８９－")


def data(**overrides) -> dict:
    values = {"name": "関まちづくりの会", "name_kana": "せきまちづくりのかい", "group_type": "volunteer",
              "description": "清流の河原を掃除しています", "contact_email": "kai@example.jp"}
    return values | overrides


@pytest.fixture
def rep(app):
    return make_user(Role.GROUP_REP)


@pytest.fixture
def coordinator(app):
    return make_user(Role.COORDINATOR)


def test_every_group_audit_action_has_a_japanese_label():
    for action in ("group_status_changed", "group_private_viewed", "group_representative_invited",
                   "group_representative_joined", "group_representative_left"):
        assert action in audit.ACTIONS
    assert audit.ACTIONS["group_status_changed"] == "団体の登録状況の変更"


def test_representative_registers_a_pending_group_and_becomes_its_first_representative(rep):
    group = services.register_group(rep, data())
    db.session.commit()
    assert group.status == "pending"
    assert [r.user_id for r in group.representatives] == [rep.id]
    assert db.session.scalar(select(SearchOutbox).where(SearchOutbox.kind == "group",
                                                        SearchOutbox.object_id == group.id)) is not None


def test_volunteer_cannot_register_a_group(app):
    with pytest.raises(NotAllowed):
        services.register_group(make_user(Role.VOLUNTEER), data())


def test_coordinator_registers_on_behalf_without_becoming_representative(coordinator):
    group = services.register_group(coordinator, data())
    assert group.representatives == []
    assert services.can_edit_group(coordinator, group)


@pytest.mark.parametrize("group_type", ["npo", "company"])
def test_corporate_number_is_required_and_checked_for_npo_and_companies(rep, group_type):
    with pytest.raises(FieldRefused) as missing:
        services.register_group(rep, data(group_type=group_type))
    assert missing.value.field == "corporate_number" and "法人番号" in missing.value.message
    wrong = f"{(int(CORPORATE_NUMBER[0]) + 1) % 10}{BODY}"
    with pytest.raises(FieldRefused, match="正しくありません"):
        services.register_group(rep, data(group_type=group_type, corporate_number=wrong))
    typed = f"{CORPORATE_NUMBER[:1]}-{CORPORATE_NUMBER[1:5]}-{CORPORATE_NUMBER[5:]}".translate(FULL_WIDTH)
    group = services.register_group(rep, data(group_type=group_type, corporate_number=typed))
    assert group.corporate_number == CORPORATE_NUMBER


def test_corporate_number_is_dropped_for_other_types(rep):
    group = services.register_group(rep, data(group_type="npo", corporate_number=CORPORATE_NUMBER))
    services.update_group(group, data(group_type="neighbourhood", corporate_number=CORPORATE_NUMBER))
    assert group.corporate_number is None
    other = services.register_group(rep, data(group_type="pta", corporate_number="123"))
    assert other.corporate_number is None


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,x", "ftp://example.jp", "example.jp"])
def test_website_must_be_http_or_https(rep, url):
    with pytest.raises(FieldRefused) as refused:
        services.register_group(rep, data(website=url))
    assert refused.value.field == "website"


def test_profile_keeps_only_known_slots_and_existing_reference_rows(rep):
    group = services.register_group(rep, data(availability=["sat_am", "xyz", "mon_ev"], field_codes=[3, 999],
                                              skill_ids=[], district_ids=[123456]))
    assert group.availability == ["mon_ev", "sat_am"]
    assert [f.code for f in group.fields] == [3]
    assert group.districts == []


def test_representative_of_one_group_cannot_edit_another(rep):
    mine = make_group("わたしの会", representative=rep)
    theirs = make_group("ほかの会", representative=make_user(Role.GROUP_REP))
    assert services.can_edit_group(rep, mine)
    assert not services.can_edit_group(rep, theirs)
    assert services.can_edit_group(make_user(Role.ADMIN), theirs)
    assert not services.can_edit_group(make_user(Role.STAFF), theirs)


# --- the status table ------------------------------------------------------------------------------------------

def test_coordinator_verifies_a_pending_group_and_it_is_audited(rep, coordinator):
    group = make_group("申請中の会", status="pending", representative=rep)
    services.verify_group(group, coordinator)
    db.session.commit()
    assert group.status == "verified" and group.verified_by_id == coordinator.id and group.verified_at
    event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "group_status_changed"))
    assert event.target == f"group:{group.id}" and event.details == {"before": "pending", "after": "verified"}


@pytest.mark.parametrize("source, target", [
    ("pending", "paused"), ("verified", "pending"), ("stopped", "paused"), ("paused", "pending"),
    ("verified", "verified"), ("stopped", "stopped"),
])
def test_illegal_transition_is_a_conflict(coordinator, source, target):
    group = make_group(status=source)
    with pytest.raises(Conflict) as refused:
        services.change_status(group, target, coordinator, reason="理由")
    assert refused.value.status == 409 and "できません" in refused.value.message
    assert group.status == source


def test_only_coordinators_and_admins_change_the_status(rep):
    group = make_group(status="pending", representative=rep)
    for user in (rep, make_user(Role.STAFF), make_user(Role.VOLUNTEER)):
        with pytest.raises(NotAllowed):
            services.change_status(group, "verified", user)
    services.change_status(group, "verified", make_user(Role.ADMIN))
    assert group.status == "verified"


@pytest.mark.parametrize("source, target", [("verified", "paused"), ("verified", "stopped"),
                                            ("pending", "stopped"), ("paused", "stopped")])
def test_pausing_or_stopping_needs_a_reason(coordinator, source, target):
    group = make_group(status=source)
    with pytest.raises(FieldRefused) as refused:
        services.change_status(group, target, coordinator, reason="   ")
    assert refused.value.field == "reason"
    services.change_status(group, target, coordinator, reason="活動の実態が確認できないため")
    assert group.status == target and group.status_reason == "活動の実態が確認できないため"


def test_paused_and_stopped_groups_can_be_verified_again(coordinator):
    for source in ("paused", "stopped"):
        group = make_group(status=source, status_reason="前の理由")
        services.change_status(group, "verified", coordinator)
        assert group.status == "verified" and group.status_reason is None


# --- invitations and representatives ---------------------------------------------------------------------------

def last_mail_text(app) -> str:
    """The body of the newest e-mail written to the test mail folder."""
    newest = max(Path(app.config["KYODO_MAIL_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return email.message_from_bytes(newest.read_bytes(), policy=policy.default).get_body().get_content()


def _invite(app, group, inviter, address="new-rep@example.jp") -> str:
    with app.test_request_context():
        services.invite_representative(group, address, inviter)
    db.session.commit()
    return last_mail_text(app).split("/groups/invitations/")[1].split()[0]


def test_invitation_stores_only_a_hash_and_is_single_use(app, rep):
    group = make_group(representative=rep)
    token = _invite(app, group, rep)
    invitation = db.session.scalar(select(GroupInvitation))
    assert token not in invitation.token_hash and len(invitation.token_hash) == 64
    assert invitation.expires_at - utcnow() > timedelta(days=13)
    volunteer = make_user(Role.VOLUNTEER)
    services.accept_invitation(token, volunteer)
    db.session.commit()
    assert volunteer.has_role(Role.GROUP_REP)
    assert services.is_representative(volunteer, group)
    with pytest.raises(services.InvitationUnusable) as used:
        services.accept_invitation(token, make_user(Role.GROUP_REP))
    assert used.value.status == 404


def test_expired_or_unknown_invitation_is_refused(app, rep):
    group = make_group(representative=rep)
    token = _invite(app, group, rep)
    db.session.scalar(select(GroupInvitation)).expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    for bad in (token, "no-such-token"):
        with pytest.raises(services.InvitationUnusable):
            services.accept_invitation(bad, make_user(Role.VOLUNTEER))


def test_inviting_someone_who_already_represents_the_group_is_refused(app, rep):
    group = make_group(representative=rep)
    with app.test_request_context(), pytest.raises(FieldRefused):
        services.invite_representative(group, rep.email.upper(), rep)
    with app.test_request_context(), pytest.raises(NotAllowed):
        services.invite_representative(group, "x@example.jp", make_user(Role.GROUP_REP))


def test_last_representative_cannot_leave_but_one_of_two_can(rep):
    group = make_group(representative=rep)
    with pytest.raises(RuleViolation, match="ただ一人の代表者"):
        services.leave_group(group, rep)
    other = make_user(Role.GROUP_REP)
    db.session.add(GroupRepresentative(group_id=group.id, user_id=other.id))
    db.session.commit()
    services.leave_group(group, rep)
    db.session.commit()
    assert [r.user_id for r in services.representatives(group)] == [other.id]
    with pytest.raises(NotAllowed):
        services.leave_group(group, rep)


# --- my account -------------------------------------------------------------------------------------------------

def test_export_lists_the_groups_i_represent(rep):
    group = make_group("書き出しの会", representative=rep)
    (entry,) = account.export_data(rep)["group_representatives"]
    assert entry["group_id"] == group.id and entry["group_name"] == "書き出しの会" and entry["joined_at"]


def test_last_representative_cannot_delete_their_account_until_handing_over(rep):
    group = make_group("引き継ぎの会", representative=rep)
    with pytest.raises(RuleViolation) as refused:
        account.delete_account(rep)
    assert "引き継" in refused.value.message and any("引き継ぎの会" in p for p in refused.value.problems)
    db.session.rollback()
    other = make_user(Role.GROUP_REP)
    db.session.add(GroupRepresentative(group_id=group.id, user_id=other.id))
    db.session.commit()
    account.delete_account(rep)
    db.session.commit()
    assert [r.user_id for r in services.representatives(group)] == [other.id]
