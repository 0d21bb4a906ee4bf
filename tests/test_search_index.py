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
