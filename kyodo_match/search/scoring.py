"""BM25 for the matcher, summed over Whoosh's own postings, cached per segment.

Whoosh's matchers score one document at a time through a tree of Python objects (a union per query term, a
wrapper for the boost, another for the restriction): at 100,000 profiles a 40-term query took over a second.
The matcher's query is a weighted sum of terms, so the score of a document is

    Σ boost(term) × BM25(term, document)

— exactly what Whoosh computes for ``Or([Term(f, t, boost=b), …])`` — and the BM25 part of each (term, document)
does not depend on the query. So each term's postings are read once per segment (segments never change; only
their deletion sets do) into two flat arrays (document numbers, BM25 scores), and a query adds a few of these
arrays into a dictionary. Restrictions (kind, status, districts) are the postings of those terms as sets.

A cached score uses the index statistics (idf, average field length) of the moment it was read; it is read
again when those drift by more than :data:`STATS_TOLERANCE` (many updates since), so scores stay within that
of Whoosh's own.
"""

from __future__ import annotations

import heapq
import threading
from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from whoosh.codec.whoosh3 import LENGTHS_COLUMN
from whoosh.matching.wrappers import FilterMatcher
from whoosh.reading import TermNotFound
from whoosh.util.numeric import byte_to_length

STATS_TOLERANCE = 0.01
MAX_CACHED_POSTINGS = 8_000_000  # ≈ 100 MB of arrays per process (12 bytes a posting); least recently used go
_EMPTY = (array("i"), array("d"))


@dataclass
class _Entry:
    ids: array
    scores: array | None  # None: a restriction term (ids only)
    idf: float = 0.0
    avgfl: float = 0.0
    top: float = 0.0  # the highest score in ``scores``: the term's upper bound


class PostingCache:
    """(segment, field, term) → postings; one per process, shared by its threads."""

    def __init__(self, limit: int = MAX_CACHED_POSTINGS):
        self.limit = limit
        self._entries: OrderedDict[tuple, _Entry] = OrderedDict()
        self._sets: dict[tuple, frozenset] = {}
        self._lengths: dict[tuple, tuple] = {}
        self._size = 0
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._sets.clear()
            self._size = 0

    def _get(self, key):
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _put(self, key, entry: _Entry) -> None:
        with self._lock:
            old = self._entries.pop(key, None)
            if old is not None:
                self._size -= len(old.ids)
            self._entries[key] = entry
            self._size += len(entry.ids)
            while self._size > self.limit and len(self._entries) > 1:
                _k, dropped = self._entries.popitem(last=False)
                self._size -= len(dropped.ids)

    def forget_except(self, segment_keys: set[str]) -> None:
        """Drop what belongs to segments no longer in the index (merged away, or a rebuilt index)."""
        with self._lock:
            for key in [k for k in self._entries if k[0] not in segment_keys]:
                self._size -= len(self._entries.pop(key).ids)
            for key in [k for k in self._sets if k[0] not in segment_keys]:
                del self._sets[key]

    def scored(self, seg: str, reader, searcher, field: str, text: str) -> _Entry:
        """(document numbers, BM25 scores, the highest score) of ``text`` in ``field`` of one segment."""
        idf = searcher.idf(field, text)
        avgfl = searcher.avg_field_length(field) or 1
        key = (seg, field, text)
        entry = self._get(key)
        if entry is None or abs(entry.idf - idf) > STATS_TOLERANCE * idf \
                or abs(entry.avgfl - avgfl) > STATS_TOLERANCE * avgfl:
            entry = _read_scored(reader, field, text, idf, avgfl, searcher.weighting)
            self._put(key, entry)
        return entry

    def allowed(self, seg: str, reader, required: list[list[tuple[str, str]]],
                within: list[tuple[str, str]] | None) -> frozenset:
        """Documents of one segment that pass every ``required`` group (and ``within``), deleted ones left out."""
        deleted = reader.deleted_docs_set if reader.has_deletions() else frozenset()
        groups = [tuple(sorted(g)) for g in required] + ([tuple(sorted(within))] if within is not None else [])
        key = (seg, "allowed", tuple(groups), len(deleted))
        found = self._sets.get(key)
        if found is None:
            sets = [_union(self.members(seg, reader, f, t) for f, t in g) for g in groups]
            found = frozenset.intersection(*sets) - deleted if sets else frozenset()
            with self._lock:
                for old in [k for k in self._sets if k[:3] == key[:3]]:  # earlier deletion counts
                    del self._sets[old]
                self._sets[key] = found
        return found

    def lengths(self, reader, field: str):
        key = (id(reader), "lengths", field)
        found = self._lengths.get(key)
        if found is None or found[0] is not reader:
            found = self._lengths[key] = (reader, _lengths(reader, field))
            while len(self._lengths) > 32:
                self._lengths.pop(next(iter(self._lengths)))
        return found[1]

    def members(self, seg: str, reader, field: str, text: str) -> frozenset:
        """The document numbers with ``text`` in ``field`` (a restriction), as a set."""
        key = (seg, field, text)
        found = self._sets.get(key)
        if found is None:
            ids, _weights = _read(reader, field, text, weights=False)
            found = self._sets[key] = frozenset(ids)
        return found


