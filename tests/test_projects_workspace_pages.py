"""担当課の事業 (/issues/mine) stays bounded: the board shows the newest cards of each status and links to each
status's own paginated list; a one-click step on that list brings the same list back; the queries stay fixed."""

from __future__ import annotations

import re
from datetime import timedelta

from kyodo_match.extensions import db
from kyodo_match.models import ProjectPartner, Role, utcnow
from tests.factories import department_id, make_group, make_project, make_user

CARD = re.compile(r'id="workspace-project-(\d+)"')


def _staff(name="環境課"):
    return make_user(Role.STAFF, department_id=department_id(name))


def _projects(n, department="環境課", *, status="draft", title="下書き"):
    """``n`` projects, the first one the oldest: updated a minute apart, so "most recent" is unambiguous."""
    start = utcnow() - timedelta(days=1)
    projects = [make_project(department, status=status, title=f"{title}{i:02d}", commit=False,
                             updated_at=start + timedelta(minutes=i)) for i in range(n)]
    db.session.commit()
    return projects


def _board(response) -> str:
    """The workspace part of the page (the applicants summary above it names published projects too)."""
    text = response.text
    return text[text.index('<div id="project-workspace"'):]


def _cards(text) -> list[int]:
    return [int(i) for i in CARD.findall(text)]


def test_the_board_shows_the_twelve_newest_of_a_status_and_links_to_all_of_them(client, login):
    drafts = _projects(15)
    login(_staff())
    text = client.get("/issues/mine").text
    assert _cards(text) == [p.id for p in reversed(drafts)][:12]  # newest first
    assert "検討中（15件）" in text and "検討中: 15件" in text
    assert "最近更新された12件を表示しています。" in text
    assert 'href="/issues/mine?status=draft"' in text and "検討中をすべて見る（15件）" in text


def test_a_group_that_fits_on_the_board_has_no_link_to_more(client, login):
    _projects(12)
    login(_staff())
    text = client.get("/issues/mine").text
    assert len(_cards(text)) == 12 and "すべて見る" not in text and "?status=" not in text


def test_the_status_list_shows_every_project_of_that_status_twenty_a_page(client, login):
    drafts = _projects(25)
    make_project(status="recruiting", title="公募中の事業")
    login(_staff())
    first = client.get("/issues/mine?status=draft")
    assert first.status_code == 200
    assert _cards(first.text) == [p.id for p in reversed(drafts)][:20]
    assert "公募中の事業" not in _board(first) and "検討中（25件）" in first.text
    assert 'href="/issues/mine?status=draft&amp;page=2"' in first.text  # the shared pager keeps the status
    assert 'hx-target="#project-workspace"' in first.text
    assert 'href="/issues/mine"' in first.text and "すべての進み具合の事業に戻る" in first.text
    assert 'href="/issues/mine?status=recruiting"' in first.text  # the other statuses' lists
    assert "<title>担当課の事業（検討中）" in first.text
    second = client.get("/issues/mine?status=draft&page=2")
    assert _cards(second.text) == [p.id for p in reversed(drafts)][20:]
    assert 'href="/issues/mine?status=draft&amp;page=1"' in second.text


def test_fifteen_drafts_fit_on_one_page_of_the_status_list(client, login):
    _projects(15)
    login(_staff())
    text = client.get("/issues/mine?status=draft").text
    assert len(_cards(text)) == 15 and "page=2" not in text and "すべて見る" not in text


