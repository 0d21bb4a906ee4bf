"""The search index: the only module that imports whoosh. The database is the source of truth.

- Changes are written to ``search_outbox`` in the same transaction as the change (:func:`enqueue`); after the
  commit, one indexer at a time (a file lock) applies them (:func:`drain`), building each document afresh from
  the database. A per-index cursor (not deletion) records how far it got, so several hosts can each keep
  their own index; rows that committed late are caught by re-reading the last two minutes.
- A missing, corrupt or old-schema index is rebuilt at start; ``flask --app kyodo_match index rebuild``
  rebuilds it by hand and ``index check`` compares it with the database.
- Queries are built from terms, never from Whoosh's query language.
"""

from __future__ import annotations

import fcntl
import logging
import os
import shutil
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.exc import SQLAlchemyError
from whoosh import index as windex
from whoosh.fields import ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.query import And, Or, Require, Term

from ..extensions import db
from ..models import SearchOutbox, utcnow
from . import documents
from .analysis import BigramTokenizer, WordTokenizer, concept_term, fold, query_words, synonyms, terms

log = logging.getLogger(__name__)

SCHEMA_VERSION = "5"
LATE_COMMIT_WINDOW = timedelta(minutes=2)


def schema() -> Schema:
    return Schema(
        doc_id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        object_id=NUMERIC(stored=True, bits=64),
        name=TEXT(analyzer=BigramTokenizer(), field_boost=2.0),
        text=TEXT(analyzer=BigramTokenizer()),
        districts=KEYWORD(commas=True),
        fields=KEYWORD(commas=True),
        group_type=ID,
        # Who may see the document: "public" (public search) or "staff" (the matcher, for staff and coordinators:
        # a volunteer who did not publish a card is still suggested to coordinators). Public search requires public.
        audience=ID,
        status=ID,
        slots=KEYWORD(commas=True),
        # The matcher's fields (issue 5): synonym concepts of skills and qualifications, of free text; Sudachi
        # normalised words; character bigrams as the fallback for words no dictionary knows.
        m_skill=KEYWORD(scorable=True),
        m_concept=KEYWORD(scorable=True),
        m_words=TEXT(analyzer=WordTokenizer()),
        m_grams=TEXT(analyzer=BigramTokenizer()),
    )


def _dir() -> Path:
    return Path(current_app.config["KYODO_INDEX_DIR"])


@contextmanager
def _lock(blocking: bool = True):
    """One indexer per host at a time (Whoosh allows a single writer)."""
    folder = _dir().parent
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / f".{_dir().name}.lock", "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _cursor_file() -> Path:
    return _dir() / "OUTBOX_CURSOR"


def _read_cursor() -> int:
    try:
        return int(_cursor_file().read_text())
    except (OSError, ValueError):
        return 0


def _write_cursor(value: int) -> None:
    tmp = _cursor_file().with_suffix(".tmp")
    tmp.write_text(str(value))
    os.replace(tmp, _cursor_file())


def index_is_usable() -> bool:
    folder = _dir()
    try:
        if (folder / "SCHEMA_VERSION").read_text().strip() != SCHEMA_VERSION:
            return False
        ix = windex.open_dir(str(folder))
        with ix.searcher() as s:
            s.doc_count()
        return True
    except Exception:  # noqa: BLE001 — any failure to open means: rebuild
        return False


def _open():
    return windex.open_dir(str(_dir()))


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Build a fresh index from the database beside the old one, then swap it in. Returns the documents written."""
    with _lock():
        return _rebuild_locked(progress)


def _rebuild_locked(progress) -> int:
    target = _dir()
    fresh = target.with_name(target.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    cursor = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    ix = windex.create_in(str(fresh), schema())
    writer = ix.writer()
    count = 0
    for doc in documents.all_documents():
        writer.add_document(**doc)
        count += 1
        if progress:
            progress(1)
    writer.commit()
    (fresh / "SCHEMA_VERSION").write_text(SCHEMA_VERSION)
    (fresh / "OUTBOX_CURSOR").write_text(str(cursor))
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(fresh, target)
    shutil.rmtree(old, ignore_errors=True)
    return count


def enqueue(kind: str, object_id: int) -> None:
    """Record that ``kind:object_id`` changed, in the caller's transaction; applied after the commit."""
    assert kind in documents.KINDS
    db.session.add(SearchOutbox(kind=kind, object_id=object_id))
    g.search_dirty = True


