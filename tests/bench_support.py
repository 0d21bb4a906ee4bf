"""What the `make bench` modules share: a throw-away app and database, statement counting, p50/p95, the table."""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event

HEADER = ("measure", "corpus", "p50 / value", "p95 / detail", "target / note")


def p95(values: list[float]) -> float:
    return sorted(values)[max(0, int(len(values) * 0.95) - 1)]


def timed(fn: Callable[[], object], rounds: int) -> tuple[float, float, list]:
    """(median ms, p95 ms, the results) of ``rounds`` calls of ``fn``."""
    times, results = [], []
    for _ in range(rounds):
        start = time.perf_counter()
        results.append(fn())
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times), p95(times), results


@contextmanager
def scratch_app(prefix: str, **config) -> Iterator[tuple[object, str]]:
    """(app, database URL): a testing app on a fresh temporary instance folder and SQLite file (or
    KYODO_BENCH_DATABASE_URL), never the developer's instance/; the folder is removed afterwards."""
    from kyodo_match import create_app
    from kyodo_match.extensions import db

    folder = Path(tempfile.mkdtemp(prefix=f"kyodo-bench-{prefix}-"))
    url = os.environ.get("KYODO_BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    app = create_app({"KYODO_ENV": "testing", "INSTANCE_PATH": str(folder), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench-secret-key-bench-secret-key-0123", **config})
    try:
        yield app, url
    finally:
        with app.app_context():
            db.engine.dispose()
        shutil.rmtree(folder, ignore_errors=True)


class StatementCounter:
    """Counts the SQL statements an engine executes from the last ``reset()``."""

    def __init__(self, engine) -> None:
        self.n = 0
        event.listen(engine, "before_cursor_execute", self._count)

    def _count(self, *_args) -> None:
        self.n += 1

    def reset(self) -> None:
        self.n = 0


def table(rows: list[tuple]) -> list[str]:
    """The rows under HEADER as a Markdown table, columns padded to their widest cell."""
    widths = [max(len(str(r[i])) for r in [HEADER, *rows]) for i in range(len(HEADER))]

    def line(r) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    return [line(HEADER), "|" + "|".join("-" * (w + 2) for w in widths) + "|", *map(line, rows)]
