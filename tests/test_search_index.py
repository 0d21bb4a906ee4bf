"""The search module: Japanese folding, only public data, outbox updates, rebuild and check, odd queries."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from flask import g
from sqlalchemy import select

from kyodo_match import create_app, search
from kyodo_match.database import write_intent
from kyodo_match.extensions import db
from kyodo_match.models import District, SearchOutbox
from kyodo_match.search.analysis import fold, query_words, terms
from tests.conftest import base_config
from tests.factories import make_group, make_user, make_volunteer_profile


def test_folding_meets_width_and_kana_variants():
    assert fold("ＩＴ") == fold("IT") == "it"
    assert fold("ゴミ") == fold("ごみ")
    assert fold("ｸｻｶﾘ") == fold("クサカリ") == "くさかり"
    assert terms("草刈り") == ["草刈", "刈り"]
    assert terms("IT支援") == ["it", "支援"]


def _reindex(kind, obj_id):
    search.enqueue(kind, obj_id)
    db.session.commit()
    search.drain()


def test_public_volunteer_card_is_found_and_private_one_is_not(app):
    shown = make_volunteer_profile(skills=["草刈り"], districts=["板取"])
    hidden = make_volunteer_profile(public=False, skills=["草刈り"])
    _reindex("volunteer", shown.user_id)
    _reindex("volunteer", hidden.user_id)
    assert search.search("volunteer", "草刈り").ids == [shown.user_id]
    assert search.search("volunteer", "クサカリ").ids == []  # reading without kanji needs the matcher (issue 5)
    district = db.session.scalar(select(District).where(District.name == "板取"))
    assert search.search("volunteer", "", districts=[district.id]).ids == [shown.user_id]


def test_contact_data_is_never_indexed(app):
    profile = make_volunteer_profile(skills=["傾聴"], phone="0575-99-8888")
    _reindex("volunteer", profile.user_id)
    assert search.search("volunteer", "0575").ids == []
    assert search.search("volunteer", profile.user.email).ids == []


def test_only_verified_groups_are_indexed_and_a_change_reaches_the_index(app):
    group = make_group("板取清流を守る倶楽部", status="pending", skills=["河川清掃"])
    _reindex("group", group.id)
    assert search.search("group", "清流").ids == []
    group.status = "verified"
    _reindex("group", group.id)
    assert search.search("group", "清流").ids == [group.id]
    group.status = "paused"
    _reindex("group", group.id)
    assert search.search("group", "清流").ids == []


ODD = ["*", "name:x", 'text:"', '"unbalanced', "a" * 10_000, "(", "AND OR NOT", "🙂", "\x00"]


@pytest.mark.parametrize("query", ODD)
def test_odd_queries_never_fail(app, query):
    make_volunteer_profile(skills=["草刈り"])
    result = search.search("volunteer", query)
    assert result.total >= 0
    assert len(query_words(query)) <= 10


def test_rebuild_and_check_agree_with_the_database(app):
    for _ in range(3):
        make_volunteer_profile(skills=["手話"])
    make_group("関の子ども食堂", skills=["子ども食堂"])
    assert search.rebuild() == 4
    report = search.check()
    assert report["ok"], report
    assert report["expected"] == {"volunteer": 3, "group": 1, "project": 0}


def test_check_notices_an_index_behind_the_database(app):
    make_volunteer_profile(skills=["手話"])  # committed without enqueue: the index does not know it
    # drain() inside check finds nothing to apply, so the count differs
    report = search.check()
    assert not report["ok"]


def test_corrupt_or_old_index_is_rebuilt_on_start(app, database_url, tmp_path):
    make_volunteer_profile(skills=["点訳"])
    index_dir = Path(app.config["KYODO_INDEX_DIR"])
    (index_dir / "SCHEMA_VERSION").write_text("0")
    db.session.commit()
    again = create_app(base_config(Path(app.instance_path), database_url))
    with again.app_context():
        assert search.index_is_usable()
        assert search.search("volunteer", "点訳").total == 1
    for f in index_dir.glob("*.seg"):
        f.write_bytes(b"garbage")
    for f in index_dir.glob("_MAIN_*.toc"):
        f.write_bytes(b"garbage")
    third = create_app(base_config(Path(app.instance_path), database_url))
    with third.app_context():
        assert search.search("volunteer", "点訳").total == 1


def test_concurrent_indexers_lose_no_update_and_raise_nothing(app):
    profiles = [make_volunteer_profile(skills=["手話"]) for _ in range(8)]
    errors = []

    def worker(chunk):
        # Each thread behaves like a worker process's write request: its own session, BEGIN IMMEDIATE.
        with app.app_context(), write_intent():
            try:
                for user_id in chunk:
                    search.enqueue("volunteer", user_id)
                    db.session.commit()
                    search.drain()
            except Exception as e:  # noqa: BLE001
                errors.append(e)
            finally:
                db.session.remove()

    ids = [p.user_id for p in profiles]
    db.session.commit()
    threads = [threading.Thread(target=worker, args=(ids[i::4],)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    search.drain()
    assert search.search("volunteer", "手話").total == 8
    assert db.session.scalar(select(SearchOutbox.id).order_by(SearchOutbox.id.desc())) is not None


def test_enqueue_marks_the_request_for_an_update(app):
    user = make_user()
    profile = make_volunteer_profile(user)
    with app.test_request_context():
        search.enqueue("volunteer", profile.user_id)
        assert g.search_dirty
        db.session.rollback()


def test_directory_counts_stay_exact_when_the_index_lags_behind(app):
    from kyodo_match.groups.directory import DirectoryFilters, directory

    shown = make_group("清流を守る会 上流", skills=["河川清掃"])
    lagging = make_group("清流を守る会 下流", skills=["河川清掃"])
    search.rebuild()
    lagging.status = "paused"  # changed without an index update: the index still lists it
    db.session.commit()
    assert search.search("group", "清流").total == 2
    page = directory(DirectoryFilters(q="清流"), page=1)
    assert [g.id for g in page.groups] == [shown.id]
    assert page.total == 1


WRITER = """
import sys
from pathlib import Path
from kyodo_match import create_app, search
from kyodo_match.database import write_intent
from kyodo_match.extensions import db
from tests.conftest import base_config
from tests.factories import make_user, make_volunteer_profile

