"""Keyboard users: the skip link is the first Tab stop and moves focus to the main content; focus is visible."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

OUTLINE = "el => { const s = getComputedStyle(el); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }"


def test_skip_link_is_first_tab_stop_and_moves_focus_to_main(open_page, check_page, expect):
    page, log = open_page()
    page.goto("/")
    check_page(page, "home")
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link")
    expect(skip).to_be_focused()
    expect(skip).to_have_attribute("href", "#main")
    box = skip.bounding_box()
    assert box and box["y"] >= 0 and box["height"] > 0, f"the focused skip link is off screen: {box}"
    page.screenshot(path=check_page.screenshot_path("home-skip-link-focused"), caret="initial")
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    assert not log.page_errors


def test_focused_link_has_a_visible_outline(open_page, check_page, expect):
    page, _log = open_page()
    page.goto("/login")
    check_page(page, "login")
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # the site title, a link
    focused = page.locator(":focus")
    expect(focused).to_have_count(1)
    assert focused.evaluate("el => el.tagName") == "A"
    style, width = focused.evaluate(OUTLINE)
    assert style != "none" and width >= 2, f"focus outline is {style} {width}px"
