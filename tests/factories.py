"""Plain factories for tests: make_* functions that add rows and flush; the test commits."""

from __future__ import annotations

import itertools

from kyodo_match.auth.services import create_user
from kyodo_match.extensions import db
from kyodo_match.models import Role, User

PASSWORD = "kawa-no-nagare-2026"
_seq = itertools.count(1)


def make_user(*roles: Role | str, email: str | None = None, display_name: str | None = None,
              password: str = PASSWORD, department_id: int | None = None, commit: bool = True) -> User:
    n = next(_seq)
    user = create_user(
        email=email or f"user{n}@example.jp", password=password,
        display_name=display_name or f"テスト利用者{n}", roles=list(roles) or [Role.VOLUNTEER],
        department_id=department_id, consent_version="2026-04",
    )
    if commit:
        db.session.commit()
    return user


def make_volunteer_profile(user: User | None = None, *, public: bool = True, skills=(), districts=(), fields=(),
                           free_tags=(), phone: str | None = "0575-22-3131", commit: bool = True, **extra):
    """A volunteer profile; skills, districts and fields are given by name / name / code."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from kyodo_match.models import ActivityField, District, Skill, VolunteerProfile

    user = user or make_user(Role.VOLUNTEER)
    profile = VolunteerProfile(
        user_id=user.id, real_name=extra.pop("real_name", "関 太郎"), real_name_kana="せき たろう",
        contact_email=user.email, phone=phone, public_card=public, free_tags=list(free_tags),
        expires_on=extra.pop("expires_on", date.today() + timedelta(days=3 * 365)), **extra,
    )
    profile.skills = list(db.session.scalars(select(Skill).where(Skill.name.in_(skills))))
    profile.districts = list(db.session.scalars(select(District).where(District.name.in_(districts))))
    profile.fields = list(db.session.scalars(select(ActivityField).where(ActivityField.code.in_(fields))))
    db.session.add(profile)
    db.session.flush()
    if commit:
        db.session.commit()
    return profile


def make_group(name: str = "NPO法人 せきまち", *, status: str = "verified", representative: User | None = None,
               skills=(), districts=(), fields=(), commit: bool = True, **extra):
    from sqlalchemy import select

    from kyodo_match.models import ActivityField, CivicGroup, District, GroupRepresentative, Skill

    group = CivicGroup(name=name, group_type=extra.pop("group_type", "npo"), status=status,
                       contact_email=extra.pop("contact_email", "group-private@example.jp"),
                       contact_phone=extra.pop("contact_phone", "0575-23-4567"), **extra)
    group.skills = list(db.session.scalars(select(Skill).where(Skill.name.in_(skills))))
    group.districts = list(db.session.scalars(select(District).where(District.name.in_(districts))))
    group.fields = list(db.session.scalars(select(ActivityField).where(ActivityField.code.in_(fields))))
    if representative is not None:
        group.representatives = [GroupRepresentative(user_id=representative.id)]
    db.session.add(group)
    db.session.flush()
    if commit:
        db.session.commit()
    return group


def make_project(department_name: str = "環境課", *, status: str = "draft", commit: bool = True, **fields):
    """A project that satisfies every publication rule unless ``fields`` says otherwise."""
    from datetime import date, timedelta

    from sqlalchemy import select

    from kyodo_match.models import Department, Project

    dept = db.session.scalar(select(Department).where(Department.name == department_name))
    today = date.today()
    values = dict(
        kind="project", title="河川敷のごみ拾いと草刈り", summary="長良川の河川敷をきれいにします。",
        background="河川敷に不法投棄が増えています。", beneficiaries="河川敷を散歩する市民と子どもたち",
        purpose="安心して遊べる河川敷を取り戻すため", outcome_goal="年4回の清掃でごみの量を半分にする",
        domain="cooperation", method="joint_project", city_role="ごみ袋と軍手の支給、ごみの回収",
        partner_role="清掃活動の企画と参加者の募集", selection_method="open_call",
        selection_criteria="河川清掃の経験があること", recruit_from=today, recruit_until=today + timedelta(days=30),
        period_start=today + timedelta(days=40), period_end=today + timedelta(days=400), needed_individuals=5,
        needed_groups=1, place="長良川河川敷（小瀬地区）", status=status, department_id=dept.id,
    )
    values.update(fields)
    project = Project(**values)
    db.session.add(project)
    db.session.flush()
    if commit:
        db.session.commit()
    return project


def department_id(name: str = "環境課") -> int:
    from sqlalchemy import select

    from kyodo_match.models import Department

    return db.session.scalar(select(Department.id).where(Department.name == name))


def make_staff_activity(department: str = "環境課", *, starts_at=None, hours: float = 2, capacity: int = 10,
                        deadline=None, audience: str = "all", commit: bool = True, **extra):
    """A 1課1ボランティア activity of ``department``: by default in a week, sign-ups until the day before."""
    from datetime import timedelta

    from kyodo_match.models import StaffActivity, utcnow

    starts_at = starts_at or (utcnow() + timedelta(days=7)).replace(microsecond=0)
    activity = StaffActivity(
        department_id=department_id(department), title=extra.pop("title", "長良川河川敷の清掃"), starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=hours), place=extra.pop("place", "長良川河川敷"), capacity=capacity,
        signup_deadline=deadline or starts_at - timedelta(days=1), audience=audience, **extra)
    db.session.add(activity)
    if commit:
        db.session.commit()
    return activity