CACHE = PostingCache()


def _raw_matcher(reader, field: str, text: str):
    try:
        m = reader.postings(field, text)
    except TermNotFound:
        return None
    while isinstance(m, FilterMatcher):  # the reader hides deleted documents; we filter them ourselves
        m = m.child
    return m


def _read(reader, field: str, text: str, weights: bool = True) -> tuple[array, array]:
    """All postings of a term in one segment, deleted documents included, a block at a time when possible."""
    m = _raw_matcher(reader, field, text)
    if m is None:
        return _EMPTY
    ids, ws = array("i"), array("d")
    if all(hasattr(m, a) for a in ("_read_ids", "_read_weights", "_next_block", "_atend", "_ids", "_weights")):
        while not m._atend:  # Whoosh 3 codec: whole blocks of ids and weights as arrays
            if m._ids is None:
                m._read_ids()
            _extend(ids, m._ids)
            if weights:
                if m._weights is None:
                    m._read_weights()
                _extend(ws, m._weights)
            m._next_block()
        return ids, ws
    while m.is_active():
        ids.append(m.id())
        if weights:
            ws.append(m.weight())
        m.next()
    return ids, ws


def _extend(target: array, values) -> None:
    if isinstance(values, array) and values.typecode == target.typecode:
        target.extend(values)
    else:
        target.fromlist(values.tolist() if isinstance(values, array) else list(values))


_BYTE_LENGTHS = [byte_to_length(b) for b in range(256)]


def _lengths(reader, field: str):
    """Every document's length of ``field`` in one segment (Whoosh 3 codec: one byte a document, read at once);
    the reader's own per-document lookup otherwise."""
    try:
        column = reader._perdoc._cached_reader(f"_{field}_len", LENGTHS_COLUMN)
        raw = column._dbfile.get(column._basepos, column._count)
        table = [_BYTE_LENGTHS[b] for b in raw]
        return lambda d: table[d] if d < len(table) else 0
    except Exception:  # noqa: BLE001 — another codec: the slower public lookup
        return lambda d: reader.doc_field_length(d, field) or 0


def _read_scored(reader, field, text, idf, avgfl, weighting) -> _Entry:
    ids, tfs = _read(reader, field, text)
    b = weighting._field_B.get(field, weighting.B) if hasattr(weighting, "_field_B") else 0.75
    k1 = getattr(weighting, "K1", 1.2)
    length = CACHE.lengths(reader, field) if len(ids) > 64 else (lambda d: reader.doc_field_length(d, field) or 0)
    # Whoosh's bm25(): idf × tf (K1 + 1) / (tf + K1 ((1 − B) + B × length / avgfl))
    scores = array("d", (idf * (tf * (k1 + 1)) / (tf + k1 * ((1 - b) + b * length(d) / avgfl))
                         for d, tf in zip(ids, tfs, strict=True)))
    return _Entry(ids, scores, idf, avgfl, max(scores, default=0.0))


@dataclass
class Hit:
    docnum: int  # in the whole index
    score: float
    matched: list[tuple[str, str]]  # (field, term) of the query found in the document, by weight


