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
import gc
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from flask import Flask, current_app, g
from sqlalchemy import func, inspect, or_, select
from sqlalchemy.exc import SQLAlchemyError
from whoosh import index as windex
from whoosh.codec.whoosh3 import W3Codec
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.query import And, Or, Term

from ..extensions import db
from ..models import SearchOutbox
from ..pagination import page_count
from . import documents, scoring
from .analysis import BigramTokenizer, ListTokenizer, concept_term, fold, query_words, synonyms, terms

log = logging.getLogger(__name__)

SCHEMA_VERSION = "6"  # 6: m_words holds words analysed once (ListTokenizer)
LATE_COMMIT_WINDOW = timedelta(minutes=2)
MAX_GAPS = 10_000
BUILD_LIMIT_MB = 1536


def schema() -> Schema:
    return Schema(
        doc_id=ID(stored=True, unique=True),
        kind=ID(stored=True),
        object_id=STORED,  # never searched: NUMERIC would index 16 trie terms a document for nothing
        # phrase=False: no positions (queries are built from terms, never phrases): a smaller index, built faster.
        name=TEXT(analyzer=BigramTokenizer(), field_boost=2.0, phrase=False),
        text=TEXT(analyzer=BigramTokenizer(), phrase=False),
        districts=KEYWORD(commas=True),
        fields=KEYWORD(commas=True),
        group_type=ID,
        # Who may see the document: "public" (public search) or "staff" (the matcher, for staff and coordinators:
        # a volunteer who did not publish a card is still suggested to coordinators). Public search requires public.
        audience=ID,
        status=ID,
        slots=STORED,  # the matcher reads times from the database
        # The matcher's fields (issue 5): synonym concepts of skills and qualifications, of free text; Sudachi
        # normalised words (analysed once, when the document is built: one per line); character bigrams as the
        # fallback for words no dictionary knows.
        m_skill=KEYWORD(scorable=True),
        m_concept=KEYWORD(scorable=True),
        m_words=TEXT(analyzer=ListTokenizer(), phrase=False),
        m_grams=TEXT(analyzer=BigramTokenizer(), phrase=False),
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


@dataclass
class _Cursor:
    """How far the index got: every outbox row up to ``last``, except ``gaps`` (id → when first missed).

    A gap is an id below ``last`` that was not (yet) visible: a transaction that took its id earlier and
    commits later (PostgreSQL sequences), or one rolled back. Gaps are looked for again for
    LATE_COMMIT_WINDOW, then forgotten; so a drain reads only new rows and the few gaps, never the last
    minutes' rows again (after a bulk load those are thousands).
    """

    last: int = 0
    gaps: dict[int, float] = field(default_factory=dict)


def _read_cursor() -> _Cursor:
    try:
        raw = _cursor_file().read_text().strip()
    except OSError:
        return _Cursor()
    try:
        if raw.startswith("{"):
            data = json.loads(raw)
            return _Cursor(int(data["last"]), {int(k): float(v) for k, v in data.get("gaps", {}).items()})
        return _Cursor(int(raw))
    except (ValueError, KeyError, TypeError):
        return _Cursor()


def _write_cursor(cursor: _Cursor, folder: Path | None = None) -> None:
    target = (folder or _dir()) / "OUTBOX_CURSOR"
    tmp = target.with_suffix(".tmp")
    tmp.write_text(json.dumps({"last": cursor.last, "gaps": {str(k): v for k, v in cursor.gaps.items()}}))
    os.replace(tmp, target)


def _with_gaps(cursor: _Cursor, seen: Iterable[int], upto: int, now: float) -> _Cursor:
    """The cursor moved to ``upto``: ids between the old position and it that were not ``seen`` are gaps."""
    seen = set(seen)
    window = LATE_COMMIT_WINDOW.total_seconds()
    gaps = {i: t for i, t in cursor.gaps.items() if i not in seen and now - t < window}
    for i in range(cursor.last + 1, upto):
        if i not in seen:
            gaps[i] = now
    if len(gaps) > MAX_GAPS:
        gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
    return _Cursor(max(cursor.last, upto), gaps)


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


_local = threading.local()
MAX_OPEN_INDEXES = 4  # per thread (tests open many instance folders in one process)


@contextmanager
def _searcher():
    """This thread's searcher of the index, kept open between requests and reopened when the index changed
    (a drain committed: a newer generation; a rebuild swapped the folder: another inode)."""
    path = str(_dir())
    cache: dict = getattr(_local, "searchers", None)
    if cache is None:
        cache = _local.searchers = {}
    try:
        inode = os.stat(path).st_ino
    except OSError:
        inode = None
    entry = cache.pop(path, None)
    searcher = None
    if entry is not None:
        try:
            if entry[0] == inode and entry[1].up_to_date():
                searcher = entry[1]
        except Exception:  # noqa: BLE001 — reopen below
            searcher = None
        if searcher is None:
            # Not Searcher.refresh(): it reuses a segment's reader, deletion set included, when only the
            # deletions changed — a withdrawn profile would stay visible.
            _close_quietly(entry[1])
    if searcher is None:
        searcher = windex.open_dir(path).searcher()
    cache[path] = (inode, searcher)
    while len(cache) > MAX_OPEN_INDEXES:
        _close_quietly(cache.pop(next(iter(cache)))[1])
    yield searcher


def _close_quietly(searcher) -> None:
    try:
        searcher.close()
    except Exception:  # noqa: BLE001 — a searcher of a deleted folder: nothing left to free
        log.debug("closing an old searcher failed", exc_info=True)


def rebuild(progress: Callable[[int], None] | None = None) -> int:
    """Build a fresh index from the database beside the old one, then swap it in. Returns the documents written."""
    with _lock():
        return _rebuild_locked(progress)


def _rebuild_locked(progress) -> int:
    target = _dir()
    fresh = target.with_name(target.name + ".new")
    shutil.rmtree(fresh, ignore_errors=True)
    fresh.mkdir(parents=True)
    last = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    # Rows below ``last`` not visible yet (a transaction still open) are gaps, looked for by the next drains.
    recent = db.session.scalars(select(SearchOutbox.id).where(SearchOutbox.id > last - 1000)).all()
    cursor = _with_gaps(_Cursor(max(0, last - 1000)), recent, last, time.time())
    ix = windex.create_in(str(fresh), schema())
    writer = _build_writer(ix)
    count = 0
    # Whoosh's pool holds every posting as a tuple until the commit sorts them: millions of objects that the
    # cyclic garbage collector would walk again and again as they grow (the build slowed with size). None of
    # them form cycles, so collection waits until the build is done.
    collecting = gc.isenabled()
    gc.disable()
    try:
        for doc in documents.all_documents():
            writer.add_document(**doc)
            count += 1
            if progress:
                progress(1)
        writer.commit(optimize=False, merge=False)
    except Exception:
        writer.cancel()
        raise
    finally:
        if collecting:
            gc.enable()
    (fresh / "SCHEMA_VERSION").write_text(SCHEMA_VERSION)
    _write_cursor(cursor, fresh)
    old = target.with_name(target.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        os.replace(target, old)
    os.replace(fresh, target)
    shutil.rmtree(old, ignore_errors=True)
    return count


def _build_writer(ix):
    """The writer of a rebuild: one process, a large pool (the postings are sorted in memory, not in runs on
    disk), one segment written once and left as separate files (compound=False: not copied into one file).

    length_stats=False: Whoosh would otherwise read every posting's document length back from disk to store
    per-block length bounds, which only its own block-skipping uses (with the bounds absent it still finds the
    same results, skipping less; the matcher's scorer never uses them). (procs=2 was slower here: this process
    reads the database and runs the analyser, and handing the documents to the workers cost more than their
    indexing saved, on two cores.)
    """
    codec = W3Codec()
    codec.length_stats = False
    return ix.writer(procs=1, limitmb=BUILD_LIMIT_MB, codec=codec, compound=False)


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
            return _drain_locked()
    except Exception:  # noqa: BLE001 — the index is a cache; the user's change is already committed
        log.exception("search index update failed; it will be retried")
        return 0


def _drain_locked() -> int:
    cursor = _read_cursor()
    wanted = SearchOutbox.id > cursor.last
    if cursor.gaps:
        wanted = or_(wanted, SearchOutbox.id.in_(sorted(cursor.gaps)))
    rows = db.session.execute(select(SearchOutbox.id, SearchOutbox.kind, SearchOutbox.object_id)
                              .where(wanted).order_by(SearchOutbox.id)).all()
    now = time.time()
    if not rows:
        expired = [i for i, t in cursor.gaps.items() if now - t >= LATE_COMMIT_WINDOW.total_seconds()]
        if expired:
            _write_cursor(_with_gaps(cursor, (), cursor.last, now))
        return 0
    db.session.commit()  # end the read: never hold a transaction while writing the index
    if not index_is_usable():  # missing, corrupt or old: a rebuild reads everything anyway
        _rebuild_locked(None)
        return len(rows)
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
    _write_cursor(_with_gaps(cursor, (r.id for r in rows), max(r.id for r in rows), now))
    return len(rows)


@dataclass
class Page:
    ids: list[int]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return page_count(self.total, self.per_page)


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
    with _searcher() as searcher:
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
MAX_MATCH_TERMS = 24  # the highest weighted: nDCG@10 0.914–0.920 from 12 to 80 terms; latency grows with each
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
    the whole index, and the documents in ``near_districts``. The character-bigram field is only a fallback
    for few hits. Scores are Whoosh's BM25F summed over the terms (:mod:`.scoring`, cached postings).
    """
    drain(blocking=False)
    labels = {concept_term(label): label for label in synonyms().labels}
    terms_, seen = [], set()
    for field_name, term, boost in sorted(weighted, key=lambda w: -w[2]):
        index_field = MATCH_FIELDS.get(field_name)
        if index_field is None or not term:
            continue
        text = concept_term(term) if index_field != "m_words" else fold(term)
        if (index_field, text) not in seen:
            seen.add((index_field, text))
            terms_.append((index_field, text, boost))
    terms_ = terms_[:MAX_MATCH_TERMS]
    required = [[("kind", k) for k in kinds]]
    if status:
        required.append([("status", status)])
    hits: dict[tuple[str, int], MatchHit] = {}
    with _searcher() as searcher:
        path = str(_dir())

        def keep(found):
            for hit in found:
                stored = searcher.stored_fields(hit.docnum)
                key = (stored["kind"], stored["object_id"])
                if key in hits:
                    continue
                names = dict.fromkeys(labels.get(t, t) if f != "m_words" else t for f, t in hit.matched
                                      if f in {"m_skill", "m_concept", "m_words"})
                hits[key] = MatchHit(score=hit.score, matched=tuple(names))

        if terms_:
            near = [("districts", str(d)) for d in near_districts]
            withins = [near, None] if near else [None]
            for found in scoring.search_each(searcher, path, terms_, required=required, withins=withins,
                                             limit=limit):
                keep(found)
        if len(hits) < FALLBACK_BELOW and (grams := list(dict.fromkeys(terms(fallback_text)))[:MAX_MATCH_TERMS]):
            keep(scoring.search(searcher, path, [("m_grams", gram, 0.2) for gram in grams], required=required,
                                limit=limit))
    return hits


def check(sample: int = 20) -> dict:
    """Compare the index with the database: counts per kind, and a sample of documents present in both."""
    drain()
    expected = documents.count_indexable()
    with _searcher() as searcher:
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