def drain(blocking: bool = True) -> int:
    """Apply pending changes to the index. Never raises: a failure is logged and retried next time."""
    try:
        with _lock(blocking) as locked:
            if not locked:
                return 0
            if not index_is_usable():
                _rebuild_locked(None)
                return 0
            return _drain_locked()
    except Exception:  # noqa: BLE001 — the index is a cache; the user's change is already committed
        log.exception("search index update failed; it will be retried")
        return 0


def _drain_locked() -> int:
    cursor = _read_cursor()
    rows = db.session.execute(
        select(SearchOutbox.id, SearchOutbox.kind, SearchOutbox.object_id)
        .where(or_(SearchOutbox.id > cursor, SearchOutbox.created_at > utcnow() - LATE_COMMIT_WINDOW))
        .order_by(SearchOutbox.id)
    ).all()
    db.session.commit()  # end the read: never hold a transaction while writing the index
    fresh = [r for r in rows if r.id > cursor]
    if not fresh:
        return 0
    pending: dict[str, set[int]] = {}
    for r in rows:
        pending.setdefault(r.kind, set()).add(r.object_id)
    writer = _open().writer(timeout=30)
    try:
        for kind, ids in pending.items():
            for object_id, doc in documents.documents_for(kind, ids).items():
                writer.delete_by_term("doc_id", f"{kind}:{object_id}")
                if doc is not None:
                    writer.add_document(**doc)
        writer.commit()
    except Exception:
        writer.cancel()
        raise
    _write_cursor(max(r.id for r in fresh))
    return len(fresh)