def search(searcher, index_path: str, weighted: Iterable[tuple[str, str, float]], *,
           required: list[list[tuple[str, str]]], within: list[tuple[str, str]] | None = None,
           limit: int = 100) -> list[Hit]:
    """The ``limit`` best documents for the weighted terms (field, text, boost), best first.

    ``required``: every group must match (any of its (field, text) terms) — kinds, status. ``within``: if given,
    the document must also have one of these terms (the issue's districts).
    """
    return search_each(searcher, index_path, weighted, required=required, withins=[within], limit=limit)[0]


def search_each(searcher, index_path: str, weighted: Iterable[tuple[str, str, float]], *,
                required: list[list[tuple[str, str]]], withins: list[list[tuple[str, str]] | None],
                limit: int = 100) -> list[list[Hit]]:
    """:func:`search` once per restriction in ``withins``, the scores summed only once for all of them.

    (MaxScore pruning — stop walking the postings once the terms left cannot lift an outsider into the top —
    was tried and lost: the matcher's terms have similar bounds, and finding the threshold costs a pass.)
    """
    weighted = [(f, t, b) for f, t, b in weighted if b > 0]
    if not weighted or limit <= 0:
        return [[] for _ in withins]
    # An empty index (or a reader with no segment of its own, as Whoosh gives for one without documents) has
    # nothing to score: leave it out rather than fail.
    leaves = [(reader, offset) for reader, offset in searcher.reader().leaf_readers()
              if getattr(reader, "segment", None) is not None and reader.segment() is not None]
    if not leaves:
        return [[] for _ in withins]
    keys = {id(reader): f"{index_path}:{reader.segment().segment_id()}" for reader, _offset in leaves}
    CACHE.forget_except(set(keys.values()))
    best: list[list[tuple[float, int, list, int]]] = [[] for _ in withins]
    for reader, offset in leaves:
        seg = keys[id(reader)]
        postings = [(field, text, boost, CACHE.scored(seg, reader, searcher, field, text))
                    for field, text, boost in weighted]
        postings = [p for p in postings if len(p[3].ids)]
        if not postings:
            continue
        alloweds = [CACHE.allowed(seg, reader, required, within) for within in withins]
        for n, found in enumerate(_segment_top(postings, alloweds, limit)):
            best[n] += [(s, -(offset + d), postings, d) for d, s in found]
    out = []
    for found in best:
        hits = []
        for score, neg_docnum, postings, d in heapq.nlargest(limit, found, key=lambda x: (x[0], x[1])):
            matched = []
            for field, text, _boost, entry in sorted(postings, key=lambda p: -p[2]):
                i = bisect_left(entry.ids, d)
                if i < len(entry.ids) and entry.ids[i] == d:
                    matched.append((field, text))
            hits.append(Hit(docnum=-neg_docnum, score=score, matched=matched))
        out.append(hits)
    return out


def _segment_top(postings: list, alloweds: list[frozenset], limit: int) -> list[list[tuple[int, float]]]:
    """The ``limit`` best (document, score) of one segment for each restriction."""
    acc: dict[int, float] = {}
    get = acc.get
    for _f, _t, boost, entry in postings:
        for d, s in zip(entry.ids, entry.scores, strict=True):
            acc[d] = get(d, 0.0) + s * boost
    return [[(-neg_d, s) for s, neg_d in _best(acc, allowed, limit)] for allowed in alloweds]


def _best(acc: dict[int, float], allowed: frozenset, n: int) -> list[tuple[float, int]]:
    """The ``n`` best (score, −document) of ``acc`` among ``allowed``; ties go to the lower document number, as
    in Whoosh. Walks the smaller of the two; for a wide restriction, only the documents above a threshold."""
    if len(allowed) < len(acc):
        get = acc.get
        return heapq.nlargest(n, [(s, -d) for d in allowed if (s := get(d)) is not None])
    if len(acc) > 8 * n:
        theta = heapq.nlargest(2 * n, acc.values())[-1]
        head = [(s, -d) for d, s in acc.items() if s >= theta and d in allowed]
        if len(head) >= n:
            return heapq.nlargest(n, head)
    return heapq.nlargest(n, [(s, -d) for d, s in acc.items() if d in allowed])


def _union(sets) -> frozenset:
    sets = list(sets)
    if len(sets) == 1:
        return sets[0]
    return frozenset().union(*sets)
