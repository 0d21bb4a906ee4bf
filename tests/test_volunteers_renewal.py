"""Registration renewal reminders (3-year registrations): who is e-mailed, and only once a month."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from kyodo_match.extensions import db
from kyodo_match.models import utcnow
from kyodo_match.volunteers.renewal import due_for_reminder, send_renewal_reminders
from tests.factories import make_user, make_volunteer_profile

TODAY = date(2026, 11, 29)


def _mails(app) -> list[Path]:
    return sorted(Path(app.config["KYODO_MAIL_DIR"]).glob("*.eml"))


def test_only_registrations_ending_within_60_days_are_reminded_once_a_month(app):
    soon = make_volunteer_profile(expires_on=TODAY + timedelta(days=59))
    expired = make_volunteer_profile(expires_on=TODAY - timedelta(days=3))
    later = make_volunteer_profile(expires_on=TODAY + timedelta(days=61))
    stopped = make_volunteer_profile(make_user(), expires_on=TODAY + timedelta(days=10))
    stopped.user.active = False
    db.session.commit()
    assert {p.user_id for p in due_for_reminder(TODAY)} == {soon.user_id, expired.user_id}
    with app.test_request_context("/"):
        assert send_renewal_reminders(TODAY) == 2
        db.session.commit()
        assert send_renewal_reminders(TODAY) == 0  # not again within 30 days
    assert len(_mails(app)) == 2
    assert later.renewal_reminded_at is None
    soon.renewal_reminded_at = utcnow() - timedelta(days=31)
    db.session.commit()
    assert [p.user_id for p in due_for_reminder(TODAY)] == [soon.user_id]


def test_reminder_mail_is_japanese_and_links_to_my_registration(app):
    make_volunteer_profile(expires_on=TODAY + timedelta(days=30))
    with app.test_request_context("/", base_url="https://kyodo.example.jp"):
        send_renewal_reminders(TODAY)
        db.session.commit()
    from email import policy
    from email.parser import BytesParser

    msg = BytesParser(policy=policy.default).parsebytes(_mails(app)[0].read_bytes())
    assert "登録の更新" in msg["Subject"]
    text = msg.get_body().get_content()
    assert "https://kyodo.example.jp/volunteers/me" in text and "有効期限" in text


def test_remind_renewals_command(app):
    make_volunteer_profile(expires_on=date.today() + timedelta(days=5))
    result = app.test_cli_runner().invoke(args=["remind-renewals"])
    assert result.exit_code == 0 and "1 件" in result.output
