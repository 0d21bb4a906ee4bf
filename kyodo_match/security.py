"""Security headers on every response, and per-request hooks (write intent, cache rules)."""

from __future__ import annotations

from flask import Flask, request, session
from flask_login import current_user

from .database import set_write_intent

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def _origin(url: str) -> str:
    return "/".join(url.split("/")[:3])


def content_security_policy(app: Flask) -> str:
    cfg = app.config
    scripts, styles = ["'self'"], ["'self'"]
    if cfg["KYODO_HTMX_SOURCE"] == "cdn":
        # htmx and Leaflet (the adopt map) from their CDN with SRI; with KYODO_HTMX_SOURCE=local both come from
        # static/vendor (`make vendor`), for networks that block CDNs. Map tiles come from 国土地理院 either way.
        scripts += [_origin(cfg["KYODO_HTMX_CDN_URL"]), _origin(cfg["KYODO_LEAFLET_JS_URL"])]
        styles.append(_origin(cfg["KYODO_LEAFLET_CSS_URL"]))
    script = " ".join(dict.fromkeys(scripts))
    style = " ".join(dict.fromkeys(styles))
    tiles = _origin(cfg["KYODO_MAP_TILE_URL"])
    return "; ".join([
        "default-src 'self'",
        f"script-src {script}",
        f"style-src {style}",
        f"img-src 'self' data: {tiles}",
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
