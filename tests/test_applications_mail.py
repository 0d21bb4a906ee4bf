"""Who hears of each step of an application, in the notification centre and by e-mail — and nobody else.

Each step is taken through the domain (services / flow, as the views do), committed, and then the .eml files under
KYODO_MAIL_DIR are read back with the email package: To, a Japanese subject, the project's title and the link to
the application. Per-user preferences: 'off' keeps the in-app notice but sends nothing, 'digest' sends nothing now
and one e-mail from `flask send-digests`.
"""

from __future__ import annotations

import email
import email.policy
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select

from kyodo_match.applications import flow, services
from kyodo_match.extensions import db
from kyodo_match.models import Department, GroupRepresentative, Notification, Role, User
from kyodo_match.notifications import set_mail_mode
from tests.factories import make_group, make_project, make_user, make_volunteer_profile

TODAY = date.today()
TITLE = "長良川河川敷の清掃と草刈り"
PHONE = "0575-88-1234"


class Mailbox:
    """The messages that arrived since the last look, parsed (the app's file backend: one .eml per e-mail)."""

    def __init__(self, app):
        self.folder = Path(app.config["KYODO_MAIL_DIR"])
        self.base_url = app.config["KYODO_BASE_URL"].rstrip("/")
        self.seen: set[Path] = set()
        self.last_notice = 0

    def new(self) -> list[email.message.EmailMessage]:
        paths = sorted(set(self.folder.glob("*.eml")) - self.seen) if self.folder.exists() else []
        self.seen.update(paths)
        return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in paths]

    def new_notices(self) -> list[Notification]:
        rows = db.session.scalars(select(Notification).where(Notification.id > self.last_notice)
                                  .order_by(Notification.id)).all()
        if rows:
            self.last_notice = rows[-1].id
        return list(rows)

    def catch_up(self) -> None:
        db.session.commit()
        self.new()
        self.new_notices()

    def expect(self, people: list[User], *, words: str, link: str | None, also: tuple[str, ...] = ()):
        """After a commit: exactly ``people`` got one notice and one e-mail each, saying ``words``."""
        db.session.commit()
        notices = self.new_notices()
        mails = self.new()
        assert sorted(n.user_id for n in notices) == sorted(u.id for u in people), [n.message for n in notices]
        assert all(words in n.message and n.kind == "application" and n.link == link for n in notices)
        assert sorted(str(m["To"]) for m in mails) == sorted(u.email for u in people)
        for m in mails:
            subject, body = str(m["Subject"]), m.get_content()
            assert subject.startswith("【協働マッチ】") and words in subject + body, subject
            assert TITLE in body and PHONE not in body  # the project by name; contact data never by e-mail
            if link:
                assert f"{self.base_url}{link}" in body
            for extra in also:
                assert extra in body
        return mails


@dataclass
class People:
    staff: User  # 環境課, the project's contact person
    centre: User  # 市民活動センター
    bystanders: list[User]  # must never hear of any of it


@pytest.fixture
def people(app) -> People:
    dept = db.session.scalar(select(Department.id).where(Department.name == "環境課"))
    other = db.session.scalar(select(Department.id).where(Department.name == "秘書課"))
    staff = make_user(Role.STAFF, department_id=dept, email="kankyo@city.seki.example.jp")
    centre = make_user(Role.COORDINATOR, email="center@seki-npo.example.jp")
    bystanders = [make_user(Role.STAFF, department_id=dept), make_user(Role.STAFF, department_id=other),
                  make_user(Role.ADMIN), make_volunteer_profile().user]
    return People(staff, centre, bystanders)


@pytest.fixture
def mailbox(app):
    return Mailbox(app)


def _project(people: People, **fields):
    fields.setdefault("title", TITLE)
    return make_project(status="recruiting", contact_user_id=people.staff.id, **fields)


def _volunteer(mode: str | None = None) -> User:
    user = make_volunteer_profile(phone=PHONE).user
    if mode:
        set_mail_mode(user, "application", mode)
        db.session.commit()
    return user


def _link(application) -> str:
    return f"/applications/{application.id}"


