"""One URL, one template: a full page for a normal request, the named block for an htmx request."""

from __future__ import annotations

from flask import get_flashed_messages, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_block


def is_htmx() -> bool:
    """An htmx request that wants a fragment (not boosted navigation, not a history restore)."""
    h = request.headers
    return (
        h.get("HX-Request") == "true"
        and h.get("HX-Boosted") != "true"
        and h.get("HX-History-Restore-Request") != "true"
    )


def render(template: str, block: str = "content", status: int = 200, **context):
    """Render ``template`` whole, or only ``block`` (plus out-of-band flash messages) for htmx."""
    if is_htmx():
        body = render_block(template, block, **context)
        if messages := get_flashed_messages(with_categories=True):
            body += render_template("macros/flash_oob.html", messages=messages)
    else:
        body = render_template(template, **context)
    response = make_response(body, status)
    response.vary.add("HX-Request")
    return response


def redirect_to(url: str):
    """Success after a POST: HX-Redirect (a whole new page) for htmx, 303 See Other otherwise."""
    if request.headers.get("HX-Request") == "true":
        response = make_response("", 204)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, 303)
