"""Privacy crawl: people and groups with KNOWN private data, then every page reachable from the site's own
links (``<a href>`` and htmx ``hx-get``), as an anonymous visitor, another volunteer, the representative of
another group and a city staff member; no page (nor its htmx fragment) may show anyone else's private data.

The owners themselves and the coordinators may see it, so they are not crawled here.
"""

from __future__ import annotations

import posixpath
from collections import deque
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import pytest
from sqlalchemy import select

from kyodo_match.extensions import db
from kyodo_match.models import Department, Role
from tests.factories import PASSWORD, make_group, make_user, make_volunteer_profile

MAX_PAGES = 300
CRAWL_EXTENSIONS = {"", ".html", ".csv", ".json"}
SKIP_PATHS = {"/logout"}

# The public card's volunteer: the card (display name, skills) is public, everything below is not.
HANAKO = {
    "real name": "秘密 花子",
    "kana": "ひみつ はなこ",
    "phone": "0575-99-1234",
    "phone (digits)": "0575991234",
    "e-mail": "secret-hanako@example.jp",
    "postal code": "501-3899",
    "postal code (digits)": "5013899",
    "guardian": "秘密 保護者",
    "self-introduction": "自己紹介ひみつのことば",
}
# A volunteer who keeps the whole profile private.
JIRO = {
    "real name": "非公開 次郎",
    "kana": "ひこうかい じろう",
    "phone": "0575-88-4321",
    "phone (digits)": "0575884321",
    "e-mail": "secret-jiro@example.jp",
    "postal code": "501-3888",
    "postal code (digits)": "5013888",
}
# A verified group: its page is public, its contact data for the centre is not.
VERIFIED_GROUP = {
    "e-mail": "verified-group-secret@example.jp",
    "phone": "0575-77-5555",
    "phone (digits)": "0575775555",
    "postal code": "501-3877",
    "postal code (digits)": "5013877",
    "address": "関市ひみつ町一丁目2番3号",
}
# A group still 申請中: not even its name is public until the centre has confirmed it.
PENDING_GROUP = {
    "name": "申請中ひみつの会",
    "e-mail": "pending-group-secret@example.jp",
    "phone": "0575-66-7777",
    "phone (digits)": "0575667777",
    "postal code": "501-3866",
    "postal code (digits)": "5013866",
    "address": "関市まだ町四丁目5番6号",
    "description": "まだ確認されていない団体の紹介文",
}
PRIVATE = {f"hanako {k}": v for k, v in HANAKO.items()} | {f"jiro {k}": v for k, v in JIRO.items()} | {
    f"verified group {k}": v for k, v in VERIFIED_GROUP.items()} | {
    f"pending group {k}": v for k, v in PENDING_GROUP.items()}


