"""Locale choice: Japanese first; English when the user (or their cookie) asks for it."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from flask import current_app, has_request_context, request
from flask_login import current_user

JST = ZoneInfo("Asia/Tokyo")
LOCALE_COOKIE = "kyodo_lang"


def select_locale() -> str:
    supported = current_app.config["KYODO_LOCALES"]
    if not has_request_context():
        return supported[0]
    if current_user and getattr(current_user, "is_authenticated", False) and current_user.locale in supported:
        return current_user.locale
    chosen = request.cookies.get(LOCALE_COOKIE)
    return chosen if chosen in supported else supported[0]


def today_jst() -> date:
    """Today's date in Japan (registration periods, consultation dates and file names count local days)."""
    return datetime.now(JST).date()


def jst(value: datetime | None, fmt: str = "%Y年%m月%d日 %H:%M") -> str:
    """Show a stored UTC time in Japan Standard Time."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(JST).strftime(fmt)
