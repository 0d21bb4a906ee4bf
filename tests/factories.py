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
