"""The English catalogue is complete, and switching to English really shows English."""

import re
from pathlib import Path

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

CATALOGUE_DIR = Path(__file__).resolve().parent.parent / "kyodo_match" / "translations" / "en" / "LC_MESSAGES"
PO_PATH = CATALOGUE_DIR / "messages.po"
MO_PATH = CATALOGUE_DIR / "messages.mo"
PLACEHOLDER_RE = re.compile(r"%\((\w+)\)[sd]")


def _catalog():
    with PO_PATH.open("rb") as f:
        return read_po(f)


def _messages():
    return [m for m in _catalog() if m.id]


def _strings(value) -> tuple[str, ...]:
    return value if isinstance(value, tuple) else (value,)


@pytest.fixture(scope="module", autouse=True)
def _compiled_catalogue():
    """Build the .mo from the .po when it is missing or stale (as `make translations` does)."""
    if not MO_PATH.exists() or MO_PATH.stat().st_mtime < PO_PATH.stat().st_mtime:
        with MO_PATH.open("wb") as f:
            write_mo(f, _catalog())


def test_catalogue_is_not_empty():
    assert len(_messages()) > 100


def test_every_message_is_translated_and_not_fuzzy():
    untranslated = [m.id for m in _messages() if not all(s and s.strip() for s in _strings(m.string))]
    fuzzy = [m.id for m in _messages() if m.fuzzy]
    assert untranslated == []
    assert fuzzy == []


def test_placeholders_match_between_japanese_and_english():
    mismatched = []
    for m in _messages():
        expected = set().union(*(PLACEHOLDER_RE.findall(s) for s in _strings(m.id)))
        for s in _strings(m.string):
            if set(PLACEHOLDER_RE.findall(s)) != expected:
                mismatched.append((m.id, s))
    assert mismatched == []


def _switch_to_english(client):
    response = client.post("/locale", data={"locale": "en"})
    assert response.status_code == 303


def test_home_is_in_english_after_switching(client):
    _switch_to_english(client)
    html = client.get("/").get_data(as_text=True)
    assert 'lang="en"' in html
    assert "Connecting local issues with people who want to help" in html
    assert "地域の課題と、力を貸したい人をつなぐ" not in html


def test_login_button_is_in_english_after_switching(client):
    _switch_to_english(client)
    html = client.get("/login").get_data(as_text=True)
    assert re.search(r'<button type="submit"[^>]*>\s*Log in\s*</button>', html)
    assert "ログインする" not in html


def test_dates_are_written_for_the_reader(app):
    from datetime import UTC, date, datetime

    from flask_babel import force_locale

    from kyodo_match.i18n import jst, local_day

    with app.test_request_context("/"):
        assert local_day(date(2026, 5, 10)) == "2026年05月10日"
        assert jst(datetime(2026, 5, 10, 1, 30, tzinfo=UTC)) == "2026年05月10日 10:30"
        with force_locale("en"):
            assert local_day(date(2026, 5, 10)) == "10 May 2026"
            assert jst(datetime(2026, 5, 10, 1, 30, tzinfo=UTC), "%Y年%m月%d日") == "10 May 2026"
