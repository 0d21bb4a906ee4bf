"""Engine set-up: SQLite with WAL, foreign keys and a busy timeout; write requests begin IMMEDIATE."""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar

from sqlalchemy import event
from sqlalchemy.engine import Engine

_write_intent: ContextVar[bool] = ContextVar("kyodo_write_intent", default=False)

SQLITE_BUSY_TIMEOUT_MS = 15000


def set_write_intent(value: bool) -> None:
    """Mark the current request or command as one that writes: its SQLite transaction begins IMMEDIATE.

    A deferred SQLite transaction that reads and then writes fails at once with "database is locked"
    when another writer got in between, whatever the busy timeout; BEGIN IMMEDIATE takes the write lock
    up front and waits for it politely instead.
    """
    _write_intent.set(value)


@contextmanager
def write_intent():
    token = _write_intent.set(True)
    try:
        yield
    finally:
        _write_intent.reset(token)


def configure_engine(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):
        # Let SQLAlchemy's "begin" event emit BEGIN itself (pysqlite's own would always be deferred).
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if _write_intent.get() else "BEGIN")
