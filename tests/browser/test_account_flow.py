"""A volunteer signs up, logs out, logs in, edits the profile with an htmx form, and logs out again —
under the app's real Content Security Policy (no bypass), so htmx is proven to work with it."""

from __future__ import annotations

import re

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

# Chromium logs every 4xx answer to an htmx request as a console error; the 422 is expected here.
EXPECTED_CONSOLE = re.compile(r"^Failed to load resource: the server responded with a status of 422\b")


def _register(page, *, name: str, email: str) -> None:
    page.check("input[name=role][value=volunteer]")
    page.fill("input[name=display_name]", name)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_confirm]", PASSWORD)
    page.check("input[name=consent]")
    page.get_by_role("button", name="同意して登録する").click()


def test_volunteer_signs_up_logs_in_edits_profile_and_logs_out_under_csp(
        open_page, check_page, expect, live_server):
    page, log = open_page(bypass_csp=False)
    base = live_server.url
    email = live_server.unique_email("volunteer")

    # Sign up: the new account is signed in and lands on its account page.
    page.goto("/register")
    check_page(page, "register")
    _register(page, name="関 花子", email=email)
    expect(page).to_have_url(base + "/account/")
    expect(page.locator("main")).to_contain_text("関 花子")
    expect(page.locator("main")).to_contain_text(email)
    check_page(page, "account")

    # Log out from the header, then log in again.
    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(base + "/")
    expect(page.get_by_role("link", name="ログイン", exact=True)).to_be_visible()
    check_page(page, "home-logged-out")
    page.goto("/login")
    check_page(page, "login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="ログインする").click()
    expect(page.get_by_role("button", name="ログアウト")).to_be_visible()

    # Edit the profile: an empty name comes back as a 422 fragment swapped in place, no page reload.
    page.goto("/account/edit")
    form = page.locator("#account-form")
    name_input = form.locator("input[name=display_name]")
    expect(name_input).to_have_value("関 花子")
    expect(form.locator("input[name=email]")).to_have_value(email)
    check_page(page, "account-edit")
    assert page.evaluate("typeof htmx") == "object"
    page.evaluate("window.__marker = 1")
    name_input.fill("")
    with page.expect_response(lambda r: r.request.method == "POST" and "/account/edit" in r.url) as answer:
        form.get_by_role("button", name="保存する").click()
    assert answer.value.status == 422
    assert answer.value.request.headers.get("hx-request") == "true", "the form was not sent by htmx"
    name_field = form.locator(".field", has=page.locator("input[name=display_name]"))
    expect(name_field.locator(".field__error")).to_be_visible()
    expect(name_field.locator(".field__error")).not_to_be_empty()
    expect(name_input).to_have_attribute("aria-invalid", "true")
    assert page.evaluate("window.__marker") == 1, "the page was reloaded instead of swapping the fragment"
    assert page.url == base + "/account/edit"
    check_page(page, "account-edit-error")

    # A valid name saves; the account page shows it.
    name_input.fill("せき はなこ")
    form.get_by_role("button", name="保存する").click()
    expect(page).to_have_url(base + "/account/")
    expect(page.locator("main")).to_contain_text("せき はなこ")
    check_page(page, "account-updated")

    # After logging out, the account page sends the visitor to the login page.
    page.get_by_role("button", name="ログアウト").click()
    expect(page).to_have_url(base + "/")
    page.goto("/account/")
    expect(page).to_have_url(re.compile(re.escape(base) + r"/login\?next=(/|%2F)account(/|%2F)$"))
    expect(page.locator("main h1")).to_have_text("ログイン")

    assert not log.csp_messages(), "Content Security Policy refused something:\n" + "\n".join(log.csp_messages())
    assert not log.page_errors, log.page_errors
    unexpected = [m for m in log.console_errors if not EXPECTED_CONSOLE.match(m)]
    assert not unexpected, unexpected
    assert not log.blocked_requests, log.blocked_requests
    assert not log.dialogs