def test_the_status_list_fragment_for_htmx_and_a_page_past_the_end(client, login):
    drafts = _projects(25)
    login(_staff())
    fragment = client.get("/issues/mine?status=draft&page=2", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text
    assert fragment.text.lstrip().startswith('<div id="project-workspace"')
    assert _cards(client.get("/issues/mine?status=draft&page=99").text) == [p.id for p in reversed(drafts)][20:]


def test_an_empty_status_list_says_so(client, login):
    make_project(title="下書き")
    login(_staff())
    response = client.get("/issues/mine?status=running")
    assert response.status_code == 200
    assert "実施中（0件）" in response.text and "この進み具合の事業はありません。" in response.text
    assert "すべての進み具合の事業に戻る" in response.text


def test_another_departments_projects_never_appear_for_staff(client, login):
    _projects(3)
    _projects(20, "秘書課", title="秘書課の下書き")
    login(_staff())
    for url in ("/issues/mine", "/issues/mine?status=draft"):
        text = client.get(url).text
        assert "秘書課の下書き" not in text and "秘書課" not in _board(client.get(url)) and len(_cards(text)) == 3
        assert "検討中（3件）" in text and "すべて見る" not in text


def test_a_coordinator_sees_every_department_with_its_name(client, login_as):
    make_project(title="環境課の事業")
    make_project("秘書課", status="recruiting", title="秘書課の事業")
    _projects(13, "税務課", title="税務課の下書き")
    login_as(Role.COORDINATOR)
    text = client.get("/issues/mine").text
    assert "環境課の事業" in text and "秘書課の事業" in text
    assert "環境課 ・ 最終更新" in text and "秘書課 ・ 最終更新" in text and "税務課 ・ 最終更新" in text
    assert "検討中（14件）" in text and "検討中をすべて見る（14件）" in text
    listed = _board(client.get("/issues/mine?status=draft"))
    assert len(_cards(listed)) == 14 and "環境課 ・ 最終更新" in listed and "秘書課の事業" not in listed


def test_an_unknown_status_is_400_in_japanese_and_an_odd_page_is_page_one(client, login):
    _projects(3)
    login(_staff())
    refused = client.get("/issues/mine?status=bogus")
    assert refused.status_code == 400
    assert "進み具合の指定が正しくありません。担当課の事業の一覧から選び直してください。" in refused.text
    assert client.get("/issues/mine?page=abc").status_code == 200
    odd = client.get("/issues/mine?status=draft&page=abc")
    assert odd.status_code == 200 and len(_cards(odd.text)) == 3


def test_a_step_on_the_status_list_brings_that_list_back(client, login):
    drafts = _projects(22)
    oldest = drafts[0]  # on page 2 of the drafts
    login(_staff())
    page = client.get("/issues/mine?status=draft&page=2").text
    assert f'hx-post="/issues/mine/{oldest.id}/transition?status=draft&amp;page=2"' in page
    response = client.post(f"/issues/mine/{oldest.id}/transition?status=draft&page=2", data={"target": "recruiting"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 200
    text = response.text
    assert "<html" not in text and 'id="project-workspace"' in text
    assert "検討中（21件）" in text and "すべての進み具合の事業に戻る" in text and "公募中: 1件" in text
    assert _cards(text) == [drafts[1].id]  # still page 2, now with the one draft left there
    assert "「下書き00」を「公募中」にしました。" in text
    db.session.refresh(oldest)
    assert oldest.status == "recruiting"


def test_a_step_that_empties_the_last_page_shows_the_last_page_left(client, login):
    drafts = _projects(21)
    login(_staff())
    response = client.post(f"/issues/mine/{drafts[0].id}/transition?status=draft&page=2",
                           data={"target": "recruiting"}, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert _cards(response.text) == [p.id for p in reversed(drafts[1:])] and "page=2" not in response.text


def test_a_refused_step_on_the_status_list_shows_the_rules_on_that_list(client, login):
    _projects(3)
    incomplete = make_project(title="目的のない事業", purpose="")
    login(_staff())
    response = client.post(f"/issues/mine/{incomplete.id}/transition?status=draft", data={"target": "recruiting"},
                           headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "すべての進み具合の事業に戻る" in response.text and "ルール2 目的や地域課題の共有" in response.text


def test_without_htmx_a_step_on_the_status_list_redirects_back_to_it(client, login):
    drafts = _projects(3)
    login(_staff())
    response = client.post(f"/issues/mine/{drafts[0].id}/transition?status=draft&page=2", data={"target": "recruiting"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/issues/mine?status=draft&page=2")
    assert client.post(f"/issues/mine/{drafts[1].id}/transition?status=bogus",
                       data={"target": "recruiting"}).status_code == 400
    db.session.refresh(drafts[1])
    assert drafts[1].status == "draft"  # the bad address is refused before the step


def test_partner_counts_are_for_the_cards_shown(client, login):
    projects = _projects(14, status="selecting", title="選定中の事業")
    for project in (projects[0], projects[-1]):  # the oldest is off the board, the newest on it
        db.session.add(ProjectPartner(project_id=project.id, group_id=make_group(f"団体{project.id}").id,
                                      reason="経験がある"))
    db.session.commit()
    login(_staff())
    assert client.get("/issues/mine").text.count("パートナー: 1") == 1
    assert client.get("/issues/mine?status=selecting").text.count("パートナー: 1") == 2


def _measure(client, queries, urls):
    counts = []
    for url in urls:
        with queries() as q:
            assert client.get(url).status_code == 200
        counts.append(q.count)
    return counts


def _add(n, departments=("環境課",)):
    statuses = ("draft", "recruiting", "selecting")
    for i in range(n):
        project = make_project(departments[i % len(departments)], status=statuses[i % 3], title=f"事業{i}",
                               commit=False)
        if i % 2:
            db.session.add(ProjectPartner(project_id=project.id, group_id=make_group(f"団体{project.id}").id,
                                          reason="経験がある"))
    db.session.commit()


def test_the_page_does_not_grow_queries_with_projects(client, login, queries):
    urls = ("/issues/mine", "/issues/mine?status=draft", "/issues/mine?status=draft&page=2")
    login(_staff())
    _add(3)
    few = _measure(client, queries, urls)
    _add(60)
    assert _measure(client, queries, urls) == few


def test_the_coordinators_page_does_not_grow_queries_with_projects(client, login_as, queries):
    urls = ("/issues/mine", "/issues/mine?status=recruiting")
    login_as(Role.COORDINATOR)
    departments = ("環境課", "秘書課", "税務課")
    _add(3, departments)
    few = _measure(client, queries, urls)
    _add(60, departments)
    assert _measure(client, queries, urls) == few