instance, url, tag, n, prefix = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
app = create_app(base_config(Path(instance), url))
with app.app_context():
    for i in range(n):
        with write_intent():
            user = make_user(email=f"{prefix}-{i}@example.jp", commit=False)
            profile = make_volunteer_profile(user, skills=["手話"], free_tags=[tag], commit=False)
            search.enqueue("volunteer", profile.user_id)
            db.session.commit()
        search.drain()
        db.session.remove()
print("ok")
"""


def test_two_processes_writing_and_draining_lose_no_update(app, database_url):
    """Two worker processes each add profiles and drain after every commit (as after_request does): every
    profile is then searchable, and neither process saw an error (drain logs and returns 0 on failure)."""
    import subprocess
    import sys

    db.session.commit()
    root = Path(__file__).resolve().parent.parent
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, app.instance_path, database_url, tag, "6", prefix],
                              cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for tag, prefix in (("ズィクトラア", "first"), ("ズィクトライ", "second"))]
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        assert "Traceback" not in err and "LockError" not in err and "failed" not in err, err
    search.drain()
    for tag in ("ずぃくとらあ", "ずぃくとらい"):
        assert len(search.match(["volunteer"], [("words", tag, 1.0)], limit=50)) == 6
    assert search.check()["ok"]


def test_a_row_committed_late_below_the_cursor_is_applied(app):
    """An outbox id taken before another but committed after it (a gap) is still applied by the next drain."""
    early = make_volunteer_profile(skills=["点訳"])
    late = make_volunteer_profile(skills=["点訳"])
    search.rebuild()
    early.free_tags, late.free_tags = ["ズィクトラウ"], ["ズィクトラエ"]
    db.session.add(SearchOutbox(id=1000, kind="volunteer", object_id=early.user_id))
    db.session.commit()
    search.drain()  # the cursor moves to 1000; ids up to 999 never seen are gaps
    assert search.match(["volunteer"], [("words", "ずぃくとらう", 1.0)])
    assert not search.match(["volunteer"], [("words", "ずぃくとらえ", 1.0)])
    db.session.add(SearchOutbox(id=990, kind="volunteer", object_id=late.user_id))  # commits late
    db.session.commit()
    assert search.drain() == 1  # only the late row: rows already applied are not read again
    assert search.match(["volunteer"], [("words", "ずぃくとらえ", 1.0)])
    assert search.drain() == 0


def test_gaps_are_forgotten_after_the_window():
    from kyodo_match.search import LATE_COMMIT_WINDOW, _Cursor, _with_gaps

    cursor = _with_gaps(_Cursor(3), seen=[4, 6], upto=7, now=100.0)
    assert cursor.last == 7 and set(cursor.gaps) == {5}
    cursor = _with_gaps(cursor, seen=[8], upto=8, now=101.0)
    assert set(cursor.gaps) == {5}
    cursor = _with_gaps(cursor, seen=[], upto=8, now=100.0 + LATE_COMMIT_WINDOW.total_seconds())
    assert cursor.gaps == {}


def test_matcher_scores_are_whooshs_own(app):
    """The cached-postings scorer gives Whoosh's BM25F for a boosted OR of terms, restricted by kind."""
    from whoosh.query import Or, Require, Term

    from kyodo_match.search import _searcher, scoring

    for skills, bio in ((["手話"], "手話と点訳"), (["点訳", "手話"], "点訳"), ([], "手話サークルで点訳も"),
                        (["傾聴"], "話し相手")):
        make_volunteer_profile(skills=skills, bio=bio)
    make_group("手話の会", skills=["手話"])
    search.rebuild()
    weighted = [("m_skill", "手話", 3.0), ("m_concept", "手話", 2.5), ("m_skill", "点訳", 1.2),
                ("m_words", "点訳", 0.4)]
    with _searcher() as s:
        ours = scoring.search(s, "x", weighted, required=[[("kind", "volunteer")]], limit=10)
        query = Require(Or([Term(f, t, boost=b) for f, t, b in weighted]), Term("kind", "volunteer"))
        theirs = s.search(query, limit=10, optimize=False)
        assert [h.docnum for h in ours] == [h.docnum for h in theirs]
        assert [round(h.score, 6) for h in ours] == [round(h.score, 6) for h in theirs]
        assert all(("m_skill", "手話") in h.matched or ("m_skill", "点訳") in h.matched
                   or ("m_words", "点訳") in h.matched for h in ours)


def test_the_matcher_search_on_an_empty_index_finds_nothing_instead_of_failing(app):
    from kyodo_match.matching import services as matching
    from tests.factories import make_project

    search.rebuild()  # nothing but this project's own document, then nothing at all
    project = make_project(status="recruiting")
    assert matching.suggest_for_issue(project) == []
    search.rebuild()
    assert matching.suggest_for_issue(project) == []
