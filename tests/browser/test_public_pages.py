"""An anonymous visitor's pages pass axe (WCAG 2.1 A/AA) at phone and desktop widths, with htmx loaded."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PAGES = {
    "home": "/",
    "login": "/login",
    "register": "/register",
    "privacy": "/privacy",
    "accessibility": "/accessibility",
    "not-found": "/no-such-page",
}


@pytest.mark.parametrize("name", PAGES)
def test_anonymous_visitor_page_is_accessible(open_page, check_page, expect, name):
    page, log = open_page()
    response = page.goto(PAGES[name])
    assert response.status == (404 if name == "not-found" else 200)
    expect(page.locator("main h1")).to_be_visible()
    check_page(page, name)
    assert not log.page_errors
    assert not log.csp_messages()
    assert not log.blocked_requests
