"""Fixtures: an app with a fresh database per test (SQLite file, or PostgreSQL when
KYODO_TEST_DATABASE_URL is set), a CSRF-aware client, login helpers and a query counter."""

from __future__ import annotations

import contextvars
import os
import re
import shutil
import uuid
from contextlib import contextmanager

import pytest
from flask import has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from kyodo_match import create_app
from kyodo_match.config import database_url
from kyodo_match.extensions import db
from tests.factories import PASSWORD, make_user

PG_URL = database_url(os.environ["KYODO_TEST_DATABASE_URL"]) if os.environ.get("KYODO_TEST_DATABASE_URL") else None
TOKEN_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def base_config(instance, url: str) -> dict:
    return {
        "KYODO_ENV": "testing",
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
        "SQLALCHEMY_DATABASE_URI": url,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
    }


@pytest.fixture(scope="session")
def _sqlite_template(tmp_path_factory):
    """Build the SQLite schema once; each test gets a copy of the file."""
    folder = tmp_path_factory.mktemp("template")
    path = folder / "template.sqlite3"
    app = create_app(base_config(folder, f"sqlite:///{path}"))
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    return path


@pytest.fixture(scope="session")
def _pg_schema():
    """A database of this test run's own beside KYODO_TEST_DATABASE_URL (so concurrent runs never meet),
    with the schema created once; each test truncates it. Dropped at the end."""
    if not PG_URL:
        yield None
        return
    name = f"kyodo_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    engine = create_engine(url)
    with engine.begin() as conn:
        db.metadata.create_all(conn)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _truncate_pg(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def database_url(tmp_path, request):
    if PG_URL:
        url = request.getfixturevalue("_pg_schema")
        _truncate_pg(url)
        return url
    template = request.getfixturevalue("_sqlite_template")
    target = tmp_path / "test.sqlite3"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


@pytest.fixture
def app(tmp_path, database_url):
    app = create_app(base_config(tmp_path / "instance", database_url))
    app.test_client_class = CsrfClient
    with app.app_context():
        from kyodo_match.reference.services import seed_reference

        seed_reference()
        db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


class CsrfClient(FlaskClient):
    """A test client that sends a valid CSRF token with every unsafe request unless ``csrf=False``.

    Each request runs in a fresh context, as in production: its own app context, ``g`` and database
    session, instead of sharing the test's. The test's own session is committed before and expired after.
    """

    def open(self, *args, csrf: bool = True, **kwargs):
        method = (kwargs.get("method") or "GET").upper()
        if csrf and method in {"POST", "PUT", "PATCH", "DELETE"}:
            headers = dict(kwargs.pop("headers", None) or {})
            headers.setdefault("X-CSRFToken", self.csrf_token())
            kwargs["headers"] = headers
        outer = has_app_context()
        if outer:
            db.session.commit()
        response = contextvars.Context().run(super().open, *args, **kwargs)
        if outer:
            db.session.expire_all()
        return response

    def csrf_token(self) -> str:
        page = self.open("/privacy", method="GET").get_data(as_text=True)
        match = TOKEN_RE.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def login(client):
    """login(user) signs the client in through the real login form."""

    def _login(user, password: str = PASSWORD):
        response = client.post("/login", data={"email": user.email, "password": password})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        return response

    return _login


@pytest.fixture
def login_as(app, login):
    """login_as("coordinator") makes a user with that role and signs in."""

    def _login_as(*roles, **kwargs):
        user = make_user(*roles, **kwargs)
        login(user)
        return user

    return _login_as


@contextmanager
def count_queries():
    """Count SQL statements sent to the database inside the block: ``with count_queries() as q: ...; q.count``."""

    class Counter:
        count = 0
        statements: list[str] = []

    counter = Counter()
    counter.statements = []

    def _before(conn, cursor, statement, parameters, context, executemany):
        if statement.strip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            return
        counter.count += 1
        counter.statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", _before)
    try:
        yield counter
    finally:
        event.remove(db.engine, "before_cursor_execute", _before)


@pytest.fixture
def queries():
    return count_queries
