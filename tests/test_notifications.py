"""Notifications (お知らせ): written in the caller's transaction, mailed only after commit, read on the page."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from kyodo_match.extensions import db
from kyodo_match.models import Notification, Role
from kyodo_match.notifications import notify, notify_many, unread_count
from tests.factories import make_user


def _mails(app) -> list[str]:
    folder = Path(app.config["KYODO_MAIL_DIR"])
    return [p.read_text(encoding="utf-8", errors="replace") for p in folder.glob("*.eml")] if folder.exists() else []


def test_a_notice_is_mailed_after_commit_and_never_after_a_rollback(app):
    user = make_user(Role.VOLUNTEER, email="taro@example.jp")
    notify(user, "test", "「河川敷の清掃」の内容が変わりました", "/issues/1")
    assert _mails(app) == []  # nothing leaves before the change is committed
    db.session.commit()
    mails = _mails(app)
    assert len(mails) == 1 and "taro@example.jp" in mails[0]
    notify(user, "test", "取り消される変更", "/issues/2")
    db.session.rollback()
    db.session.commit()
    assert len(_mails(app)) == 1
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 1


def test_inactive_users_and_duplicates_are_skipped(app):
    user = make_user(Role.VOLUNTEER)
    gone = make_user(Role.VOLUNTEER)
    gone.active = False
    db.session.commit()
    assert notify_many([user, user, gone, None], "test", "お知らせ") == 2
    db.session.commit()
    assert unread_count(user) == 1 and unread_count(gone) == 0


def test_the_page_lists_my_notices_marks_them_read_and_escapes_them(client, login):
    me = make_user(Role.VOLUNTEER)
    other = make_user(Role.VOLUNTEER)
    notify(me, "test", "<script>alert(1)</script> 事業が公開されました", "/issues/5", email=False)
    notify(other, "test", "ほかの人へのお知らせ", email=False)
    db.session.commit()
    login(me)
    home = client.get("/").get_data(as_text=True)
    assert "未読1件" in home
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 事業が公開されました" in page and "<script>alert(1)" not in page
    assert 'href="/issues/5"' in page and "ほかの人へのお知らせ" not in page
    assert unread_count(me) == 0 and "未読" not in client.get("/").get_data(as_text=True)


def test_an_offsite_link_is_never_rendered(client, login):
    me = make_user(Role.VOLUNTEER)
    notify(me, "test", "変なリンク", "//evil.example/x", email=False)
    db.session.commit()
    login(me)
    assert "evil.example" not in client.get("/account/notifications").get_data(as_text=True)


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/account/notifications")
    assert response.status_code in (302, 303) and "/login" in response.headers["Location"]


def test_deleting_the_account_erases_its_notices(app):
    from kyodo_match.account.services import delete_account

    me = make_user(Role.VOLUNTEER)
    notify(me, "test", "個人に宛てたお知らせ", email=False)
    db.session.commit()
    delete_account(me)
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_notice_is_written_in_the_recipients_language_not_the_actors(app):
    from flask_babel import force_locale
    from flask_babel import lazy_gettext as _l

    english = make_user(Role.VOLUNTEER, email="en@example.jp")
    english.locale = "en"
    japanese = make_user(Role.VOLUNTEER, email="ja@example.jp")
    db.session.commit()
    with app.test_request_context("/"), force_locale("en"):  # the actor reads English
        for user in (english, japanese):
            notify(user, "test", _l("お知らせはまだありません。"))
    db.session.commit()
    stored = dict(db.session.execute(select(Notification.user_id, Notification.message)).all())
    assert stored[japanese.id] == "お知らせはまだありません。"
    assert stored[english.id] != "お知らせはまだありません。" and stored[english.id].isascii()
    import email
    from email import policy

    parsed = [email.message_from_string(m, policy=policy.default) for m in _mails(app)]
    subjects = {str(m["To"]): str(m["Subject"]) for m in parsed}
    assert subjects["ja@example.jp"].startswith("【協働マッチ】お知らせはまだありません")
    assert subjects["en@example.jp"].isascii()