@dataclass
class Page:
    ids: list[int]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def search(kind: str, text: str = "", *, districts: Iterable[int] = (), fields: Iterable[int] = (),
           group_type: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """Object ids of ``kind`` matching every word of ``text`` and the facets, best first.

    The caller loads the rows from the database and checks again what the reader may see.
    """
    drain(blocking=False)
    parts = [Term("kind", kind), Term("audience", "public")]
    for word in query_words(text):
        parts.append(And([Or([Term("name", t), Term("text", t)]) for t in word]))
    if districts := [str(d) for d in districts]:
        parts.append(Or([Term("districts", d) for d in districts]))
    if fields := [str(f) for f in fields]:
        parts.append(Or([Term("fields", f) for f in fields]))
    if group_type:
        parts.append(Term("group_type", group_type))
    query = And(parts)
    page = max(1, page)
    with _open().searcher() as searcher:
        results = searcher.search_page(query, page, pagelen=per_page)
        total = len(results)
        ids = [hit["object_id"] for hit in results] if (page - 1) * per_page < total else []
    return Page(ids=ids, total=total, page=page, per_page=per_page)


MAX_CANDIDATES = 1000  # a city's talent bank, directory and project list stay well below this


def candidate_ids(kind: str, text: str = "", *, districts: Iterable[int] = (), fields: Iterable[int] = (),
                  group_type: str | None = None) -> list[int]:
    """Every matching id of ``kind``, best first (at most MAX_CANDIDATES), for the caller to filter again.

    The index cannot know everything the database does (a registration expiring today, a change not yet
    applied), so lists take candidates here, keep those the database still shows, and page what remains:
    counts and pages then stay exact.
    """
    return search(kind, text, districts=districts, fields=fields, group_type=group_type,
                  page=1, per_page=MAX_CANDIDATES).ids


MATCH_FIELDS = {"concept:skill": "m_skill", "concept:text": "m_concept", "words": "m_words"}
MAX_MATCH_TERMS = 80
FALLBACK_BELOW = 10  # fewer hits than this: try the character bigrams of the wanted skills as well


@dataclass
class MatchHit:
    score: float
    matched: tuple[str, ...]


def match(kinds: Iterable[str], weighted: Iterable[tuple[str, str, float]], *, near_districts: Iterable[int] = (),
          status: str | None = None, fallback_text: str = "", limit: int = 300) -> dict[tuple[str, int], MatchHit]:
    """For the matcher: BM25 hits of ``kinds`` for weighted terms (field, term or concept label, boost).

    Staff-only documents are included (the caller is staff or a coordinator, and filters again in the database).
    Candidates come from two searches, so that the best local ones are never crowded out by the city's:
    the whole index, and the documents in ``near_districts`` (a required filter, `Require(..., optimize=False)`,
    much faster in Whoosh than ``filter=``). The character-bigram field is only a fallback for few hits.
    """
    drain(blocking=False)
    labels = {concept_term(label): label for label in synonyms().labels}
    parts, boosts = [], {}
    for field_name, term, boost in sorted(weighted, key=lambda w: -w[2])[:MAX_MATCH_TERMS]:
        index_field = MATCH_FIELDS.get(field_name)
        if index_field is None or not term:
            continue
        text = concept_term(term) if index_field != "m_words" else fold(term)
        parts.append(Term(index_field, text, boost=boost))
        boosts[(index_field, text)] = boost
    kinds_q = Or([Term("kind", k) for k in kinds])
    if status:
        kinds_q = And([kinds_q, Term("status", status)])
    hits: dict[tuple[str, int], MatchHit] = {}
    with _open().searcher() as searcher:
        def run(scored, restrict, n):
            # optimize=False: with the optimisation the forks raise AssertionError on Require.
            for hit in searcher.search(Require(scored, restrict), limit=n, terms=True, optimize=False):
                key = (hit["kind"], hit["object_id"])
                if key in hits:
                    continue
                found = sorted({(f, t.decode() if isinstance(t, bytes) else t) for f, t in hit.matched_terms()
                                if f in {"m_skill", "m_concept", "m_words"}},
                               key=lambda ft: -boosts.get(ft, 0.0))
                names = dict.fromkeys(labels.get(t, t) if f != "m_words" else t for f, t in found)
                hits[key] = MatchHit(score=hit.score, matched=tuple(names))

        if parts:
            scored = Or(parts)
            if near := [str(d) for d in near_districts]:
                run(scored, And([kinds_q, Or([Term("districts", d) for d in near])]), limit)
            run(scored, kinds_q, limit)
        if len(hits) < FALLBACK_BELOW and (grams := list(dict.fromkeys(terms(fallback_text)))[:MAX_MATCH_TERMS]):
            run(Or([Term("m_grams", g, boost=0.2) for g in grams]), kinds_q, limit)
    return hits


def check(sample: int = 20) -> dict:
    """Compare the index with the database: counts per kind, and a sample of documents present in both."""
    drain()
    expected = documents.count_indexable()
    with _open().searcher() as searcher:
        # Counted by searching: doc_frequency would still count documents replaced since the last merge.
        actual = {k: len(searcher.search(Term("kind", k), limit=None, scored=False)) for k in documents.KINDS}
        missing = []
        for kind in documents.KINDS:
            loader, to_doc, key = documents.LOADERS[kind]
            for n, obj in enumerate(loader()):
                if n >= sample:
                    break
                doc = to_doc(obj)
                stored = searcher.document(doc_id=f"{kind}:{key(obj)}")
                if (doc is None) != (stored is None):
                    missing.append(f"{kind}:{key(obj)}")
    return {"expected": expected, "indexed": actual, "mismatched": missing,
            "ok": expected == actual and not missing}


def init_app(app: Flask) -> None:
    """Rebuild a missing, corrupt or old-schema index at start; apply changes after each request that made some."""

    @app.after_request
    def _apply_changes(response):
        if g.pop("search_dirty", False) and response.status_code < 400:
            drain()
        return response

    with app.app_context():
        if not inspect(db.engine).has_table(SearchOutbox.__tablename__):
            return  # before the first migration: nothing to index yet
        if not index_is_usable():
            try:
                rebuild()
            except SQLAlchemyError:
                # The database is behind the models (a migration is pending): `flask db upgrade` must still
                # start, and the next start after it rebuilds the index.
                db.session.rollback()
                app.logger.warning("search index not rebuilt: the database schema is not up to date")
