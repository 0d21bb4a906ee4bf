"""わたしの応募 a page at a time: 招待 / 進行中 / 確定・活動中 stay whole, 「終わったもの」 is paginated ten per page
(?ended_page=), the activity history twenty per page (?history_page=) with totals over every record; each pager
swaps only its own section for htmx, the page's queries do not grow with the rows, and nobody else's rows show."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from flask import render_template_string

from kyodo_match.extensions import db
from kyodo_match.models import ActivityRecord, Application, Role, utcnow
from tests.factories import make_group, make_project, make_user, make_volunteer_profile

ENDED_STATUSES = ("completed", "declined", "withdrawn", "expired", "invitation_declined")
ACTIVE_STATUSES = ("invited", "applied", "confirmed")
HX = {"HX-Request": "true"}
DAY = date(2024, 4, 1)
_titles = iter(range(1, 10_000))


def _text(response) -> str:
    return response.get_data(as_text=True)


def _section(page: str, section_id: str) -> str:
    """The HTML of <section id="section_id"> (sections on this page never nest)."""
    start = page.index(f'id="{section_id}"')
    return page[start:page.index("</section>", start)]


def _row_ids(html: str) -> list[int]:
    return [int(n) for n in re.findall(r'<article class="card app-row" id="application-row-(\d+)"', html)]


def _applications(n: int, *, statuses=ENDED_STATUSES, user=None, group=None, hours_ago: int = 0) -> list[Application]:
    """``n`` applications of ``user`` (or ``group``), each to its own project, the last one the newest."""
    base = utcnow() - timedelta(days=30, hours=hours_ago)
    made = []
    for i in range(n):
        project = make_project(status="recruiting", title=f"事業{next(_titles):04d}", commit=False)
        made.append(Application(project_id=project.id, volunteer_user_id=user.id if user else None,
                                group_id=group.id if group else None, status=statuses[i % len(statuses)],
                                last_action_at=base + timedelta(minutes=i)))
    db.session.add_all(made)
    db.session.commit()
    return made


def _records(application: Application, n: int, *, attended=True, minutes: int = 60, start: int = 0) -> None:
    db.session.add_all(ActivityRecord(application_id=application.id, activity_date=DAY + timedelta(days=start + i),
                                      attended=attended, minutes=minutes) for i in range(n))
    db.session.commit()


@pytest.fixture
def me(app):
    user = make_user(Role.VOLUNTEER, Role.GROUP_REP, display_name="わたし")
    make_volunteer_profile(user)
    return user


# --- 終わったもの -------------------------------------------------------------------------------------------------

def test_ended_applications_are_ten_a_page_newest_first_and_the_heading_counts_them_all(client, login, me):
    ended = _applications(25, user=me)
    active = _applications(3, statuses=ACTIVE_STATUSES, user=me)
    newest_first = [a.id for a in reversed(ended)]
    login(me)

    def ended_rows(query: str) -> list[int]:
        response = client.get(f"/applications/mine{query}")
        assert response.status_code == 200
        page = _text(response)
        for a in active:  # the to-do list is whole on every page of the ended section
            assert f'id="application-row-{a.id}"' in page
        section = _section(page, "mine-ended")
        assert '終わったもの <span class="muted">25件</span>' in section
        return _row_ids(section)

    assert ended_rows("") == newest_first[:10]
    assert ended_rows("?ended_page=2") == newest_first[10:20]
    assert ended_rows("?ended_page=3") == newest_first[20:]
    for odd in ("abc", "0", "-1", ""):
        assert ended_rows(f"?ended_page={odd}") == newest_first[:10]
    assert ended_rows("?ended_page=999999") == newest_first[20:]  # past the end: the last page


def test_the_active_sections_are_whole_and_hold_only_their_states(client, login, me):
    active = _applications(15, statuses=("invited", "applied", "reviewing", "approved", "waitlisted",
                                         "confirmed", "active"), user=me)
    login(me)
    page = _text(client.get("/applications/mine"))
    by_section = {key: _row_ids(_section(page, f"section-{key}")) for key in ("invited", "open", "matched")}
    assert sorted(sum(by_section.values(), [])) == sorted(a.id for a in active)
    assert {a.status for a in active if a.id in by_section["invited"]} == {"invited"}
    assert {a.status for a in active if a.id in by_section["matched"]} == {"confirmed", "active"}
    assert '<span class="muted">0件</span>' in _section(page, "mine-ended") and "ありません。" in page


def test_the_ended_pager_links_work_without_javascript_and_swap_only_their_section(client, login, me):
    _records(_applications(25, user=me)[0], 45)  # three pages of history
    login(me)
    page = _text(client.get("/applications/mine?ended_page=2&history_page=3"))
    history = _section(page, "mine-history")
    assert 'aria-label="活動履歴のページ送り"' in history and "ended_page=2&amp;history_page=2" in history
    section = _section(page, "mine-ended")
    assert 'aria-label="終わったもののページ送り"' in section and 'aria-current="page">2' in section
    links = re.findall(r'<a href="([^"]+)"([^>]*)>', section[section.index('class="pager"'):])
    assert links, section
    for href, attributes in links:
        href = href.replace("&amp;", "&")
        assert href.startswith("/applications/mine?") and "ended_page=" in href and "history_page=3" in href
        assert f'hx-get="{href.replace("&", "&amp;")}"' in attributes
        assert 'hx-target="#mine-ended"' in attributes and 'hx-swap="outerHTML"' in attributes
        assert 'hx-push-url="true"' in attributes
    assert "ended_page=3" in section and "ended_page=1" in section


def test_an_htmx_request_from_a_pager_gets_only_that_section(client, login, me):
    _applications(12, user=me)
    invited = _applications(1, statuses=("invited",), user=me)[0]
    _records(_applications(1, statuses=("completed",), user=me, hours_ago=100)[0], 25)
    login(me)

    ended = client.get("/applications/mine?ended_page=2", headers={**HX, "HX-Target": "mine-ended"})
    body = _text(ended)
    assert ended.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="app-section" id="mine-ended"')
    assert 'id="mine-history"' not in body and f'id="application-row-{invited.id}"' not in body
    assert len(_row_ids(body)) == 3 and "13件" in body
    # the history's pager comes along out of band, its links now keeping ended_page=2
    oob = body[body.index('<div id="mine-history-pager" hx-swap-oob="true">'):]
    assert "history_page=2" in oob and "ended_page=2" in oob and 'hx-target="#mine-history"' in oob
    assert "HX-Request" in ended.headers["Vary"] and "HX-Target" in ended.headers["Vary"]

    history = client.get("/applications/mine?history_page=2", headers={**HX, "HX-Target": "mine-history"})
    body = _text(history)
    assert history.status_code == 200 and "<html" not in body
    assert body.lstrip().startswith('<section class="app-history" id="mine-history"')
    assert 'id="mine-ended"' not in body and body.count("<tr><td>") == 5
    oob = body[body.index('<div id="mine-ended-pager" hx-swap-oob="true">'):]
    assert "history_page=2" in oob and "ended_page=2" in oob and 'hx-target="#mine-ended"' in oob

    for headers in ({**HX, "HX-Target": "somewhere-else"}, HX, {}, {**HX, "HX-Target": "mine-ended",
                                                                  "HX-History-Restore-Request": "true"}):
        whole = client.get("/applications/mine?ended_page=2", headers=headers)
        assert whole.status_code == 200 and "<html" in _text(whole), headers
        assert 'id="mine-ended"' in _text(whole) and 'id="mine-history"' in _text(whole)
        assert f'id="application-row-{invited.id}"' in _text(whole)


# --- 活動履歴 -------------------------------------------------------------------------------------------------------

def test_history_totals_cover_every_record_while_the_table_shows_twenty(client, login, me):
    group = make_group("せきまちの会", representative=me)
    mine = _applications(1, statuses=("active",), user=me)[0]
    ours = _applications(1, statuses=("completed",), group=group)[0]
    _records(mine, 5, attended=False, minutes=120)  # absent, the oldest days: not counted
    _records(mine, 20, minutes=60, start=5)  # 20 hours
    _records(ours, 5, minutes=90, start=40)  # 7.5 hours, the newest days
    login(me)
    for query, rows in (("", 20), ("?history_page=2", 10), ("?history_page=x", 20), ("?history_page=99", 10)):
        section = _section(_text(client.get(f"/applications/mine{query}")), "mine-history")
        assert "あなたの活動時間の合計: 20時間" in section, query
        assert "せきまちの会の活動時間の合計: 7.5時間" in section
        assert section.count("<tr><td>") == rows, query
        assert "全30件のうち" in section
    first = _section(_text(client.get("/applications/mine")), "mine-history")
    assert first.count("1.5時間") == 5 and "欠席" not in first  # newest first: the group's days, then mine
    assert 'aria-label="活動履歴のページ送り"' in first and 'hx-target="#mine-history"' in first
    assert "history_page=2" in first
    last = _section(_text(client.get("/applications/mine?history_page=2")), "mine-history")
    assert last.count("欠席") == 5 and (DAY + timedelta(days=0)).isoformat() in last


def test_history_shows_nothing_to_total_without_records(client, login, me):
    login(me)
    section = _section(_text(client.get("/applications/mine?history_page=4")), "mine-history")
    assert "まだ活動の記録はありません。" in section and "合計" not in section and "pager" not in section


# --- cost and privacy -----------------------------------------------------------------------------------------------

def test_the_page_does_not_grow_queries_with_rows(client, login, me, queries):
    group = make_group("せきまちの会", representative=me)
    login(me)

    def add(n: int) -> None:
        _applications(n, user=me)
        _applications(n, group=group)
        _applications(n, statuses=ACTIVE_STATUSES, user=me)
        _applications(n, statuses=ACTIVE_STATUSES, group=group)
        record_on = _applications(1, statuses=("completed",), user=me)[0]
        _records(record_on, n)

    def measure() -> list[int]:
        counts = []
        for query, headers in (("", {}), ("?ended_page=2&history_page=2", {}),
                               ("?ended_page=2", {**HX, "HX-Target": "mine-ended"}),
                               ("?history_page=2", {**HX, "HX-Target": "mine-history"})):
            with queries() as q:
                assert client.get(f"/applications/mine{query}", headers=headers).status_code == 200
            counts.append(q.count)
        return counts

    add(3)
    few = measure()
    add(27)
    assert measure() == few


def test_another_persons_applications_and_history_never_appear(client, login, me):
    other = make_user(Role.VOLUNTEER, Role.GROUP_REP)
    their_group = make_group("よその会", representative=other)
    theirs = (_applications(12, user=other) + _applications(3, statuses=ACTIVE_STATUSES, user=other)
              + _applications(12, group=their_group))
    _records(theirs[0], 25, minutes=45)
    _records(theirs[-1], 3, minutes=30)
    mine = _applications(2, user=me)
    _records(mine[0], 1, minutes=60)
    login(me)
    for query in ("", "?ended_page=2", "?history_page=2"):
        page = _text(client.get(f"/applications/mine{query}"))
        for a in theirs:
            assert f'id="application-row-{a.id}"' not in page
            assert db.session.get(type(a), a.id).project.title not in page
        assert "よその会" not in page
        assert '終わったもの <span class="muted">2件</span>' in page
        assert "あなたの活動時間の合計: 1時間" in page and "全" not in _section(page, "mine-history")
        assert 'class="pager"' not in page


# --- the shared pager stays as it was for every other page ----------------------------------------------------------

def test_the_pager_macro_still_defaults_to_page(app):
    with app.test_request_context("/"):
        html = render_template_string('{% from "macros/pagination.html" import pager %}'
                                      '{{ pager(2, 3, "applications.mine", {"q": "x"}, "#results") }}')
        assert 'aria-label="ページ送り"' in html
        assert "/applications/mine?q=x&amp;page=1" in html and "/applications/mine?q=x&amp;page=3" in html
        assert 'hx-target="#results"' in html and "ended_page" not in html
        named = render_template_string('{% from "macros/pagination.html" import pager %}'
                                       '{{ pager(1, 2, "applications.mine", param="ended_page", label="L") }}')
        assert "/applications/mine?ended_page=2" in named and "page=2" not in named.replace("ended_page=2", "")
        assert 'aria-label="L"' in named and "hx-get" not in named
