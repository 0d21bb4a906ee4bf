"""Several representatives per group: invite by e-mail, accept (single use, 14 days), leave — never the last one."""

from __future__ import annotations

import email
from datetime import timedelta
from email import policy
from pathlib import Path

from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import GroupInvitation, GroupRepresentative, Role, User, utcnow
from tests.factories import make_group, make_user

HX = {"HX-Request": "true"}


def html(response) -> str:
    return response.get_data(as_text=True)


def mails(app) -> list[email.message.EmailMessage]:
    files = sorted(Path(app.config["KYODO_MAIL_DIR"]).glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]


def invitation_path(message) -> str:
    body = message.get_body().get_content()
    return "/groups/invitations/" + body.split("/groups/invitations/")[1].split()[0]


def _rep_ids(group) -> list[int]:
    return list(db.session.scalars(select(GroupRepresentative.user_id).where(GroupRepresentative.group_id == group.id)
                                   .order_by(GroupRepresentative.joined_at)))


def test_invite_accept_two_representatives_one_leaves_the_last_cannot(app, client, login):
    founder = make_user(Role.GROUP_REP, display_name="創設者")
    group = make_group("招待の会", representative=founder)
    login(founder)
    page = client.get(f"/groups/{group.id}/representatives")
    assert "創設者" in html(page) and "（あなた）" in html(page)

    invited = client.post(f"/groups/{group.id}/representatives/invite", data={"email": "ＮＥＷ@example.jp"},
                          headers=HX)
    assert invited.status_code == 200
    panel = html(invited)
    assert "<html" not in panel and 'id="rep-panel"' in panel and "new@example.jp" in panel
    (message,) = mails(app)
    assert message["To"] == "new@example.jp" and "招待の会" in message["Subject"]
    body = message.get_body().get_content()
    assert "創設者さんから" in body and "14日間有効" in body
    path = invitation_path(message)
    token = path.rsplit("/", 1)[1]
    assert token not in db.session.scalar(select(GroupInvitation.token_hash))

    newcomer = make_user(Role.VOLUNTEER, display_name="新しい代表者")
    login(newcomer)
    assert "代表者になる" in html(client.get(path))
    accepted = client.post(path)
    assert accepted.status_code == 303 and accepted.headers["Location"].endswith("/groups/mine")
    assert _rep_ids(group) == [founder.id, newcomer.id]
    assert db.session.get(User, newcomer.id).has_role(Role.GROUP_REP)
    assert "招待の会" in html(client.get("/groups/mine"))
    assert client.get(path).status_code == 404  # single use
    assert "使えません" in html(client.post(path))

    left = client.post(f"/groups/{group.id}/representatives/leave", headers=HX)
    assert left.status_code == 204 and left.headers["HX-Redirect"] == "/groups/mine"
    assert _rep_ids(group) == [founder.id]

    login(founder)
    refused = client.post(f"/groups/{group.id}/representatives/leave", headers=HX)
    assert refused.status_code == 422
    assert 'id="leave-error"' in html(refused) and "ただ一人の代表者" in html(refused)
    assert _rep_ids(group) == [founder.id]


def test_expired_invitation_is_refused(app, client, login):
    rep = make_user(Role.GROUP_REP)
    group = make_group(representative=rep)
    login(rep)
    client.post(f"/groups/{group.id}/representatives/invite", data={"email": "late@example.jp"})
    path = invitation_path(mails(app)[-1])
    db.session.scalar(select(GroupInvitation)).expires_at = utcnow() - timedelta(minutes=1)
    db.session.commit()
    login(make_user(Role.VOLUNTEER))
    assert client.get(path).status_code == 404
    response = client.post(path)
    assert response.status_code == 404 and "有効期限" in html(response)
    assert _rep_ids(group) == [rep.id]


def test_accepting_an_invitation_needs_a_signed_in_user(app, client, login):
    rep = make_user(Role.GROUP_REP)
    group = make_group(representative=rep)
    login(rep)
    client.post(f"/groups/{group.id}/representatives/invite", data={"email": "guest@example.jp"})
    client.post("/logout")
    path = invitation_path(mails(app)[-1])
    response = client.get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_invite_form_errors_are_422_in_the_panel(client, login):
    rep = make_user(Role.GROUP_REP)
    group = make_group(representative=rep)
    login(rep)
    bad = client.post(f"/groups/{group.id}/representatives/invite", data={"email": "not mail"}, headers=HX)
    assert bad.status_code == 422 and 'id="email-error"' in html(bad)
    again = client.post(f"/groups/{group.id}/representatives/invite", data={"email": rep.email}, headers=HX)
    assert again.status_code == 422 and "すでにこの団体の代表者" in html(again)
    assert db.session.scalar(select(GroupInvitation)) is None


def test_representatives_page_as_page_and_as_fragment(client, login):
    rep = make_user(Role.GROUP_REP)
    group = make_group(representative=rep)
    login(rep)
    page = client.get(f"/groups/{group.id}/representatives")
    fragment = client.get(f"/groups/{group.id}/representatives", headers=HX)
    assert "<html" in html(page) and "<html" not in html(fragment) and 'id="rep-panel"' in html(fragment)
    assert "HX-Request" in page.headers["Vary"] and "HX-Request" in fragment.headers["Vary"]
    assert rep.email not in html(page)


def test_last_representative_cannot_delete_their_account(client, login):
    from tests.factories import PASSWORD

    rep = make_user(Role.GROUP_REP)
    make_group("引き継ぎ前の会", representative=rep)
    login(rep)
    response = client.post("/account/delete", data={"current_password": PASSWORD, "confirm": "y"})
    assert response.status_code == 422 and "引き継" in html(response) and "引き継ぎ前の会" in html(response)
    assert db.session.get(User, rep.id).deleted_at is None
