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


def fiscal_year(day: date) -> int:
    """年度: April to March, named by the year it starts in (2026-03-31 is 2025年度, 2026-04-01 is 2026年度)."""
    return day.year if day.month >= 4 else day.year - 1


def fiscal_year_bounds(year: int) -> tuple[datetime, datetime]:
    """The fiscal year as UTC instants: from 1 April 00:00 JST (inclusive) to the next 1 April 00:00 JST
    (exclusive), for comparing with stored UTC times."""
    start = datetime(year, 4, 1, tzinfo=JST).astimezone(UTC)
    end = datetime(year + 1, 4, 1, tzinfo=JST).astimezone(UTC)
    return start, end


def jst_date(value: datetime) -> date:
    """The calendar day in Japan of a stored UTC time."""
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(JST).date()


def today_jst() -> date:
    """Today's date in Japan (registration periods, consultation dates and file names count local days)."""
    return datetime.now(JST).date()


# The Japanese date formats the templates use, and how English readers see the same dates.
_ENGLISH_FORMATS = {"%Y年%m月%d日 %H:%M": "%d %b %Y %H:%M", "%Y年%m月%d日": "%d %b %Y"}


def _in_locale(fmt: str) -> str:
    from flask import has_request_context
    from flask_babel import get_locale

    if has_request_context() and str(get_locale() or "ja") == "en":
        return _ENGLISH_FORMATS.get(fmt, fmt)
    return fmt


def jst(value: datetime | None, fmt: str = "%Y年%m月%d日 %H:%M") -> str:
    """Show a stored UTC time in Japan Standard Time (in the reader's language: 2026年05月10日 / 10 May 2026)."""
    if value is None:
        return ""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(JST).strftime(_in_locale(fmt))


_WEEKDAYS_JA = "月火水木金土日"


def jst_when(value: datetime | None) -> str:
    """A stored UTC time as a Japanese reader plans with it: 2026年12月9日（水）9:00 (English: Wed 9 Dec 2026 09:00)."""
    if value is None:
        return ""
    local = (value if value.tzinfo else value.replace(tzinfo=UTC)).astimezone(JST)
    if _in_locale("%Y年%m月%d日") != "%Y年%m月%d日":
        return local.strftime("%a %d %b %Y %H:%M")
    weekday = _WEEKDAYS_JA[local.weekday()]
    return f"{local.year}年{local.month}月{local.day}日（{weekday}）{local.hour}:{local.minute:02d}"


def local_day(value: date | None) -> str:
    """A calendar date in the reader's language (2026年05月10日 / 10 May 2026)."""
    return value.strftime(_in_locale("%Y年%m月%d日")) if value is not None else ""