def test_every_step_reaches_exactly_the_people_concerned(people, mailbox):
    project = _project(people, needed_individuals=1)
    volunteer, second = _volunteer(), _volunteer()
    mailbox.catch_up()

    first = services.apply_to_project(project, volunteer, {"message": "週末なら参加できます"}, today=TODAY)
    mails = mailbox.expect([people.centre, people.staff], words="応募がありました", link=_link(first))
    assert "応募がありました" in str(mails[0]["Subject"])

    flow.move(first, "approved", people.centre)
    mailbox.expect([volunteer, people.staff], words="承認しました", link=_link(first))

    flow.move(first, "confirmed", people.staff)
    mailbox.expect([volunteer], words="参加が確定しました", link=_link(first))

    waiting = services.apply_to_project(project, second, {}, today=TODAY)
    mailbox.catch_up()
    flow.move(waiting, "approved", people.centre)
    mailbox.catch_up()
    flow.move(waiting, "confirmed", people.staff)  # the only place is taken
    assert waiting.status == "waitlisted"
    mailbox.expect([second], words="キャンセル待ち", link=_link(waiting))

    flow.move(first, "withdrawn", people.staff, reason="体調不良のため辞退の連絡がありました")
    db.session.commit()
    notices = mailbox.new_notices()
    mails = mailbox.new()
    told = {(n.user_id, n.link): n.message for n in notices}
    assert set(told) == {(volunteer.id, _link(first)), (second.id, _link(waiting)), (people.staff.id, _link(waiting))}
    assert "辞退を担当課が記録しました" in told[(volunteer.id, _link(first))]
    assert "キャンセル待ちから参加が確定しました" in told[(second.id, _link(waiting))]
    assert "繰り上がりました" in told[(people.staff.id, _link(waiting))]
    assert sorted(str(m["To"]) for m in mails) == sorted([volunteer.email, second.email, people.staff.email])
    promoted = next(m for m in mails if str(m["To"]) == second.email)
    assert "キャンセル待ちから参加が確定しました" in str(promoted["Subject"])
    assert f"{mailbox.base_url}{_link(waiting)}" in promoted.get_content()


def test_a_decline_tells_the_applicant_the_reason(people, mailbox):
    project = _project(people)
    volunteer = _volunteer()
    application = services.apply_to_project(project, volunteer, {}, today=TODAY)
    mailbox.catch_up()
    flow.move(application, "declined", people.centre, reason="活動日が平日のみのため")
    mailbox.expect([volunteer], words="見送りになりました", link=_link(application), also=("活動日が平日のみのため",))


def test_recruitment_closing_tells_each_open_applicant_it_expired(people, mailbox):
    project = _project(people)
    volunteer, other = _volunteer(), _volunteer()
    mine = services.apply_to_project(project, volunteer, {}, today=TODAY)
    theirs = services.apply_to_project(project, other, {}, today=TODAY)
    flow.move(theirs, "approved", people.centre)
    mailbox.catch_up()
    flow.close_recruitment(project)
    db.session.commit()
    notices = mailbox.new_notices()
    mails = mailbox.new()
    assert sorted((n.user_id, n.link) for n in notices) == sorted([(volunteer.id, _link(mine)),
                                                                   (other.id, _link(theirs))])
    assert all("期限切れ" in n.message for n in notices)
    assert sorted(str(m["To"]) for m in mails) == sorted([volunteer.email, other.email])
    assert all("期限切れ" in str(m["Subject"]) and TITLE in m.get_content() for m in mails)


def test_an_invitation_reaches_the_invited_and_accepting_tells_the_department_and_the_centre(people, mailbox):
    project = _project(people)
    volunteer = _volunteer()
    mailbox.catch_up()
    invitation = services.invite(project, people.staff, volunteer_user_id=volunteer.id,
                                 message="経験を活かしてください", today=TODAY)
    mailbox.expect([volunteer], words="参加の招待が届きました", link=_link(invitation))
    flow.move(invitation, "applied", volunteer)
    mailbox.expect([people.staff, people.centre], words="招待を受けました", link=_link(invitation))


