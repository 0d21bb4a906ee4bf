"""A display name that is HTML stays text: on the account page, in the flash message, and inside the
htmx 422 swap. Run with the CSP bypassed so that only escaping (not the CSP) stands in the way."""

from __future__ import annotations

import pytest

from tests.factories import PASSWORD

pytestmark = pytest.mark.browser

PAYLOAD = "<img src=x onerror=alert(1)>"


def test_html_in_display_name_is_shown_as_text(open_page, check_page, expect, live_server):
    page, log = open_page(bypass_csp=True)
    email = live_server.unique_email("xss")
    page.goto("/register")
    page.check("input[name=role][value=volunteer]")
    page.fill("input[name=display_name]", PAYLOAD)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_confirm]", PASSWORD)
    page.check("input[name=consent]")
    page.get_by_role("button", name="同意して登録する").click()
    expect(page).to_have_url(live_server.url + "/account/")

    expect(page.locator("main dd").first).to_have_text(PAYLOAD)
    expect(page.locator("#flash-region")).to_contain_text(PAYLOAD)
    assert page.locator("img[src='x']").count() == 0
    check_page(page, "account")

    # The 422 fragment swapped in by htmx carries the name back (as the field's value), still inert.
    page.goto("/account/edit")
    form = page.locator("#account-form")
    expect(form.locator("input[name=display_name]")).to_have_value(PAYLOAD)
    form.locator("input[name=email]").fill(PAYLOAD)
    with page.expect_response(lambda r: r.request.method == "POST" and "/account/edit" in r.url) as answer:
        form.get_by_role("button", name="保存する").click()
    assert answer.value.status == 422
    assert answer.value.request.headers.get("hx-request") == "true"
    email_field = form.locator(".field", has=page.locator("input[name=email]"))
    expect(email_field.locator(".field__error")).to_be_visible()
    expect(form.locator("input[name=display_name]")).to_have_value(PAYLOAD)
    expect(form.locator("input[name=email]")).to_have_value(PAYLOAD)
    assert page.locator("img[src='x']").count() == 0
    check_page(page, "account-edit-error")

    assert not log.dialogs, f"a script ran from the display name: {log.dialogs}"
    assert not log.page_errors, log.page_errors
