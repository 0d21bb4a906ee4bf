"""The adopt program's lists in pages: 里親の申請 (/adopt/adoptions, 20 a page for each status filter, the total, the
pager kept inside #adoption-queue for htmx) and わたしの団体の里親 (/adopt/mine, 20 a page, #adopt-mine-list); who sees
which rows; the query count does not grow with the rows; the step buttons on a later page still swap their row."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from kyodo_match.extensions import db
from kyodo_match.models import AdoptAgreement, Adoption, AdoptSection, Role, utcnow
from tests.factories import department_id, make_group, make_user

HX = {"HX-Request": "true"}
ROW = re.compile(r'class="card adoption-row" id="adoption-row-(\d+)"')
MINE_CARD = re.compile(r'<li class="card">')


def _sections(n: int, dept: str, prefix: str) -> list[AdoptSection]:
    sections = [AdoptSection(name=f"{prefix}{i:03d}", kind="road", department_id=department_id(dept),
                             status="negotiating") for i in range(n)]
    db.session.add_all(sections)
    db.session.flush()
    return sections


def make_adoptions(n: int, *, dept: str = "土木課", status: str = "applied", groups=None, prefix: str = "区間",
                   one_section: bool = False, start_minute: int = 0) -> list[Adoption]:
    """``n`` applications, the oldest first (区間000 is the oldest), each on a section of its own (or one shared),
    round-robin over ``groups`` (one new group when none is given)."""
    groups = groups or [make_group(f"{prefix}の会")]
    sections = _sections(1 if one_section else n, dept, prefix)
    start = utcnow() - timedelta(days=30)
    rows = [Adoption(section_id=sections[0 if one_section else i].id, group_id=groups[i % len(groups)].id,
                     activities=["cleaning"], plan="清掃します。", times_per_year=4, members_count=3,
                     has_insurance=True, local_tie="live", status=status,
                     created_at=start + timedelta(minutes=start_minute + i)) for i in range(n)]
    db.session.add_all(rows)
    db.session.commit()
    return rows


def _rows(response) -> list[int]:
    return [int(i) for i in ROW.findall(response.get_data(as_text=True))]


def _staff(dept: str = "土木課"):
    return make_user(Role.STAFF, department_id=department_id(dept))


# --- 里親の申請 ------------------------------------------------------------------------------------------------

def test_queue_has_pages_of_twenty_and_the_total(client, login, app):
    rows = make_adoptions(45)
    make_adoptions(3, status="declined", prefix="見送り区間", start_minute=100)
    login(_staff())
    pages = [client.get(f"/adopt/adoptions?status=deciding&page={n}") for n in (1, 2, 3)]
    assert [r.status_code for r in pages] == [200, 200, 200]
    assert [len(_rows(r)) for r in pages] == [20, 20, 5]
    seen = [i for r in pages for i in _rows(r)]
    assert seen == [a.id for a in rows]  # oldest first, every row exactly once
    first = pages[0].get_data(as_text=True)
    assert "45件" in first and "区間000" in first and "区間044" not in first and "見送り区間" not in first
    assert "/adopt/adoptions?status=deciding&amp;page=2" in first and 'rel="next"' in first
    last = pages[2].get_data(as_text=True)
    assert "45件" in last and "区間044" in last and 'rel="next"' not in last
    # The default filter is 審査中, and a malformed or missing page is page 1.
    for url in ("/adopt/adoptions", "/adopt/adoptions?page=abc", "/adopt/adoptions?status=nope&page=-3"):
        r = client.get(url)
        assert r.status_code == 200 and _rows(r) == [a.id for a in rows[:20]], url
    # A page past the end is empty, not an error, and still says how many there are.
    beyond = client.get("/adopt/adoptions?page=9")
    assert beyond.status_code == 200 and _rows(beyond) == [] and "45件" in beyond.get_data(as_text=True)
    # Another filter counts and pages its own rows.
    closed = client.get("/adopt/adoptions?status=closed&page=1").get_data(as_text=True)
    assert "3件" in closed and "見送り区間000" in closed and 'class="pager"' not in closed


def test_rows_past_two_hundred_are_reachable(client, login, app):
    rows = make_adoptions(205, one_section=True)
    login(_staff())
    page = client.get("/adopt/adoptions?page=11")
    assert page.status_code == 200 and _rows(page) == [a.id for a in rows[200:]]
    body = page.get_data(as_text=True)
    assert "205件" in body and 'rel="prev"' in body and 'rel="next"' not in body


def test_htmx_page_is_the_queue_fragment_with_its_pager(client, login, app):
    rows = make_adoptions(45, status="agreed")
    login(_staff())
    r = client.get("/adopt/adoptions?status=agreed&page=2", headers=HX)
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and "<html" not in body and body.lstrip().startswith('<div id="adoption-queue">')
    assert _rows(r) == [a.id for a in rows[20:40]] and "HX-Request" in r.headers["Vary"]
    # The pager swaps the queue only, pushes the URL and keeps the filter.
    pager = body[body.index('class="pager"'):]
    links = re.findall(r"<a [^>]*>", pager[:pager.index("</nav>")])
    assert len(links) >= 3
    for link in links:
        href = re.search(r'href="([^"]+)"', link).group(1)
        assert f'hx-get="{href}"' in link and 'hx-target="#adoption-queue"' in link, link
        assert 'hx-push-url="true"' in link and "status=agreed" in href, link
    hrefs = {re.search(r'href="([^"]+)"', link).group(1) for link in links}
    assert {"/adopt/adoptions?status=agreed&amp;page=1", "/adopt/adoptions?status=agreed&amp;page=3"} <= hrefs


def test_staff_see_only_their_department_and_the_centre_sees_all(client, login, app):
    mine = make_adoptions(3, prefix="土木の区間")
    theirs = make_adoptions(30, dept="環境課", prefix="環境の区間", start_minute=-100)  # older: they would come first
    login(_staff("土木課"))
    for n in (1, 2):
        body = client.get(f"/adopt/adoptions?page={n}").get_data(as_text=True)
        assert "環境の区間" not in body
    page = client.get("/adopt/adoptions")
    assert _rows(page) == [a.id for a in mine] and "3件" in page.get_data(as_text=True)
    assert 'class="pager"' not in page.get_data(as_text=True)

    client.post("/logout")
    login(_staff("環境課"))
    first, second = client.get("/adopt/adoptions"), client.get("/adopt/adoptions?page=2")
    assert "30件" in first.get_data(as_text=True)
    assert _rows(first) + _rows(second) == [a.id for a in theirs]
    assert "土木の区間" not in first.get_data(as_text=True) + second.get_data(as_text=True)

    client.post("/logout")
    login(make_user(Role.COORDINATOR))
    pages = [client.get(f"/adopt/adoptions?page={n}") for n in (1, 2)]
    assert "33件" in pages[0].get_data(as_text=True)
    assert [i for r in pages for i in _rows(r)] == [a.id for a in theirs + mine]


@pytest.mark.parametrize("role", [Role.STAFF, Role.COORDINATOR])
def test_queue_query_count_does_not_grow_with_rows(client, login, app, queries, role):
    login(make_user(role, department_id=department_id("土木課") if role == Role.STAFF else None))
    groups = [make_group(f"団体{i}", representative=make_user(Role.GROUP_REP)) for i in range(25)]

    def measure(url: str) -> int:
        client.get(url)  # warm: the first request of a session may load what later ones reuse
        with queries() as q:
            r = client.get(url)
        assert r.status_code == 200
        return q.count

    make_adoptions(3, groups=groups[:3], prefix="少ない区間")
    make_adoptions(3, status="department_approved", groups=groups[:3], prefix="承認区間")
    make_adoptions(3, status="withdrawn", groups=groups[:3], prefix="取り下げ前の区間")
    few = measure("/adopt/adoptions"), measure("/adopt/adoptions?status=closed")
    assert len(_rows(client.get("/adopt/adoptions"))) == 6
    make_adoptions(22, groups=groups, prefix="多い区間", start_minute=50)
    make_adoptions(22, status="withdrawn", groups=groups, prefix="取り下げ区間")
    assert len(_rows(client.get("/adopt/adoptions"))) == 20
    assert (measure("/adopt/adoptions"), measure("/adopt/adoptions?status=closed")) == few


def test_steps_on_a_later_page_swap_their_row(client, login, app):
    rows = make_adoptions(25)
    staff = _staff()
    login(staff)
    target = rows[22]
    page = client.get("/adopt/adoptions?page=2").get_data(as_text=True)
    assert f'hx-target="#adoption-row-{target.id}"' in page and "担当課として承認する" in page
    r = client.post(f"/adopt/adoptions/{target.id}/step", data={"action": "department_approve"},
                    headers={**HX, "HX-Target": f"adoption-row-{target.id}"})
    body = r.get_data(as_text=True)
    assert r.status_code == 200 and body.lstrip().startswith("<article") and "<html" not in body
    assert f'id="adoption-row-{target.id}"' in body and "担当課承認" in body
    declined = rows[23]
    r = client.post(f"/adopt/adoptions/{declined.id}/step", data={"action": "decline", "reason": "工事のため"},
                    headers={**HX, "HX-Target": f"adoption-row-{declined.id}"})
    assert r.status_code == 200 and "工事のため" in r.get_data(as_text=True)
    assert db.session.get(Adoption, target.id).department_approved_by_id == staff.id
    # The queue, reloaded on the same page, still pages the same filter: the approved one stays 審査中.
    again = client.get("/adopt/adoptions?status=deciding&page=2")
    assert _rows(again) == [a.id for a in rows[20:] if a.id != declined.id]
    assert "24件" in again.get_data(as_text=True)
    assert declined.id in _rows(client.get("/adopt/adoptions?status=closed"))


# --- わたしの団体の里親 ----------------------------------------------------------------------------------------

def _agree(adoptions: list[Adoption]) -> None:
    for a in adoptions:
        db.session.add(AdoptAgreement(adoption_id=a.id, section_id=a.section_id, group_id=a.group_id,
                                      starts_on=date(2026, 6, 1), ends_on=date(2027, 6, 1)))
    db.session.commit()


def test_mine_pages_of_twenty_and_only_my_groups(client, login, app):
    rep = make_user(Role.GROUP_REP)
    ours = [make_group("小瀬をきれいにする会", representative=rep), make_group("鮎之瀬の会", representative=rep)]
    rows = make_adoptions(25, groups=ours, prefix="うちの区間")
    _agree([rows[0], rows[24]])
    other = make_group("よその会", representative=make_user(Role.GROUP_REP))
    make_adoptions(5, groups=[other], prefix="よその区間", start_minute=100)  # newer: they would come first
    login(rep)
    first, second = client.get("/adopt/mine"), client.get("/adopt/mine?page=2")
    assert first.status_code == second.status_code == 200
    a, b = first.get_data(as_text=True), second.get_data(as_text=True)
    assert len(MINE_CARD.findall(a)) == 20 and len(MINE_CARD.findall(b)) == 5
    assert "25件" in a and "よその区間" not in a + b and "よその会" not in a + b
    assert "うちの区間024" in a and "うちの区間000" in b  # newest first
    assert "小瀬をきれいにする会" in a and "鮎之瀬の会" in a
    agreements = {g.adoption_id: g.id for g in db.session.query(AdoptAgreement)}
    assert f"/adopt/agreements/{agreements[rows[24].id]}" in a and f"/adopt/agreements/{agreements[rows[0].id]}" in b
    assert "/adopt/mine?page=2" in a
    assert client.get("/adopt/mine?page=abc").get_data(as_text=True).count('<li class="card">') == 20
    # htmx: only the list, with a pager that swaps it.
    part = client.get("/adopt/mine?page=2", headers=HX)
    body = part.get_data(as_text=True)
    assert part.status_code == 200 and "<html" not in body and body.lstrip().startswith('<div id="adopt-mine-list">')
    assert 'hx-target="#adopt-mine-list"' in body and 'hx-push-url="true"' in body
    # The other group's representative sees only theirs, without a pager.
    client.post("/logout")
    login(other.representatives[0].user)
    theirs = client.get("/adopt/mine").get_data(as_text=True)
    assert "5件" in theirs and "うちの区間" not in theirs and 'class="pager"' not in theirs
    # A representative without applications sees the empty state.
    client.post("/logout")
    login(make_user(Role.GROUP_REP))
    assert "まだ申請はありません。" in client.get("/adopt/mine").get_data(as_text=True)


def test_mine_query_count_does_not_grow_with_rows(client, login, app, queries):
    rep = make_user(Role.GROUP_REP)
    groups = [make_group(f"団体{i}", representative=rep) for i in range(25)]
    login(rep)

    def measure() -> int:
        client.get("/adopt/mine")
        with queries() as q:
            r = client.get("/adopt/mine")
        assert r.status_code == 200
        return q.count

    few = make_adoptions(3, groups=groups[:3], prefix="少ない区間", status="agreed")
    _agree(few[:2])
    before = measure()
    many = make_adoptions(22, groups=groups, prefix="多い区間", status="agreed", start_minute=50)
    _agree(many)
    assert len(MINE_CARD.findall(client.get("/adopt/mine").get_data(as_text=True))) == 20
    assert measure() == before
