"""make eval: nDCG@10 and recall@10 of the matcher on a labelled set, against two baselines, in one table.

    .venv/bin/python -m tests.eval_matcher [FILE]      (default: ../shared/data/matcher-dev.json)

A fresh temporary SQLite database and index; the file goes in through load-json's code path (load_records).
Baselines: Whoosh with its default analyser (StandardAnalyzer) over the same text with no structure, and an SQL
LIKE keyword search (each wanted skill and title word as a %LIKE% pattern, ranked by the number matched).
recall@10 is relevant-in-top-10 / all relevant (an issue with 24 relevant people cannot reach 1.0).
"""

from __future__ import annotations

import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "matcher-dev.json"
K = 10


def ndcg(ranked: list[str], labels: dict[str, int], k: int = K) -> float:
    dcg = sum((2 ** labels.get(key, 0) - 1) / math.log2(i + 2) for i, key in enumerate(ranked[:k]))
    ideal = sorted(labels.values(), reverse=True)[:k]
    idcg = sum((2 ** r - 1) / math.log2(i + 2) for i, r in enumerate(ideal))
    return dcg / idcg if idcg else 0.0


def recall(ranked: list[str], labels: dict[str, int], k: int = K) -> float:
    relevant = {key for key, r in labels.items() if r > 0}
    return len(relevant & set(ranked[:k])) / len(relevant) if relevant else 0.0


def _texts(records: dict) -> dict[str, tuple[str, str]]:
    """key → (kind, the candidate's text as a keyword search sees it)."""
    out = {}
    for v in records.get("volunteers", []):
        out[v["key"]] = ("individual", " ".join([*v.get("skills", []), *v.get("qualifications", []), v.get("bio", "")]))
    for g in records.get("groups", []):
        out[g["key"]] = ("group", " ".join([*g.get("skills", []), g.get("description", "")]))
    return out


def _issue_text(issue: dict) -> str:
    return " ".join([*issue.get("skills", []), issue.get("title", ""), issue.get("description", "")])


def whoosh_default(records: dict, folder: Path) -> dict[str, list[str]]:
    from whoosh import index
    from whoosh.analysis import StandardAnalyzer
    from whoosh.fields import ID, TEXT, Schema
    from whoosh.query import Or, Term

    analyzer = StandardAnalyzer()
    ix = index.create_in(str(folder), Schema(key=ID(stored=True), kind=ID(stored=True), text=TEXT(analyzer=analyzer)))
    writer = ix.writer()
    for key, (kind, text) in _texts(records).items():
        writer.add_document(key=key, kind=kind, text=text)
    writer.commit()
    out = {}
    with ix.searcher() as s:
        for issue in records["issues"]:
            words = list(dict.fromkeys(t.text for t in analyzer(_issue_text(issue))))
            accepts = set(issue.get("accepts") or ["individual", "group"])
            hits = s.search(Or([Term("text", w) for w in words]), limit=200) if words else []
            out[issue["key"]] = [h["key"] for h in hits if h["kind"] in accepts][:K]
    return out


def like_baseline(records: dict) -> dict[str, list[str]]:
    from sqlalchemy import Column, MetaData, String, Table, Text, case, create_engine, insert, literal, select

    engine = create_engine("sqlite://")
    meta = MetaData()
    table = Table("candidate_text", meta, Column("key", String, primary_key=True), Column("kind", String),
                  Column("text", Text))
    meta.create_all(engine)
    out = {}
    with engine.begin() as conn:
        conn.execute(insert(table), [{"key": k, "kind": kind, "text": t} for k, (kind, t) in _texts(records).items()])
        for issue in records["issues"]:
            words = [w for w in dict.fromkeys(issue.get("skills", []) + re.split(r"[\s　・、。（）]+", issue["title"]))
                     if len(w) >= 2]
            accepts = issue.get("accepts") or ["individual", "group"]
            matched = sum((case((table.c.text.like(f"%{w}%"), 1), else_=0) for w in words), literal(0))
            rows = conn.execute(select(table.c.key).where(table.c.kind.in_(accepts), matched > 0)
                                .order_by(matched.desc(), table.c.key).limit(K)).scalars()
            out[issue["key"]] = list(rows)
    return out


def matcher_rankings(records: dict, folder: Path) -> tuple[dict[str, list[str]], list[float]]:
    from kyodo_match import create_app
    from kyodo_match.extensions import db
    from kyodo_match.matching import data, services
    from kyodo_match.matching.loader import load_records
    from kyodo_match.reference.services import seed_reference

    app = create_app({"KYODO_ENV": "testing", "INSTANCE_PATH": str(folder), "SECRET_KEY": "eval-" + "x" * 40,
                      "SQLALCHEMY_DATABASE_URI": f"sqlite:///{folder / 'eval.sqlite3'}",
                      "KYODO_INDEX_DIR": str(folder / "index"), "RATELIMIT_STORAGE_URI": "memory://"})
    out, latencies = {}, []
    with app.app_context():
        db.create_all()
        seed_reference()
        load_records(records)
        db.session.commit()
        from kyodo_match import search

        search.rebuild()
        for issue in records["issues"]:
            project = data.project_by_key(issue["key"])
            started = time.perf_counter()
            suggestions = services.suggest_for_issue(project, limit=K)
            latencies.append(time.perf_counter() - started)
            out[issue["key"]] = [s.key for s in suggestions]
        db.session.remove()
        db.engine.dispose()
    return out, latencies


def main(argv: list[str]) -> int:
    path = Path(argv[0]) if argv else DEFAULT
    records = json.loads(path.read_text(encoding="utf-8"))
    labels: dict[str, dict[str, int]] = records["labels"]
    with tempfile.TemporaryDirectory(prefix="kyodo-eval-") as tmp:
        folder = Path(tmp)
        (folder / "baseline").mkdir()
        ours, latencies = matcher_rankings(records, folder)
        systems = {"our matcher": ours, "Whoosh default analyser": whoosh_default(records, folder / "baseline"),
                   "SQL LIKE keywords": like_baseline(records)}
    issues = [i["key"] for i in records["issues"] if labels.get(i["key"])]
    print(f"{path.name}: {len(issues)} labelled issues, {len(records.get('volunteers', []))} volunteers, "
          f"{len(records.get('groups', []))} groups")
    print(f"| system | nDCG@{K} | recall@{K} |")
    print("|---|---|---|")
    for name, ranked in systems.items():
        n = sum(ndcg(ranked.get(k, []), labels[k]) for k in issues) / len(issues)
        r = sum(recall(ranked.get(k, []), labels[k]) for k in issues) / len(issues)
        print(f"| {name} | {n:.3f} | {r:.3f} |")
    latencies.sort()
    print(f"matcher latency per issue (this corpus): p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
          f"max {latencies[-1] * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
