"""Security headers on every response, and per-request hooks (write intent, cache rules)."""

from __future__ import annotations

from flask import Flask, request, session
from flask_login import current_user

from .database import set_write_intent

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def content_security_policy(app: Flask) -> str:
    script = "'self'"
    if app.config["KYODO_HTMX_SOURCE"] == "cdn":
        cdn = app.config["KYODO_HTMX_CDN_URL"]
        script += " " + cdn.split("/npm/")[0]
    return "; ".join([
        "default-src 'self'",
        f"script-src {script}",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ])


def register_security(app: Flask) -> None:
    csp = content_security_policy(app)
    production = app.config["KYODO_ENV"] == "production"

    @app.before_request
    def _mark_write_intent():
        set_write_intent(request.method not in SAFE_METHODS)

    @app.teardown_request
    def _clear_write_intent(_exc):
        set_write_intent(False)

    @app.after_request
    def _headers(response):
        h = response.headers
        h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(self), interest-cohort=()")
        if production:
            h.setdefault("Strict-Transport-Security", "max-age=63072000; includeSubDomains")
        if request.endpoint != "static" and (current_user.is_authenticated or "_user_id" in session):
            h["Cache-Control"] = "no-store"
        return response
