"""The application state machine and capacity: each step for each role, the waiting list and its promotion."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kyodo_match.applications import flow, services
from kyodo_match.errors import Conflict, NotAllowed, RuleViolation
from kyodo_match.extensions import db
from kyodo_match.models import Application, ApplicationTransition, Department, Notification, Project, Role
from tests.factories import make_group, make_project, make_user, make_volunteer_profile

TODAY = date.today()


def _staff(name="環境課"):
    return make_user(Role.STAFF, department_id=db.session.scalar(select(Department.id).where(Department.name == name)))


def _volunteer():
    return make_volunteer_profile().user


def _applied(project, user=None):
    app = services.apply_to_project(project, user or _volunteer(), {"message": "よろしくお願いします"}, today=TODAY)
    db.session.commit()
    return app


@pytest.fixture
def people(app):
    return {"staff": _staff(), "centre": make_user(Role.COORDINATOR), "other_staff": _staff("秘書課")}


def test_a_volunteer_applies_the_centre_approves_the_department_confirms(people):
    project = make_project(status="recruiting", needed_individuals=2)
    volunteer = _volunteer()
    application = _applied(project, volunteer)
    assert application.status == "applied"
    assert not flow.can_see_contacts(volunteer, application) and not flow.can_see_contacts(people["staff"], application)
    flow.move(application, "approved", people["centre"])
    flow.move(application, "confirmed", people["staff"])
    db.session.commit()
    assert application.status == "confirmed" and db.session.get(Project, project.id).taken_individuals == 1
    assert flow.can_see_contacts(volunteer, application) and flow.can_see_contacts(people["staff"], application)
    assert not flow.can_see_contacts(people["other_staff"], application)
    steps = db.session.scalars(select(ApplicationTransition.to_status).where(
        ApplicationTransition.application_id == application.id).order_by(ApplicationTransition.id)).all()
    assert steps == ["applied", "approved", "confirmed"]
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == volunteer.id)).all()
    assert any("参加が確定しました" in m for m in told)


def test_applying_twice_is_409_and_outside_recruitment_is_409(people):
    project = make_project(status="recruiting")
    volunteer = _volunteer()
    _applied(project, volunteer)
    with pytest.raises(Conflict):
        services.apply_to_project(project, volunteer, {}, today=TODAY)
    draft = make_project(title="下書き")
    with pytest.raises(Conflict):
        services.apply_to_project(draft, volunteer, {}, today=TODAY)
    late = make_project(status="recruiting", title="締切後", recruit_until=TODAY - timedelta(days=1))
    with pytest.raises(Conflict):
        services.apply_to_project(late, volunteer, {}, today=TODAY)


def test_a_lapsed_registration_or_an_unverified_group_cannot_apply(people):
    project = make_project(status="recruiting")
    lapsed = make_volunteer_profile(expires_on=TODAY - timedelta(days=1)).user
    with pytest.raises(RuleViolation):
        services.apply_to_project(project, lapsed, {}, today=TODAY)
    rep = make_user(Role.GROUP_REP)
    pending = make_group("申請中の会", status="pending", representative=rep)
    with pytest.raises(NotAllowed):
        services.apply_to_project(project, rep, {"group_id": pending.id}, today=TODAY)


@pytest.mark.parametrize(("step", "who"), [
    (("applied", "approved"), "staff"), (("applied", "approved"), "volunteer"), (("applied", "declined"), "staff"),
])
def test_only_the_centre_reviews(people, step, who):
    project = make_project(status="recruiting")
    volunteer = _volunteer()
    application = _applied(project, volunteer)
    actor = volunteer if who == "volunteer" else people[who]
    with pytest.raises(NotAllowed):
        flow.move(application, step[1], actor, reason="理由")


def test_only_the_department_confirms_and_another_department_gets_403(people):
    project = make_project(status="recruiting")
    application = _applied(project)
    flow.move(application, "approved", people["centre"])
    with pytest.raises(NotAllowed):
        flow.move(application, "confirmed", people["other_staff"])
    with pytest.raises(NotAllowed):
        flow.move(application, "confirmed", application.volunteer)


def test_illegal_steps_are_409_and_declining_needs_a_reason(people):
    project = make_project(status="recruiting")
    application = _applied(project)
    with pytest.raises(Conflict):
        flow.move(application, "confirmed", people["staff"])  # not approved yet
    with pytest.raises(Conflict):
        flow.move(application, "completed", people["staff"])
    with pytest.raises(RuleViolation):
        flow.move(application, "declined", people["centre"])
    flow.move(application, "declined", people["centre"], reason="活動日が合わないため")
    db.session.commit()
    assert application.reason == "活動日が合わないため"
    with pytest.raises(Conflict):
        flow.move(application, "approved", people["centre"])


def test_the_applicant_withdraws_until_confirmation_but_not_after(people):
    project = make_project(status="recruiting")
    volunteer = _volunteer()
    application = _applied(project, volunteer)
    flow.move(application, "approved", people["centre"])
    flow.move(application, "withdrawn", volunteer)
    db.session.commit()
    assert application.status == "withdrawn"
    second = _applied(make_project(status="recruiting", title="二つ目"), volunteer)
    flow.move(second, "approved", people["centre"])
    flow.move(second, "confirmed", people["staff"])
    with pytest.raises(Conflict):
        flow.move(second, "withdrawn", volunteer)


def test_a_full_project_waitlists_in_order_and_a_freed_place_promotes_the_first(people):
    project = make_project(status="recruiting", needed_individuals=1)
    apps = [_applied(project) for _ in range(3)]
    for a in apps:
        flow.move(a, "approved", people["centre"])
    for a in apps:
        flow.move(a, "confirmed", people["staff"])
    db.session.commit()
    assert [a.status for a in apps] == ["confirmed", "waitlisted", "waitlisted"]
    flow.move(apps[0], "withdrawn", people["staff"], reason="体調不良のため辞退の連絡あり")
    db.session.commit()
    for a in apps:
        db.session.refresh(a)
    assert [a.status for a in apps] == ["withdrawn", "confirmed", "waitlisted"]
    assert db.session.get(Project, project.id).taken_individuals == 1
    told = db.session.scalars(select(Notification.message).where(Notification.user_id == apps[1].volunteer_user_id))
    assert any("キャンセル待ちから参加が確定しました" in m for m in told)


def test_groups_and_individuals_have_their_own_places(people):
    project = make_project(status="recruiting", needed_individuals=1, needed_groups=1)
    rep = make_user(Role.GROUP_REP)
    group = make_group("NPO法人 みずべ", representative=rep)
    by_group = services.apply_to_project(project, rep, {"group_id": group.id}, today=TODAY)
    person = _applied(project)
    db.session.commit()
    for a in (by_group, person):
        flow.move(a, "approved", people["centre"])
        flow.move(a, "confirmed", people["staff"])
    db.session.commit()
    assert (by_group.status, person.status) == ("confirmed", "confirmed")
    stored = db.session.get(Project, project.id)
    assert (stored.taken_individuals, stored.taken_groups) == (1, 1)


def test_an_invitation_is_accepted_into_the_same_flow_or_declined(people):
    project = make_project(status="recruiting")
    volunteer = _volunteer()
    invited = services.invite(project, people["staff"], volunteer_user_id=volunteer.id, today=TODAY)
    db.session.commit()
    assert invited.status == "invited" and invited.origin == "invitation"
    with pytest.raises(NotAllowed):
        services.invite(project, people["other_staff"], volunteer_user_id=_volunteer().id, today=TODAY)
    with pytest.raises(Conflict):
        services.invite(project, people["staff"], volunteer_user_id=volunteer.id, today=TODAY)
    flow.move(invited, "applied", volunteer)
    db.session.commit()
    assert invited.status == "applied"
    other = services.invite(project, people["centre"], volunteer_user_id=_volunteer().id, today=TODAY)
    flow.move(other, "invitation_declined", other.volunteer)
    db.session.commit()
    assert other.status == "invitation_declined"


def test_recruitment_closing_expires_open_applications_and_the_project_carries_the_rest(people):
    from kyodo_match.models import ProjectPartner
    from kyodo_match.projects import lifecycle

    project = make_project(status="recruiting", needed_individuals=2)
    confirmed, pending = _applied(project), _applied(project)
    flow.move(confirmed, "approved", people["centre"])
    flow.move(confirmed, "confirmed", people["staff"])
    lifecycle.transition(project, "selecting", people["staff"], today=TODAY)
    db.session.add(ProjectPartner(project_id=project.id, group_id=make_group("自治会 まつ").id, reason="経験"))
    db.session.flush()
    lifecycle.transition(project, "agreement", people["staff"], today=TODAY)
    db.session.commit()
    db.session.refresh(pending)
    db.session.refresh(confirmed)
    assert (pending.status, confirmed.status) == ("expired", "confirmed")


def test_a_message_is_length_limited_and_only_for_those_on_the_thread(people):
    project = make_project(status="recruiting")
    application = _applied(project)
    services.post_message(application, people["staff"], "集合場所は河川敷の東側です。")
    with pytest.raises(NotAllowed):
        services.post_message(application, people["other_staff"], "こんにちは")
    with pytest.raises(RuleViolation):
        services.post_message(application, application.volunteer, "あ" * 2001)
    db.session.commit()
    assert db.session.scalar(select(func.count(Application.id))) == 1


def test_attendance_only_for_confirmed_participants(people):
    project = make_project(status="recruiting")
    application = _applied(project)
    with pytest.raises(Conflict):
        services.record_attendance(application, people["staff"], activity_date=TODAY, attended=True, minutes=120)
    flow.move(application, "approved", people["centre"])
    flow.move(application, "confirmed", people["staff"])
    record = services.record_attendance(application, people["staff"], activity_date=TODAY, attended=True,
                                        minutes=150)
    again = services.record_attendance(application, people["staff"], activity_date=TODAY, attended=True,
                                       minutes=180)
    db.session.commit()
    assert record.id == again.id and again.minutes == 180


def test_nobody_is_invited_into_a_kind_of_place_the_project_does_not_have(people):
    only_people = make_project(status="recruiting", needed_individuals=3, needed_groups=0)
    with pytest.raises(RuleViolation):
        services.invite(only_people, people["staff"], group_id=make_group("NPO法人 ささゆり").id, today=TODAY)
    only_groups = make_project(status="recruiting", title="団体だけ", needed_individuals=0, needed_groups=1)
    with pytest.raises(RuleViolation):
        services.invite(only_groups, people["staff"], volunteer_user_id=_volunteer().id, today=TODAY)


def test_the_centre_approves_but_only_the_department_confirms(people):
    project = make_project(status="recruiting")
    application = _applied(project)
    flow.move(application, "approved", people["centre"])
    assert [t for t, _s in flow.available_steps(application, people["centre"])] == []
    with pytest.raises(NotAllowed):
        flow.move(application, "confirmed", people["centre"])
    admin = make_user(Role.ADMIN)
    flow.move(application, "confirmed", admin)
    db.session.commit()
    assert application.status == "confirmed"


def test_the_activity_starts_by_hand_only_once_the_project_is_running(people):
    project = make_project(status="recruiting")
    application = _applied(project)
    flow.move(application, "approved", people["centre"])
    flow.move(application, "confirmed", people["staff"])
    assert "active" not in [t for t, _s in flow.available_steps(application, people["staff"])]
    with pytest.raises(NotAllowed):
        flow.move(application, "active", people["staff"])
    project.status = "running"
    db.session.commit()
    flow.move(application, "active", people["staff"])
    db.session.commit()
    assert application.status == "active"


def test_deleting_an_account_withdraws_its_applications_and_frees_its_place(people):
    from kyodo_match.account.services import delete_account

    project = make_project(status="recruiting", needed_individuals=1)
    leaving, waiting = _applied(project), _applied(project)
    for a in (leaving, waiting):
        flow.move(a, "approved", people["centre"])
        flow.move(a, "confirmed", people["staff"])
    db.session.commit()
    assert (leaving.status, waiting.status) == ("confirmed", "waitlisted")
    delete_account(db.session.get(type(people["staff"]), leaving.volunteer_user_id))
    db.session.commit()
    db.session.refresh(leaving)
    db.session.refresh(waiting)
    assert (leaving.status, waiting.status) == ("withdrawn", "confirmed")
    assert db.session.get(Project, project.id).taken_individuals == 1


def test_places_cannot_drop_below_the_confirmed_and_new_places_promote_the_waiting(people):
    from kyodo_match.errors import FieldRefused
    from kyodo_match.projects.services import form_data, update_project

    project = make_project(status="recruiting", needed_individuals=1)
    first, second = _applied(project), _applied(project)
    for a in (first, second):
        flow.move(a, "approved", people["centre"])
        flow.move(a, "confirmed", people["staff"])
    db.session.commit()
    data = form_data(project)
    with pytest.raises(FieldRefused):
        update_project(project, people["staff"], dict(data, needed_individuals=0))
    db.session.rollback()
    update_project(project, people["staff"], dict(form_data(project), needed_individuals=2))
    db.session.commit()
    db.session.refresh(second)
    assert second.status == "confirmed" and db.session.get(Project, project.id).taken_individuals == 2
