"""matcher.py on plain data: the structured fit orders those the text found; reasons; exclusions."""

from __future__ import annotations

from kyodo_match.matching.matcher import Candidate, Issue, TextHit, district_fit, rank_candidates, rank_issues

NAMES = {1: "板取", 2: "洞戸", 3: "安桜"}
AREAS = {10: "板取", 20: "洞戸", 30: "関"}
ISSUE = Issue(id=1, key="i", title="草刈り", districts=frozenset({1}), areas=frozenset({10}),
              slots=frozenset({"sat_am", "sun_am"}), fields=frozenset({7}), district_names=NAMES, area_names=AREAS)


def _cand(key, kind="volunteer", districts=(1,), areas=(10,), slots=("sat_am",), **kw):
    return Candidate(kind=kind, id=hash(key) % 10_000, key=key, name=key, districts=frozenset(districts),
                     areas=frozenset(areas), slots=frozenset(slots), **kw)


def _hits(cands, score=1.0):
    return {(c.kind, c.id): TextHit(score, ("草刈り",)) for c in cands}


def test_same_committee_beats_same_area_beats_elsewhere():
    same, area, far = _cand("same"), _cand("area", districts=(9,)), _cand("far", districts=(3,), areas=(30,))
    ranked = rank_candidates(ISSUE, [far, area, same], _hits([far, area, same]))
    assert [s.key for s in ranked] == ["same", "area", "far"]
    assert district_fit(ISSUE, same)[1] == "同じ地域委員会（板取）"
    assert district_fit(ISSUE, area)[1] == "同じ地域（板取）"


def test_a_city_wide_issue_fits_everyone():
    city = Issue(id=2, key="c", title="x", slots=frozenset({"sat_am"}))
    far = _cand("far", districts=(3,), areas=(30,))
    assert district_fit(city, far) == (1.0, "市内全域の課題")


def test_shared_slots_are_named_in_japanese_and_raise_the_score():
    free, busy = _cand("free", slots=("sat_am", "sun_am")), _cand("busy", slots=("mon_ev",))
    ranked = rank_candidates(ISSUE, [busy, free], _hits([busy, free]))
    assert [s.key for s in ranked] == ["free", "busy"]
    assert "都合の合う時間：土曜 午前、日曜 午前" in ranked[0].reasons
    assert "一致した技能・経験：草刈り" in ranked[0].reasons


def test_text_is_the_gate_and_exclusions_hold():
    found, unfound = _cand("found"), _cand("unfound")
    ineligible, taken = _cand("lapsed", eligible=False), _cand("taken")
    group = _cand("group", kind="group")
    only_people = Issue(id=3, key="p", title="x", accepts_groups=False)
    ranked = rank_candidates(ISSUE, [found, unfound, ineligible, taken], _hits([found, ineligible, taken]),
                             exclude=[("volunteer", taken.id)])
    assert [s.key for s in ranked] == ["found"]
    assert rank_candidates(only_people, [group], _hits([group])) == []
    closed = Issue(id=4, key="closed", title="x", open=False)
    assert rank_candidates(closed, [found], _hits([found])) == []
    assert rank_issues(found, [closed, ISSUE], {4: TextHit(1.0), 1: TextHit(1.0)})[0].key == "i"
    assert len(rank_issues(found, [closed, ISSUE], {4: TextHit(1.0), 1: TextHit(1.0)})) == 1
