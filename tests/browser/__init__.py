"""Real-browser tests (Playwright + Debian chromium): run with `pytest tests/browser` or `pytest -m browser`."""