def test_a_group_application_reaches_every_representative(people, mailbox):
    project = _project(people, needed_groups=1)
    rep, co_rep = make_user(Role.GROUP_REP, email="rep1@example.jp"), make_user(Role.GROUP_REP, email="rep2@example.jp")
    group = make_group("NPO法人 清流の会", representative=rep)
    db.session.add(GroupRepresentative(group_id=group.id, user_id=co_rep.id))
    application = services.apply_to_project(project, rep, {"group_id": group.id}, today=TODAY)
    mailbox.catch_up()
    flow.move(application, "approved", people.centre)
    mailbox.expect([rep, co_rep, people.staff], words="承認しました", link=_link(application))


def test_a_message_reaches_everyone_else_on_the_thread_but_not_its_text(people, mailbox):
    project = _project(people)
    volunteer = _volunteer()
    application = services.apply_to_project(project, volunteer, {}, today=TODAY)
    mailbox.catch_up()
    services.post_message(application, people.staff, "集合場所は小瀬の河川敷、東側の駐車場です。")
    mails = mailbox.expect([volunteer, people.centre], words="新しいメッセージ", link=_link(application))
    assert all("東側の駐車場" not in m.get_content() for m in mails)  # the text stays in the platform
    services.post_message(application, volunteer, "よろしくお願いします。")
    mailbox.expect([people.staff, people.centre], words="新しいメッセージ", link=_link(application))


def test_mode_off_keeps_the_notice_but_sends_no_mail(people, mailbox):
    project = _project(people)
    quiet = _volunteer("off")
    application = services.apply_to_project(project, quiet, {}, today=TODAY)
    mailbox.catch_up()
    flow.move(application, "approved", people.centre)
    db.session.commit()
    notices = mailbox.new_notices()
    assert sorted(n.user_id for n in notices) == sorted([quiet.id, people.staff.id])
    assert [str(m["To"]) for m in mailbox.new()] == [people.staff.email]
    assert not any(n.digest_pending for n in notices)


def test_mode_digest_sends_nothing_now_and_one_mail_from_send_digests(app, people, mailbox):
    first, second = _project(people), _project(people, title="子ども食堂の配膳")
    patient = _volunteer("digest")
    one = services.apply_to_project(first, patient, {}, today=TODAY)
    two = services.apply_to_project(second, patient, {}, today=TODAY)
    mailbox.catch_up()
    flow.move(one, "approved", people.centre)
    flow.move(two, "declined", people.centre, reason="定員に達したため")
    db.session.commit()
    assert [str(m["To"]) for m in mailbox.new()] == [people.staff.email]  # the department's copy, each time
    mine = [n for n in mailbox.new_notices() if n.user_id == patient.id]
    assert len(mine) == 2 and all(n.digest_pending for n in mine)

    result = app.test_cli_runner().invoke(args=["send-digests"])
    assert result.exit_code == 0, result.output
    assert "1 件" in result.output
    (digest,) = mailbox.new()
    assert str(digest["To"]) == patient.email
    assert str(digest["Subject"]) == "【協働マッチ】お知らせが2件あります。"
    body = digest.get_content()
    assert TITLE in body and "子ども食堂の配膳" in body and "定員に達したため" in body
    assert f"{mailbox.base_url}{_link(one)}" in body and f"{mailbox.base_url}{_link(two)}" in body
    assert PHONE not in body

    again = app.test_cli_runner().invoke(args=["send-digests"])
    assert again.exit_code == 0 and "0 件" in again.output and mailbox.new() == []


def test_a_message_reaches_only_the_coordinators_who_took_part(app):
    from kyodo_match.models import Notification, Role
    from tests.factories import make_project, make_user, make_volunteer_profile

    acting, other = make_user(Role.COORDINATOR), make_user(Role.COORDINATOR)
    project = make_project(status="recruiting")
    application = services.apply_to_project(project, make_volunteer_profile().user, {}, today=date.today())
    flow.move(application, "reviewing", acting)
    db.session.commit()
    db.session.query(Notification).delete()
    services.post_message(application, application.volunteer, "集合時間を教えてください。")
    db.session.commit()
    told = set(db.session.scalars(select(Notification.user_id)))
    assert acting.id in told and other.id not in told
