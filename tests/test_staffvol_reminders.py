"""1課1ボランティア reminders: the day before to people with a seat, after the day to the organisers — once each."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Notification, Role, utcnow
from kyodo_match.staffvol import reminders, signups
from tests.factories import department_id, make_staff_activity, make_user


def _told(user):
    return db.session.scalars(select(Notification.message).where(Notification.user_id == user.id)).all()


def test_people_with_a_seat_are_reminded_once_the_day_before(app):
    soon = make_staff_activity(starts_at=utcnow() + timedelta(hours=20), deadline=utcnow() + timedelta(hours=1),
                               capacity=1, title="明日の草刈り", meeting_point="市役所 正面玄関", bring="軍手")
    later_one = make_staff_activity(starts_at=utcnow() + timedelta(days=5), title="来週の清掃")
    seated = make_user(Role.STAFF, department_id=department_id("税務課"))
    waiting = make_user(Role.STAFF, department_id=department_id("税務課"))
    signups.sign_up(soon, seated)
    signups.sign_up(soon, waiting)
    signups.sign_up(later_one, waiting)
    db.session.commit()
    sent = reminders.send()
    db.session.commit()
    assert [(a.id, n) for a, n in sent.before] == [(soon.id, 1)]
    told = _told(seated)
    assert len(told) == 1 and "明日の草刈り" in told[0] and "市役所 正面玄関" in told[0] and "軍手" in told[0]
    assert not [m for m in _told(waiting) if "もうすぐ" in m]
    assert reminders.send().before == []  # once only
    db.session.commit()
    assert len(_told(seated)) == 1


def test_organisers_are_asked_for_the_attendance_record_once(app, client):
    start = utcnow() - timedelta(days=3)
    activity = make_staff_activity(starts_at=start, deadline=start - timedelta(days=1), title="先週の清掃")
    recorded = make_staff_activity(starts_at=start, deadline=start - timedelta(days=1), title="記録済みの活動",
                                   attendance_recorded_at=utcnow())
    make_staff_activity(starts_at=start, deadline=start - timedelta(days=1), title="だれも来ない活動")
    for a in (activity, recorded):
        a.taken = 1
    db.session.commit()
    organiser = make_user(Role.STAFF, department_id=department_id("環境課"))
    other = make_user(Role.STAFF, department_id=department_id("税務課"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["ikka-reminders"])
    assert result.exit_code == 0, result.output
    assert "参加の記録のお願い: 1 件" in result.output and "先週の清掃" in result.output
    assert "だれも来ない活動" not in result.output  # nobody signed up: nothing to record
    assert "記録済みの活動" not in result.output
    told = _told(organiser)
    assert len(told) == 1 and "先週の清掃" in told[0] and "参加の記録がまだです" in told[0]
    assert not _told(other)
    assert "参加の記録のお願い: 0 件" in runner.invoke(args=["ikka-reminders"]).output
