"""`make bench`: response time and SQL statements of the main pages, printed as a table.

Runs against a throw-away SQLite database (or KYODO_BENCH_DATABASE_URL) with demo data; timings are measured here,
never asserted in tests.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from kyodo_match import create_app
from kyodo_match.demo import DEMO_PASSWORD, index_demo, seed_demo
from kyodo_match.extensions import db

ROUNDS = int(os.environ.get("KYODO_BENCH_ROUNDS", "50"))

PAGES = [
    ("anonymous", "/"),
    ("anonymous", "/login"),
    ("anonymous", "/register"),
    ("anonymous", "/volunteers/"),
    ("anonymous", "/volunteers/?q=草刈り"),
    ("anonymous", "/groups/"),
    ("anonymous", "/groups/?q=清掃"),
    ("volunteer@example.jp", "/account/"),
    ("volunteer@example.jp", "/volunteers/me"),
    ("coordinator@example.jp", "/coordination/people"),
    ("coordinator@example.jp", "/coordination/groups"),
    ("admin@example.jp", "/admin/"),
    ("admin@example.jp", "/admin/users"),
    ("admin@example.jp", "/admin/audit"),
]


def main() -> None:
    folder = Path(tempfile.mkdtemp(prefix="kyodo-bench-"))
    url = os.environ.get("KYODO_BENCH_DATABASE_URL", f"sqlite:///{folder}/bench.sqlite3")
    app = create_app({"KYODO_ENV": "testing", "INSTANCE_PATH": str(folder), "SQLALCHEMY_DATABASE_URI": url,
                      "SECRET_KEY": "bench-secret-key-bench-secret-key-0123", "WTF_CSRF_ENABLED": False,
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        seed_demo(app.config["KYODO_PRIVACY_NOTICE_VERSION"])
        db.session.commit()
        index_demo()
        statements = {"n": 0}
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.__setitem__("n", statements["n"] + 1))
    rows = []
    clients = {}
    for who, path in PAGES:
        client = clients.get(who)
        if client is None:
            client = clients[who] = app.test_client()
            if who != "anonymous":
                client.post("/login", data={"email": who, "password": DEMO_PASSWORD})
        if client.get(path).status_code >= 400:
            rows.append((path, who, "-", "-", "-", "skipped"))
            continue
        times = []
        statements["n"] = 0
        for _ in range(ROUNDS):
            start = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - start) * 1000)
        sql = statements["n"] / ROUNDS
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        rows.append((path, who, f"{statistics.median(times):.1f}", f"{p95:.1f}", f"{sql:.1f}", "ok"))
    header = ("page", "as", "median ms", "p95 ms", "SQL/request", "")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    print(f"kyodo_match bench — {ROUNDS} requests per page, database {url.split(':')[0]}")
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


if __name__ == "__main__":
    main()
