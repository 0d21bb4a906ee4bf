"""The header menu on a phone folds behind one メニュー button (a disclosure with aria-expanded); on a desktop
all links show and the button is not there; without script the links stay open for everyone."""

from __future__ import annotations

import pytest

from kyodo_match.models import Role
from tests.browser.conftest import VIEWPORTS, sign_in

pytestmark = pytest.mark.browser


def test_phone_menu_folds_opens_and_closes(open_page, check_page, expect, live_server, live_user):
    page, log = open_page(bypass_csp=False)
    sign_in(page, live_user(Role.VOLUNTEER))
    page.set_viewport_size(VIEWPORTS["phone"])
    page.goto("/")
    toggle = page.get_by_role("button", name="メニュー")
    links = page.locator("#site-nav-list")
    expect(toggle).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(links).to_be_hidden()
    # The folded header is one line: the page's own heading starts high on a 844px-tall screen.
    header = page.locator(".site-header").bounding_box()
    assert header and header["height"] < 100, f"the folded header is {header and header['height']}px tall"

    toggle.click()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("link", name="人材バンク")).to_be_visible()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()
    check_page(page, "menu-open")  # axe at both widths with the menu open (check_page resizes and back)
    page.set_viewport_size(VIEWPORTS["phone"])
    expect(toggle).to_have_attribute("aria-expanded", "false")  # back to a phone: folded again

    # Escape closes it and gives focus back to the button; keyboard users can open it again.
    toggle.click()
    page.get_by_role("link", name="人材バンク").focus()
    page.keyboard.press("Escape")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(toggle).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggle).to_have_attribute("aria-expanded", "true")
    page.get_by_role("link", name="人材バンク").click()
    expect(page).to_have_url(live_server.url + "/volunteers/")
    expect(page.get_by_role("button", name="メニュー")).to_have_attribute("aria-expanded", "false")
    check_page(page, "menu-folded")
    assert not log.page_errors and not log.console_errors, log


def test_desktop_shows_every_link_without_the_button(open_page, expect, live_server):
    page, log = open_page(bypass_csp=False)
    page.goto("/")
    expect(page.get_by_role("button", name="メニュー")).to_be_hidden()
    expect(page.get_by_role("link", name="人材バンク")).to_be_visible()
    expect(page.get_by_role("link", name="新規登録")).to_be_visible()
    # Narrowing the window folds the menu; widening it shows the links again.
    page.set_viewport_size(VIEWPORTS["phone"])
    expect(page.get_by_role("link", name="人材バンク")).to_be_hidden()
    page.set_viewport_size(VIEWPORTS["desktop"])
    expect(page.get_by_role("link", name="人材バンク")).to_be_visible()


def test_without_script_the_phone_menu_stays_open(browser, live_server):
    context = browser.new_context(java_script_enabled=False, viewport=VIEWPORTS["phone"], locale="ja-JP",
                                  base_url=live_server.url)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.get_by_role("link", name="人材バンク").is_visible()
        assert not page.get_by_role("button", name="メニュー").is_visible()
    finally:
        context.close()