class LinkParser(HTMLParser):
    """Collects ``<a href>`` and ``hx-get`` URLs (forms and POST actions are not followed)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "a" and attrs.get("href"):
            self.urls.append(attrs["href"])
        if attrs.get("hx-get"):
            self.urls.append(attrs["hx-get"])


def same_site_links(html: str, current: str) -> list[str]:
    parser = LinkParser()
    parser.feed(html)
    found = []
    for raw in parser.urls:
        url, _fragment = urldefrag(urljoin("http://localhost" + current, raw.strip()))
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.netloc != "localhost":
            continue
        if parts.path in SKIP_PATHS or parts.path.startswith("/static/"):
            continue
        if posixpath.splitext(parts.path)[1].lower() not in CRAWL_EXTENSIONS:
            continue
        found.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return found


def crawl(client) -> dict[str, dict[str, str]]:
    """Breadth-first from "/": {url: {"page": html, "fragment": html of the same URL as an htmx request}}."""
    seen, queue, pages = {"/"}, deque(["/"]), {}
    while queue and len(pages) < MAX_PAGES:
        url = queue.popleft()
        response = client.get(url)
        fragment = client.get(url, headers={"HX-Request": "true"})
        assert response.status_code < 500 and fragment.status_code < 500, f"{url} answered {response.status_code}"
        html = response.get_data(as_text=True)
        pages[url] = {"page": html, "fragment": fragment.get_data(as_text=True)}
        if response.status_code != 200 or "html" not in (response.content_type or ""):
            continue
        for link in same_site_links(html, url):
            if link not in seen:
                seen.add(link)
                queue.append(link)
    return pages


@pytest.fixture
def people(app):
    """Everyone the crawl must not expose, and one viewer of each kind (ids and e-mails)."""
    hanako = make_user(Role.VOLUNTEER, email=HANAKO["e-mail"], display_name="はなちゃん")
    profile = make_volunteer_profile(
        hanako, public=True, skills=("草刈り",), phone=HANAKO["phone"], real_name=HANAKO["real name"],
        postal_code=HANAKO["postal code"], is_minor=True, guardian_name=HANAKO["guardian"],
        bio=HANAKO["self-introduction"], commit=False)
    profile.real_name_kana = HANAKO["kana"]
    profile.contact_email = HANAKO["e-mail"]

    jiro = make_user(Role.VOLUNTEER, email=JIRO["e-mail"], display_name="じろさん")
    hidden = make_volunteer_profile(jiro, public=False, phone=JIRO["phone"], real_name=JIRO["real name"],
                                    postal_code=JIRO["postal code"], commit=False)
    hidden.real_name_kana = JIRO["kana"]
    hidden.contact_email = JIRO["e-mail"]

    owner = make_user(Role.GROUP_REP, display_name="団体の代表さん")
    verified = make_group(
        "せきの川をまもる会", status="verified", representative=owner, fields=(), commit=False,
        contact_email=VERIFIED_GROUP["e-mail"], contact_phone=VERIFIED_GROUP["phone"],
        postal_code=VERIFIED_GROUP["postal code"], address=VERIFIED_GROUP["address"],
        description="長良川の河川敷で清掃をしています。", public_contact="会のウェブサイトの問い合わせ欄から")
    pending = make_group(
        PENDING_GROUP["name"], status="pending", representative=owner, commit=False,
        contact_email=PENDING_GROUP["e-mail"], contact_phone=PENDING_GROUP["phone"],
        postal_code=PENDING_GROUP["postal code"], address=PENDING_GROUP["address"],
        description=PENDING_GROUP["description"])

    other_rep = make_user(Role.GROUP_REP, email="other-rep@example.jp")
    make_group("ほかの団体", status="verified", representative=other_rep, commit=False,
               contact_email="other-group@example.jp", contact_phone="0575-11-2222")
    other_volunteer = make_user(Role.VOLUNTEER, email="other-volunteer@example.jp")
    make_volunteer_profile(other_volunteer, public=True, real_name="ほかの 人", phone="0575-33-4444",
                           commit=False)
    department = db.session.scalar(select(Department.id).order_by(Department.id))
    staff = make_user(Role.STAFF, email="staff@example.jp", department_id=department)
    return {"hanako": hanako.id, "jiro": jiro.id, "verified": verified.id, "pending": pending.id,
            "viewers": {"anonymous": None, "another volunteer": other_volunteer.email,
                        "group_rep of another group": other_rep.email, "city staff": staff.email}}


@pytest.mark.parametrize("viewer", ["anonymous", "another volunteer", "group_rep of another group", "city staff"])
def test_no_page_reachable_from_the_links_shows_someone_elses_private_data(app, people, viewer):
    client = app.test_client()
    email = people["viewers"][viewer]
    if email:
        answer = client.post("/login", data={"email": email, "password": PASSWORD})
        assert answer.status_code == 303, answer.get_data(as_text=True)[:300]

    pages = crawl(client)

    # The crawl really went where the public data is (so it cannot pass by seeing nothing).
    must_visit = {"the talent bank": "/volunteers/", "Hanako's public card": f"/volunteers/{people['hanako']}",
                  "the group directory": "/groups/", "the verified group's page": f"/groups/{people['verified']}"}
    missed = [what for what, url in must_visit.items() if url not in pages]
    assert not missed, f"the crawl never reached {missed}; it visited {sorted(pages)}"
    assert "はなちゃん" in pages[f"/volunteers/{people['hanako']}"]["page"]
    assert "せきの川をまもる会" in pages[f"/groups/{people['verified']}"]["page"]

    leaks = [f"{what} ({value}) on {url} [{kind}]"
             for url, answers in pages.items() for kind, html in answers.items()
             for what, value in PRIVATE.items() if value in html]
    assert not leaks, f"{viewer} saw private data on {len(pages)} crawled pages:\n" + "\n".join(leaks)
