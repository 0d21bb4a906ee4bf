"""The matcher at scale for `make bench`: build, suggestion latency, update latency, the LIKE baseline, memory.

For each corpus size: a fresh temporary instance folder, SQLite file and index; profiles from bench_corpus
(bulk inserts), a few hundred issues through load-json's code path, then search.rebuild() — the code path of
`flask index rebuild` — timed. Latencies are the services the web panel and the CLI call, measured one issue
(or one person) at a time, each for the first time (no warm query cache), after one warm-up call; wall time
(the target) and, beside it, this process's CPU time (what the wall time is when the machine is not shared).
"""

from __future__ import annotations

import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N_ISSUES = int(os.environ.get("KYODO_BENCH_ISSUES", "300"))
SAMPLES = int(os.environ.get("KYODO_BENCH_SAMPLES", "200"))
UPDATES = 20
LIKE_SAMPLES = 30
KANA = "アイウエオカキクケコサシスセソタチツテト"


def make_app(folder: Path, url: str | None = None):
    from kyodo_match import create_app

    return create_app({"KYODO_ENV": "testing", "INSTANCE_PATH": str(folder),
                       "SQLALCHEMY_DATABASE_URI": url or f"sqlite:///{folder / 'bench.sqlite3'}",
                       "KYODO_INDEX_DIR": str(folder / "index"), "SECRET_KEY": "bench-" + "x" * 40,
                       "RATELIMIT_STORAGE_URI": "memory://", "RATELIMIT_ENABLED": False})


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(p / 100 * len(s)) - 1))] if s else float("nan")


def folder_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6


def like_query(words: list[str], kinds: list[str], limit: int = 10):
    """The SQL keyword baseline: each wanted skill and title word as a %LIKE% over the people's own text."""
    from sqlalchemy import Integer, case, cast, literal, select, union_all

    from kyodo_match.models import CivicGroup, VolunteerProfile

    parts = []
    if "volunteer" in kinds:
        text = VolunteerProfile.bio + " " + cast(VolunteerProfile.free_tags, db_text())
        parts.append(select(VolunteerProfile.external_key.label("key"), text.label("t")))
    if "group" in kinds:
        parts.append(select(CivicGroup.external_key.label("key"), CivicGroup.description.label("t")))
    sub = union_all(*parts).subquery()
    matched = sum((case((sub.c.t.like(f"%{w}%"), 1), else_=0) for w in words), literal(0, Integer))
    return select(sub.c.key).where(matched > 0).order_by(matched.desc(), sub.c.key).limit(limit)


def db_text():
    from sqlalchemy import Text

    return Text()


