"""Atom and iCal feeds of recruiting projects: only 公募中 with an open deadline, escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405  (parsing our own response)
from datetime import date, timedelta

from kyodo_match.projects.feeds import ical_escape
from tests.factories import make_project

ATOM = "{http://www.w3.org/2005/Atom}"


def test_atom_feed_lists_recruiting_projects_only_and_escapes_titles(client):
    make_project(title="公園の<script>ごみ拾い</script> & 草刈り", status="recruiting")
    make_project(title="まだ下書きの事業", status="draft")
    make_project(title="締切を過ぎた事業", status="recruiting", recruit_until=date.today() - timedelta(days=1))
    make_project(title="選定中の事業", status="selecting")
    response = client.get("/issues/feed.atom")
    assert response.status_code == 200 and response.mimetype == "application/atom+xml"
    root = ET.fromstring(response.data)  # noqa: S314
    titles = [e.findtext(f"{ATOM}title") for e in root.findall(f"{ATOM}entry")]
    assert titles == ["公園の<script>ごみ拾い</script> & 草刈り"]  # parsed back as text: it was escaped
    assert b"<script>" not in response.data


def test_ical_feed_has_one_all_day_deadline_per_recruiting_project(client):
    project = make_project(title="川の清掃, 毎月; 参加者募集", status="recruiting")
    make_project(title="下書き", status="draft")
    body = client.get("/issues/recruiting.ics").get_data(as_text=True)
    assert body.startswith("BEGIN:VCALENDAR\r\n") and body.endswith("END:VCALENDAR\r\n")
    assert body.count("BEGIN:VEVENT") == 1
    assert f"DTSTART;VALUE=DATE:{project.recruit_until:%Y%m%d}" in body
    assert "SUMMARY:募集締切: 川の清掃\\, 毎月\\; 参加者募集" in body
    assert f"/issues/{project.id}" in body


def test_ical_escape():
    assert ical_escape("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"
