"""Demo accounts for every role and a little content, so that `make run` shows a living product."""

from __future__ import annotations

from sqlalchemy import select

from .auth.services import create_user
from .extensions import db
from .models import Department, Role, User
from .reference.services import seed_reference

DEMO_PASSWORD = "hamono-no-machi-2026"  # noqa: S105  (published in the README for local demos)

DEMO_USERS = [
    # email, display name, roles, department
    ("admin@example.jp", "管理者 関", [Role.ADMIN], None),
    ("coordinator@example.jp", "市民活動センター 長良", [Role.COORDINATOR], None),
    ("staff@example.jp", "土木課 刃物", [Role.STAFF, Role.VOLUNTEER], "土木課"),
    ("kyodo@example.jp", "市民協働課 小瀬", [Role.STAFF, Role.VOLUNTEER], "市民協働課"),
    ("volunteer@example.jp", "やまだ はなこ", [Role.VOLUNTEER], None),
    ("volunteer2@example.jp", "うかい たろう", [Role.VOLUNTEER], None),
    ("group@example.jp", "NPO法人 せきまち代表", [Role.GROUP_REP], None),
]


def seed_demo(notice_version: str) -> list[str]:
    """Create what is missing (idempotent); returns the e-mails created."""
    seed_reference()
    created = []
    for email, name, roles, dept_name in DEMO_USERS:
        if db.session.scalar(select(User).where(User.email == email)) is not None:
            continue
        dept_id = None
        if dept_name:
            dept_id = db.session.scalar(select(Department.id).where(Department.name == dept_name))
        create_user(email=email, password=DEMO_PASSWORD, display_name=name, roles=roles,
                    department_id=dept_id, consent_version=notice_version)
        created.append(email)
    return created
