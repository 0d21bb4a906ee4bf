"""`make bench`: the main pages (response time, SQL statements) and the matcher at scale, in one table.

Pages: a throw-away SQLite database (or KYODO_BENCH_DATABASE_URL) with demo data. 1課1ボランティア at the scale of the
whole city office: tests/bench_staffvol. The matcher (tests/bench_matcher):
synthetic corpora of 10,000 and 100,000 profiles (KYODO_BENCH_SIZES), each in its own temporary instance folder,
SQLite file and index — never the developer's instance/. Timings are measured here, never asserted in tests.
"""

from __future__ import annotations

import os
import time

from kyodo_match.demo import DEMO_PASSWORD, index_demo, seed_demo
from kyodo_match.extensions import db
from tests import bench_lists, bench_matcher, bench_staffvol
from tests.bench_support import StatementCounter, scratch_app, table, timed

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
    rows = []  # (measure, corpus, median / value, p95 / detail, target)
    with scratch_app("pages", WTF_CSRF_ENABLED=False, RATELIMIT_ENABLED=False) as (app, url):
        with app.app_context():
            db.create_all()
            seed_demo(app.config["KYODO_PRIVACY_NOTICE_VERSION"])
            db.session.commit()
            index_demo()
            statements = StatementCounter(db.engine)
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
            statements.reset()
            p50, p95, _ = timed(lambda c=client, p=path: c.get(p), ROUNDS)
            rows.append((f"page {path} as {who} (ms)", "demo", f"{p50:.1f}", f"{p95:.1f}",
                         f"{statements.n / ROUNDS:.1f} SQL/request"))
    started = time.perf_counter()
    results = [bench_matcher.measure(size) for size in SIZES]
    rows += bench_matcher.rows(results)
    rows += bench_staffvol.rows(bench_staffvol.measure())
    rows += bench_lists.rows(bench_lists.measure())
    rows.append(("bench process peak RSS (corpora, builds, measures)", "all", f"{bench_matcher.peak_rss_mb():.0f} MB",
                 "", "< 4 GB"))
    print(f"kyodo_match bench — pages: {ROUNDS} requests each, database {url.split(':')[0]}; matcher: "
          f"{', '.join(f'{n:,}' for n in SIZES)} profiles (+{bench_matcher.N_ISSUES} issues) in "
          f"{time.perf_counter() - started:.0f} s; {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at the end")
    print("\n".join(table(rows)))


if __name__ == "__main__":
    main()
