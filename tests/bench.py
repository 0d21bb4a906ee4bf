"""`make bench`: the main pages (response time, SQL statements) and the matcher at scale, in one table.

Pages: a throw-away SQLite database (or KYODO_BENCH_DATABASE_URL) with demo data. 1課1ボランティア at the scale of the
whole city office: tests/bench_staffvol. The matcher (tests/bench_matcher):
synthetic corpora of 10,000 and 100,000 profiles (KYODO_BENCH_SIZES), each in its own temporary instance folder,
SQLite file and index — never the developer's instance/. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from sqlalchemy import event

from kyodo_match import create_app
from kyodo_match.demo import DEMO_PASSWORD, index_demo, seed_demo
from kyodo_match.extensions import db
from tests import bench_lists, bench_matcher, bench_staffvol

ROUNDS = int(os.environ.get("KYODO_BENCH_ROUNDS", "50"))
SIZES = [int(n) for n in os.environ.get("KYODO_BENCH_SIZES", "10000,100000").split(",") if n.strip()]

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
    ("staff@example.jp", "/ikka/"),
    ("staff@example.jp", "/ikka/mine"),
    ("kyodo@example.jp", "/ikka/overview"),
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
    rows = []  # (measure, corpus, median / value, p95 / detail, target)
    clients = {}
    for who, path in PAGES:
        client = clients.get(who)
        if client is None:
            client = clients[who] = app.test_client()
            if who != "anonymous":
                client.post("/login", data={"email": who, "password": DEMO_PASSWORD})
        if client.get(path).status_code >= 400:
            rows.append((f"page {path} as {who}", "demo", "skipped", "", ""))
            continue
        times = []
        statements["n"] = 0
        for _ in range(ROUNDS):
            start = time.perf_counter()
            client.get(path)
            times.append((time.perf_counter() - start) * 1000)
        sql = statements["n"] / ROUNDS
        p95 = sorted(times)[int(len(times) * 0.95) - 1]
        rows.append((f"page {path} as {who} (ms)", "demo", f"{statistics.median(times):.1f}", f"{p95:.1f}",
                     f"{sql:.1f} SQL/request"))
    with app.app_context():
        db.engine.dispose()
    shutil.rmtree(folder, ignore_errors=True)
    started = time.perf_counter()
    results = [bench_matcher.measure(size) for size in SIZES]
    rows += bench_matcher.rows(results)
    rows += bench_staffvol.rows(bench_staffvol.measure())
    rows += bench_lists.rows(bench_lists.measure())
    rows.append(("bench process peak RSS (corpora, builds, measures)", "all", f"{bench_matcher.peak_rss_mb():.0f} MB",
                 "", "< 4 GB"))
    header = ("measure", "corpus", "p50 / value", "p95 / detail", "target / note")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "| " + " | ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) + " |"  # noqa: E731
    print(f"kyodo_match bench — pages: {ROUNDS} requests each, database {url.split(':')[0]}; matcher: "
          f"{', '.join(f'{n:,}' for n in SIZES)} profiles (+{bench_matcher.N_ISSUES} issues) in "
          f"{time.perf_counter() - started:.0f} s; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print(line(header))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in rows:
        print(line(r))


if __name__ == "__main__":
    main()