def measure(size: int, keep: bool = False) -> dict:
    """Everything for one corpus size; returns the numbers (and the folder, when ``keep``)."""
    from sqlalchemy import select

    from kyodo_match import search
    from kyodo_match.extensions import db
    from kyodo_match.matching import data, services
    from kyodo_match.matching.loader import load_records
    from kyodo_match.models import CivicGroup, Project, VolunteerProfile
    from kyodo_match.reference.services import seed_reference
    from kyodo_match.search.analysis import fold
    from tests.bench_corpus import issue_records, write_profiles

    folder = Path(tempfile.mkdtemp(prefix=f"kyodo-bench-{size}-"))
    out: dict = {"size": size, "folder": folder}
    app = make_app(folder)
    with app.app_context():
        db.create_all()
        seed_reference()
        db.session.commit()
        started = time.perf_counter()
        write_profiles(size)
        load_records({"issues": issue_records(N_ISSUES)})
        db.session.commit()
        out["write_s"] = time.perf_counter() - started
        print(f"[{size}] corpus written in {out['write_s']:.1f} s", file=sys.stderr)
        db.session.remove()

        started = time.perf_counter()
        docs = search.rebuild()
        out["build_s"] = time.perf_counter() - started
        out["docs"] = docs
        out["build_rate"] = docs / out["build_s"]
        out["index_mb"] = folder_mb(folder / "index")
        print(f"[{size}] index built in {out['build_s']:.1f} s", file=sys.stderr)
        db.session.remove()

        rng = random.Random(size)
        projects = db.session.scalars(select(Project.id).where(Project.status == "recruiting")).all()
        sample = rng.sample(projects, min(SAMPLES, len(projects)))
        services.suggest_for_issue(db.session.get(Project, sample[-1]))  # warm-up: dictionary, synonyms, index
        times, cpu, found = [], [], 0
        for pid in sample:
            project = db.session.get(Project, pid)
            t, c = time.perf_counter(), time.process_time()
            found += len(services.suggest_for_issue(project, limit=10))
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            db.session.expire_all()
        out["issue_p50"], out["issue_p95"] = pct(times, 50), pct(times, 95)
        out["issue_cpu95"] = pct(cpu, 95)
        out["issue_found"] = found / len(sample)

        vkeys = db.session.scalars(select(VolunteerProfile.external_key)).all()
        gkeys = db.session.scalars(select(CivicGroup.external_key).where(CivicGroup.status == "verified")).all()
        people = rng.sample(vkeys, SAMPLES * 9 // 10) + rng.sample(gkeys, SAMPLES // 10)
        times, cpu = [], []
        for key in people:
            obj = data.volunteer_by_key(key) if key.startswith("bv") else data.group_by_key(key)
            t, c = time.perf_counter(), time.process_time()
            services.suggest_for_candidate(obj, limit=10)
            times.append((time.perf_counter() - t) * 1000)
            cpu.append((time.process_time() - c) * 1000)
            db.session.expire_all()
        out["person_p50"], out["person_p95"] = pct(times, 50), pct(times, 95)
        out["person_cpu95"] = pct(cpu, 95)

        # One profile changes: enqueue in its transaction, commit, drain; then the matcher finds the new word.
        times = []
        for n, key in enumerate(rng.sample(vkeys, UPDATES)):
            profile = data.volunteer_by_key(key)
            word = "ズィクトラ" + KANA[n % 20] + KANA[n // 20 % 20]  # one unknown word to Sudachi, unique
            t = time.perf_counter()
            profile.free_tags = [*profile.free_tags, word]
            search.enqueue("volunteer", profile.user_id)
            db.session.commit()
            search.drain()
            hits = search.match(["volunteer"], [("words", fold(word), 1.0)], limit=5)
            times.append((time.perf_counter() - t) * 1000)
            assert ("volunteer", profile.user_id) in hits, f"update of {key} not searchable"
        out["update_p50"], out["update_p95"] = pct(times, 50), pct(times, 95)

        times = []
        for pid in sample[:LIKE_SAMPLES]:
            project = db.session.get(Project, pid)
            words = [w for w in dict.fromkeys([s.name for s in project.skills]
                                              + re.split(r"[\s　・、。（）]+", project.title)) if len(w) >= 2]
            kinds = ([k for k, n in (("volunteer", project.needed_individuals), ("group", project.needed_groups)) if n]
                     or ["volunteer", "group"])
            t = time.perf_counter()
            db.session.execute(like_query(words, kinds)).all()
            times.append((time.perf_counter() - t) * 1000)
        out["like_p50"], out["like_p95"] = pct(times, 50), pct(times, 95)
        db.session.remove()
        db.engine.dispose()
    out["rss_mb"], out["first_ms"] = worker_rss(folder)
    if not keep:
        shutil.rmtree(folder, ignore_errors=True)
    return out


def worker_rss(folder: Path) -> tuple[float, float]:
    """Resident memory of a fresh process like one web worker: the app, the analyser, one suggestion served."""
    code = ("import sys; from tests.bench_matcher import _worker; _worker(sys.argv[1])")
    res = subprocess.run([sys.executable, "-c", code, str(folder)], capture_output=True, text=True,
                         cwd=Path(__file__).resolve().parent.parent)
    if res.returncode:
        raise RuntimeError(res.stderr[-3000:])
    rss, first = res.stdout.strip().splitlines()[-1].split()
    return float(rss), float(first)


def _worker(folder: str) -> None:
    from sqlalchemy import select

    from kyodo_match.extensions import db
    from kyodo_match.matching import services
    from kyodo_match.models import Project

    app = make_app(Path(folder))
    times = []
    with app.app_context():
        for pid in db.session.scalars(select(Project.id).where(Project.status == "recruiting").limit(5)):
            project = db.session.get(Project, pid)
            t = time.perf_counter()
            services.suggest_for_issue(project)
            times.append((time.perf_counter() - t) * 1000)
    with open("/proc/self/status") as fh:
        rss = next(int(line.split()[1]) for line in fh if line.startswith("VmRSS:"))
    print(rss / 1024, times[0])


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rows(results: list[dict]) -> list[tuple]:
    """Table rows: (measure, corpus, p50 / value, p95, target)."""
    out = []
    for r in results:
        n = f"{r['size']:,} profiles"
        out += [
            ("matcher: index build (profiles/s)", n, f"{r['build_rate']:,.0f}", f"{r['build_s']:.1f} s for "
             f"{r['docs']:,} docs", "≥ 1,000/s"),
            ("matcher: index size on disk", n, f"{r['index_mb']:.1f} MB", "", ""),
            ("matcher: issue → people (ms)", n, f"{r['issue_p50']:.1f}",
             f"{r['issue_p95']:.1f} (CPU {r['issue_cpu95']:.1f})", "p95 ≤ 50" if r["size"] <= 10_000 else "p95 ≤ 150"),
            ("matcher: person → issues (ms)", n, f"{r['person_p50']:.1f}",
             f"{r['person_p95']:.1f} (CPU {r['person_cpu95']:.1f})", ""),
            ("matcher: one profile updated → searchable (ms)", n, f"{r['update_p50']:.1f}", f"{r['update_p95']:.1f}",
             ""),
            ("SQL LIKE baseline, issue → people (ms)", n, f"{r['like_p50']:.1f}", f"{r['like_p95']:.1f}", ""),
            ("worker RSS: app + SudachiPy + index, 5 suggestions served", n, f"{r['rss_mb']:.0f} MB",
             f"first suggestion {r['first_ms']:.0f} ms", "cold: postings read"),
        ]
    return out


if __name__ == "__main__":
    sizes = [int(s) for s in (sys.argv[1:] or ["10000"])]
    res = [measure(s) for s in sizes]
    for r in rows(res):
        print(r)
    print("peak RSS of this process", peak_rss_mb())
