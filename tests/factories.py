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
        expires_on=date.today() + timedelta(days=3 * 365), **extra,
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
