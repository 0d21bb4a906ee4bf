"""メールでのお知らせの設定 (/account/notifications/settings) and the daily digest (flask send-digests)."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

from sqlalchemy import select

from kyodo_match.account.notification_views import GROUPS, groups_for
from kyodo_match.extensions import db
from kyodo_match.models import Notification, NotificationPreference, Role
from kyodo_match.notifications import mail_mode, notify, set_mail_mode
from tests.factories import make_user

URL = "/account/notifications/settings"


def _mails(app) -> list[email.message.EmailMessage]:
    folder = Path(app.config["KYODO_MAIL_DIR"])
    if not folder.exists():
        return []
    return [email.message_from_bytes(p.read_bytes(), policy=email.policy.default) for p in sorted(folder.glob("*.eml"))]


def _checked(page: str) -> dict[str, str]:
    """The radio buttons that are checked on the page: {field name: value}."""
    return dict(re.findall(r'name="(\w+)" value="(\w+)"\s+checked>', page))


def _all(mode: str, user=None) -> dict[str, str]:
    return {g.key: mode for g in (groups_for(user) if user is not None else GROUPS)}


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_the_page_offers_three_choices_for_each_kind_and_each_time_is_the_default(client, login_as):
    volunteer = login_as(Role.VOLUNTEER)
    page = client.get(URL).get_data(as_text=True)
    for label in ("応募・招待の動き", "参加している事業の変更", "パートナー・協定", "事業提案", "評価シート"):
        assert label in page
    assert "アダプトプログラム" not in page  # a volunteer takes no part in the adopt program's steps
    assert "1課1ボランティア" not in page  # nor in city staff volunteering
    for label in ("メールで毎回", "1日1回まとめて", "メールは送らない（お知らせには常に表示）"):
        assert page.count(f">{label}</label>") == len(GROUPS) - 2 == len(groups_for(volunteer))
    assert _checked(page) == _all("instant", volunteer)
    assert URL in client.get("/account/notifications").get_data(as_text=True)  # linked from お知らせ


def test_staff_are_offered_the_1ka1_volunteering_notices(client, login_as):
    login_as(Role.STAFF)
    page = client.get(URL).get_data(as_text=True)
    assert "1課1ボランティア" in page and 'name="staff_activity"' in page


def test_a_coordinator_is_not_offered_what_only_citizens_receive(client, login_as):
    login_as(Role.COORDINATOR)
    page = client.get(URL).get_data(as_text=True)
    assert "応募・招待の動き" in page and "参加している事業の変更" not in page and 'name="proposal"' not in page


def test_saving_stores_a_mode_for_every_kind_of_each_choice(client, login_as):
    me = login_as(Role.VOLUNTEER)
    other = make_user(Role.VOLUNTEER)
    form = _all("instant", me) | {"application": "digest", "partner": "off"}
    response = client.post(URL, data=form)
    assert response.status_code == 303 and response.headers["Location"].endswith(URL)
    assert mail_mode(me.id, "application") == "digest"
    for kind in ("project_partner_selected", "project_partner_removed", "project_agreement_confirmed"):
        assert mail_mode(me.id, kind) == "off"
    assert mail_mode(me.id, "proposal_accepted") == "instant"
    assert mail_mode(other.id, "application") == "instant"  # nobody else's settings change
    page = client.get(URL).get_data(as_text=True)
    assert _checked(page) == form
    assert "設定を保存しました" in page
    client.post(URL, data=_all("instant"))  # and back: the same rows, updated
    assert mail_mode(me.id, "application") == "instant"
    assert len(db.session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id == me.id, NotificationPreference.kind == "application")).all()) == 1


def test_an_htmx_save_redirects_the_whole_page(client, login_as):
    login_as(Role.GROUP_REP)
    response = client.post(URL, data=_all("off"), headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["HX-Redirect"].endswith(URL)


def test_an_unknown_or_missing_mode_is_422_and_nothing_is_saved(client, login_as):
    me = login_as(Role.VOLUNTEER)
    response = client.post(URL, data=_all("digest") | {"application": "sometimes"})
    assert response.status_code == 422
    assert "どれかを選んでください" in response.get_data(as_text=True)
    form = _all("digest")
    del form["evaluation"]
    assert client.post(URL, data=form).status_code == 422
    assert db.session.scalars(select(NotificationPreference).where(
        NotificationPreference.user_id == me.id)).all() == []


def test_saving_without_the_csrf_token_is_refused(client, login_as):
    me = login_as(Role.VOLUNTEER)
    response = client.post(URL, data=_all("off"), csrf=False)
    assert response.status_code == 400
    assert mail_mode(me.id, "application") == "instant"


def test_switching_to_off_drops_what_waited_for_the_digest(app, client, login_as):
    me = login_as(Role.VOLUNTEER)
    client.post(URL, data=_all("digest"))
    notify(me, "application", "「川の清掃」への応募を承認しました。", "/applications/1")
    db.session.commit()
    assert _mails(app) == []
    client.post(URL, data=_all("off"))
    result = app.test_cli_runner().invoke(args=["send-digests"])
    assert result.exit_code == 0, result.output
    assert "0 件" in result.output and _mails(app) == []
    assert db.session.scalar(select(Notification.read_at).where(Notification.user_id == me.id)) is None


def test_send_digests_mails_each_user_once_with_every_waiting_notice(app):
    taro, hanako, instant = (make_user(Role.VOLUNTEER, email=f"{n}@example.jp") for n in ("taro", "hanako", "now"))
    for user in (taro, hanako):
        set_mail_mode(user, "application", "digest")
    db.session.commit()
    notify(taro, "application", "「川の清掃」への応募を市民活動センターが承認しました。", "/applications/7")
    notify(taro, "application", "「子ども食堂」への参加が確定しました。", "/applications/8")
    notify(taro, "project_revised", "「川の清掃」の内容が変わりました。", "/issues/3")  # instant: mailed now
    notify(hanako, "application", "「公園の花壇」の募集が終わりました。", "/applications/9")
    notify(instant, "application", "「公園の花壇」への応募を承認しました。", "/applications/10")
    db.session.commit()
    assert sorted(m["To"] for m in _mails(app)) == ["now@example.jp", "taro@example.jp"]
    before = len(_mails(app))

    result = app.test_cli_runner().invoke(args=["send-digests"])
    assert result.exit_code == 0, result.output
    assert "2 件" in result.output
    digests = [m for m in _mails(app) if "お知らせが" in m["Subject"]]
    assert sorted(m["To"] for m in digests) == ["hanako@example.jp", "taro@example.jp"]
    taro_mail = next(m for m in digests if m["To"] == "taro@example.jp")
    assert taro_mail["Subject"] == "【協働マッチ】お知らせが2件あります。"
    body = taro_mail.get_content()
    assert "川の清掃" in body and "子ども食堂" in body and "内容が変わりました" not in body
    assert "/applications/7" in body and "/applications/8" in body
    assert len(_mails(app)) == before + 2

    again = app.test_cli_runner().invoke(args=["send-digests"])  # nothing waits any more
    assert again.exit_code == 0 and "0 件" in again.output
    assert len(_mails(app)) == before + 2
