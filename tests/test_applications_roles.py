"""Every step of an application for every role, allowed and refused, against a table written out by hand here
(not derived from flow.STEPS, so a change to who may do what shows up as a failing test)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from kyodo_match.applications import flow
from kyodo_match.errors import Conflict, NotAllowed
from kyodo_match.extensions import db
from kyodo_match.models import Application, ApplicationStatus, Department, Role
from tests.factories import make_project, make_user, make_volunteer_profile

ROLES = ("applicant", "other volunteer", "centre", "department", "other department", "admin")
DEPT = {"department", "centre", "admin"}  # 担当課 and those who may act for it
ALLOWED = {
    ("invited", "applied"): {"applicant"},
    ("invited", "invitation_declined"): {"applicant"},
    ("applied", "reviewing"): {"centre", "admin"},
    ("applied", "approved"): {"centre", "admin"},
    ("reviewing", "approved"): {"centre", "admin"},
    ("applied", "declined"): {"centre", "admin"},
    ("reviewing", "declined"): {"centre", "admin"},
    ("approved", "confirmed"): {"department", "admin"},
    ("approved", "declined"): {"department", "admin"},
    ("waitlisted", "declined"): DEPT,
    ("confirmed", "active"): DEPT,
    ("active", "completed"): DEPT,
    ("confirmed", "withdrawn"): DEPT,
    ("applied", "withdrawn"): {"applicant"},
    ("reviewing", "withdrawn"): {"applicant"},
    ("approved", "withdrawn"): {"applicant"},
    ("waitlisted", "withdrawn"): {"applicant"},
}
STATUSES = [s.value for s in ApplicationStatus]


def _actors(volunteer):
    dept = db.session.scalar(select(Department.id).where(Department.name == "環境課"))
    other = db.session.scalar(select(Department.id).where(Department.name == "秘書課"))
    return {"applicant": volunteer, "other volunteer": make_volunteer_profile().user,
            "centre": make_user(Role.COORDINATOR), "department": make_user(Role.STAFF, department_id=dept),
            "other department": make_user(Role.STAFF, department_id=other), "admin": make_user(Role.ADMIN)}


def _application(status: str):
    project = make_project(status="running" if status in ("confirmed", "active") else "recruiting",
                           needed_individuals=3)
    volunteer = make_volunteer_profile().user
    app = Application(project_id=project.id, volunteer_user_id=volunteer.id, status=status)
    if status in ("confirmed", "active"):
        project.taken_individuals = 1
    db.session.add(app)
    db.session.commit()
    return app, volunteer


@pytest.mark.parametrize(("step", "role"), list(itertools.product(sorted(ALLOWED), ROLES)))
def test_each_step_for_each_role(app, step, role):
    source, target = step
    application, volunteer = _application(source)
    actor = _actors(volunteer)[role]
    if role in ALLOWED[step]:
        flow.move(application, target, actor, reason="確認のため")
        db.session.commit()
        db.session.refresh(application)
        assert application.status == target
    elif step == ("confirmed", "withdrawn") and role == "applicant":
        with pytest.raises(Conflict):  # after confirmation the applicant tells the department instead
            flow.move(application, target, actor, reason="都合がつかない")
    else:
        with pytest.raises(NotAllowed):
            flow.move(application, target, actor, reason="確認のため")
        db.session.rollback()
        db.session.refresh(application)
        assert application.status == source


def test_a_confirmation_when_full_goes_to_the_waiting_list(app):
    application, volunteer = _application("approved")
    application.project.needed_individuals = 1
    application.project.taken_individuals = 1
    db.session.commit()
    flow.move(application, "confirmed", _actors(volunteer)["department"])
    db.session.commit()
    assert application.status == "waitlisted" and application.waitlisted_at is not None


def test_every_step_outside_the_table_is_409(app):
    application, volunteer = _application("applied")
    admin = _actors(volunteer)["admin"]
    refused = 0
    for source, target in itertools.product(STATUSES, STATUSES):
        if (source, target) in ALLOWED:
            continue
        application.status = source
        db.session.commit()
        with pytest.raises(Conflict):
            flow.move(application, target, admin, reason="確認のため")
        db.session.rollback()
        refused += 1
    assert refused == len(STATUSES) ** 2 - len(ALLOWED)


def test_the_hand_written_table_covers_exactly_the_declared_steps():
    assert set(ALLOWED) == {(str(s), str(t)) for s, t in flow.STEPS}
