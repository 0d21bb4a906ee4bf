"""load-json (all or nothing, reload updates), suggestions both ways with Japanese reasons, exclusions, the CLI."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from kyodo_match import search
from kyodo_match.extensions import db
from kyodo_match.matching import data, services
from kyodo_match.matching.loader import LoadError, load_records
from kyodo_match.models import CivicGroup, Project, ProjectPartner, User, VolunteerProfile


def _volunteer(key, **extra):
    rec = {"key": key, "kind": "individual", "name": f"関 {key}", "email": f"{key}@example.jp", "phone": "0575-00-0000",
           "district": "板取", "activity_districts": ["板取"], "skills": ["草刈り機の操作"], "qualifications": [],
           "interests": [7], "availability": ["sat_am"], "bio": "休日に河川敷の除草をしています。"}
    rec.update(extra)
    return rec


def _group(key, **extra):
    rec = {"key": key, "kind": "group", "name": f"板取清流の会 {key}", "group_type": "ボランティア団体",
           "email": f"{key}@example.jp", "phone": "0575-20-0000", "district": "板取", "activity_districts": ["板取"],
           "skills": ["くさかり"], "interests": [7], "availability": ["sat_am"], "members": 10,
           "description": "板取で草刈りと川のごみ拾いをしています。"}
    rec.update(extra)
    return rec


def _issue(key, **extra):
    rec = {"key": key, "title": "板取川沿いの草刈りボランティア募集", "description": "河川敷の除草を手伝ってください。",
           "department": "環境課", "field": 7, "districts": ["板取"], "skills": ["草刈り"], "schedule": ["sat_am"],
           "needed": 5, "accepts": ["individual", "group"]}
    rec.update(extra)
    return rec


def _load(records: dict):
    counts = load_records(records)
    db.session.commit()
    search.drain()
    return counts


def _counts():
    return tuple(db.session.scalar(select(func.count()).select_from(m)) for m in (User, VolunteerProfile,
                                                                                  CivicGroup, Project))


def test_loading_twice_updates_instead_of_duplicating(app):
    records = {"volunteers": [_volunteer("v-1"), _volunteer("v-2")], "groups": [_group("g-1")],
               "issues": [_issue("i-1")]}
    first = _load(records)
    assert first["volunteers"] == {"added": 2, "updated": 0}
    before = _counts()
    records["volunteers"][0]["bio"] = "書き換えました"
    second = _load(records)
    assert second["volunteers"] == {"added": 0, "updated": 2} and second["issues"] == {"added": 0, "updated": 1}
    assert _counts() == before
    profile = data.volunteer_by_key("v-1")
    assert profile.bio == "書き換えました" and profile.public_card is False
    assert profile.free_tags == ["草刈り機の操作"]  # not in the vocabulary: kept as free text
    group = data.group_by_key("g-1")
    assert group.status == "verified" and [s.name for s in group.skills] == ["草刈り"]  # くさかり is its reading
    project = data.project_by_key("i-1")
    assert project.status == "recruiting" and project.kind == "issue" and project.schedule_slots == ["sat_am"]
    assert (project.needed_individuals, project.needed_groups) == (5, 5)


def test_a_bad_record_refuses_the_whole_file_naming_key_and_reason(app):
    records = {"volunteers": [_volunteer("v-ok"), _volunteer("v-bad", district="どこか")],
               "groups": [_group("g-bad", interests=[21])], "issues": [_issue("i-bad", schedule=["someday"])]}
    before = _counts()
    with pytest.raises(LoadError) as refused:
        load_records(records)
    db.session.rollback()
    problems = "\n".join(refused.value.problems)
    assert "v-bad: district に不明な地域委員会があります: どこか" in problems
    assert "g-bad: interests は 1〜20 の分野コードで指定してください" in problems
    assert "i-bad: schedule に不明な時間帯があります: someday" in problems
    assert "v-ok" not in problems
    assert _counts() == before


def test_cli_load_json_reports_the_bad_key_and_writes_nothing(app, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"volunteers": [_volunteer("v-1"), _volunteer("v-1")]}), encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["load-json", str(path)])
    assert result.exit_code != 0
    assert "v-1: 同じ key が二度あります" in result.stderr
    assert db.session.scalar(select(func.count()).select_from(VolunteerProfile)) == 0


@pytest.fixture
def city(app):
    """An issue in 板取 and candidates that differ in one respect each."""
    _load({
        "volunteers": [
            _volunteer("v-near"),  # same committee, same time, the right skill
            _volunteer("v-far", district="富岡", activity_districts=["富岡"]),
            _volunteer("v-busy", availability=["mon_ev"]),
            _volunteer("v-lapsed"),
            _volunteer("v-other", skills=["手話"], bio="手話サークルに通っています。"),
        ],
        "groups": [_group("g-ok"), _group("g-pending", status="申請中")],
        "issues": [_issue("i-1"), _issue("i-closed", status="完了"), _issue("i-groups", accepts=["group"])],
    })
    lapsed = data.volunteer_by_key("v-lapsed")
    lapsed.expires_on = date.today() - timedelta(days=1)
    db.session.commit()


def _keys(suggestions):
    return [s.key for s in suggestions]


def test_suggestions_rank_the_near_and_free_first_and_explain_in_japanese(city):
    suggestions = services.suggest_for_issue(data.project_by_key("i-1"))
    keys = _keys(suggestions)
    assert keys[0] in {"v-near", "g-ok"}
    assert keys.index("v-near") < keys.index("v-far") and keys.index("v-near") < keys.index("v-busy")
    near = suggestions[keys.index("v-near")]
    assert "同じ地域委員会（板取）" in near.reasons
    assert "都合の合う時間：土曜 午前" in near.reasons
    assert any(r.startswith("一致した技能・経験：") and "草刈り" in r for r in near.reasons)
    assert all(s.reasons for s in suggestions)


def test_unverified_groups_lapsed_volunteers_and_the_unskilled_are_never_suggested(city):
    keys = _keys(services.suggest_for_issue(data.project_by_key("i-1"), limit=50))
    assert "g-ok" in keys and "v-near" in keys
    assert not {"g-pending", "v-lapsed", "v-other"} & set(keys)


def test_a_closed_issue_gets_no_suggestions_and_is_never_suggested(city):
    assert services.suggest_for_issue(data.project_by_key("i-closed")) == []
    reverse = _keys(services.suggest_for_candidate(data.volunteer_by_key("v-near")))
    assert "i-1" in reverse and "i-closed" not in reverse


def test_an_issue_for_groups_suggests_only_groups(city):
    suggestions = services.suggest_for_issue(data.project_by_key("i-groups"))
    assert suggestions and {s.kind for s in suggestions} == {"group"}


def test_partners_already_chosen_are_not_suggested_again(city):
    project = data.project_by_key("i-1")
    db.session.add(ProjectPartner(project_id=project.id, group_id=data.group_by_key("g-ok").id))
    db.session.commit()
    assert "g-ok" not in _keys(services.suggest_for_issue(project, limit=50))


def test_people_who_already_applied_are_not_suggested_in_either_direction(city):
    from kyodo_match.models import Application

    project = data.project_by_key("i-1")
    near = data.volunteer_by_key("v-near")
    assert "v-near" in _keys(services.suggest_for_issue(project, limit=50))
    db.session.add(Application(project_id=project.id, volunteer_user_id=near.user_id, status="declined"))
    db.session.commit()
    assert "v-near" not in _keys(services.suggest_for_issue(project, limit=50))
    assert "i-1" not in _keys(services.suggest_for_candidate(near, limit=50))


def test_the_reverse_direction_ranks_issues_for_a_group(city):
    suggestions = services.suggest_for_candidate(data.group_by_key("g-ok"))
    assert {s.key for s in suggestions} == {"i-1", "i-groups"}
    assert all(s.kind == "issue" and "同じ地域委員会（板取）" in s.reasons for s in suggestions)
    assert services.suggest_for_candidate(data.group_by_key("g-pending")) == []


def test_cli_suggest_prints_one_json_object_per_issue(city, app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["suggest", "--issue", "i-1", "--issue", "i-groups", "--limit", "3", "--json"])
    assert result.exit_code == 0, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["issue"] for line in lines] == ["i-1", "i-groups"]
    first = lines[0]["suggestions"]
    assert 0 < len(first) <= 3
    assert set(first[0]) == {"key", "kind", "score", "reasons"} and first[0]["kind"] in {"volunteer", "group"}
    assert isinstance(first[0]["score"], float) and first[0]["reasons"]
    reverse = runner.invoke(args=["suggest", "--for", "v-near", "--json"])
    assert json.loads(reverse.stdout.splitlines()[0])["suggestions"][0]["key"] == "i-1"
    missing = runner.invoke(args=["suggest", "--issue", "nope"])
    assert missing.exit_code != 0 and "nope" in missing.stderr


ODD = ["*", "field:", 'm_skill:"', '"unbalanced', "a" * 10_000, "(", "AND OR NOT", "\x00"]


@pytest.mark.parametrize("text", ODD)
def test_odd_text_in_an_issue_never_raises(app, text):
    odd_issue = _issue("i-odd", title="募集" + text[:100], description=text, skills=[text[:60]])
    _load({"volunteers": [_volunteer("v-1", bio=text[:4000])], "issues": [odd_issue]})
    services.suggest_for_issue(data.project_by_key("i-odd"))
    services.suggest_for_candidate(data.volunteer_by_key("v-1"))


def test_candidate_pool_reads_the_same_structure_as_the_full_records(app, queries):
    """The pool of an issue is read with plain queries (no ORM objects, no analyser): the same districts, times,
    fields and eligibility as the full records, a fixed number of statements however many candidates."""
    today = date.today()
    _load({"volunteers": [_volunteer(f"pv-{n}", activity_districts=["板取", "洞戸"], interests=[7, 3],
                                     availability=["sat_am", "sun_pm"]) for n in range(6)]
           + [_volunteer("pv-old", expires_on=(today - timedelta(days=1)).isoformat())],
           "groups": [_group("pg-1"), _group("pg-2", status="申請中")]})
    places = data.Places()
    profiles = db.session.scalars(select(VolunteerProfile)).all()
    groups = db.session.scalars(select(CivicGroup)).all()
    full = {(c.kind, c.id): c for c in [data.volunteer_of(p, places, today) for p in profiles]
            + [data.group_of(g, places) for g in groups]}
    volunteer_ids, group_ids = [p.user_id for p in profiles], [g.id for g in groups]
    db.session.expire_all()
    with queries() as counted:
        pool = (data.volunteer_candidates(volunteer_ids, places, today) + data.group_candidates(group_ids, places))
    assert counted.count <= 6  # three statements a kind
    assert len(pool) == len(full)
    for c in pool:
        f = full[(c.kind, c.id)]
        assert (c.key, c.name, c.districts, c.areas, c.slots, c.fields, c.eligible) == \
            (f.key, f.name, f.districts, f.areas, f.slots, f.fields, f.eligible)
    assert {c.key for c in pool if not c.eligible} == {"pv-old", "pg-2"}
