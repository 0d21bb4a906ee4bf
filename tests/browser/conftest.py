"""Real-browser fixtures: a live server per test module, Debian's chromium through Playwright, htmx routed
from its CDN URL to the npm package's file, axe-core checks and phone/desktop screenshots.

Without a browser (no /usr/bin/chromium, no Python playwright, or no node_modules/) these tests are
skipped with the reason; under CI=true they fail instead, so CI never passes without them.
"""

from __future__ import annotations

import os
import re
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from kyodo_match import create_app
from kyodo_match.config import ROOT
from kyodo_match.extensions import db
from tests.conftest import PG_URL, _truncate_pg, base_config

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
NODE_MODULES = ROOT / "node_modules"
HTMX_FILE = NODE_MODULES / "htmx.org" / "dist" / "htmx.min.js"
LEAFLET_DIR = NODE_MODULES / "leaflet" / "dist"
AXE_FILE = NODE_MODULES / "axe-core" / "axe.min.js"
SCREENSHOTS = ROOT / "tests" / "screenshots"
AXE_PATH = "/__browser-test__/axe.min.js"  # routed by the test context only; the app has no such route
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORTS = {"phone": {"width": 390, "height": 844}, "desktop": {"width": 1280, "height": 800}}


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def _missing_browser() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} not found (apt-get install chromium fonts-noto-cjk, or `make browser-deps`)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError as e:
        return f"Python playwright cannot be imported ({e}); pip install -e '.[test]'"
    for needed in (HTMX_FILE, AXE_FILE, LEAFLET_DIR / "leaflet.js"):
        if not needed.exists():
            return f"{needed.relative_to(ROOT)} missing; run `npm ci` (or `make node-deps`)"
    return None


# --- the browser -------------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    reason = _missing_browser()
    if reason:
        if _in_ci():
            pytest.fail(f"browser tests cannot run under CI=true: {reason}", pytrace=False)
        pytest.skip(f"browser tests skipped: {reason}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def expect(browser):
    """Playwright's auto-waiting ``expect`` (imported only once the browser is known to be there)."""
    from playwright.sync_api import expect

    expect.set_options(timeout=5000)
    return expect


# --- the live server ---------------------------------------------------------------------------------


@dataclass
class LiveServer:
    app: object
    url: str

    def unique_email(self, who: str = "user") -> str:
        return f"{who}-{uuid.uuid4().hex[:10]}@example.jp"


@pytest.fixture(scope="module")
def live_db_url(request, tmp_path_factory) -> str:
    """One database per test module: a copy of the SQLite template, or the truncated PostgreSQL test DB."""
    if PG_URL:
        url = request.getfixturevalue("_pg_schema")
        _truncate_pg(url)
        return url
    template = request.getfixturevalue("_sqlite_template")
    target = tmp_path_factory.mktemp("live-db") / "live.sqlite3"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="module")
def live_server(browser, live_db_url, tmp_path_factory) -> Iterator[LiveServer]:
    """The app served by werkzeug on 127.0.0.1 and a free port, in a background thread, for one module.

    Tests share the module's database, so each one signs up with its own e-mail (``unique_email``).
    """
    config = base_config(tmp_path_factory.mktemp("live-instance"), live_db_url)
    config["KYODO_HTMX_SOURCE"] = "cdn"  # always exercise the CDN URL + SRI, whatever the environment says
    app = create_app(config)
    with app.app_context():
        from kyodo_match.reference.services import seed_reference

        seed_reference()
        db.session.commit()
        db.session.remove()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(app=app, url=f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        with app.app_context():
            db.engine.dispose()


# --- pages -------------------------------------------------------------------------------------------


@dataclass
class PageLog:
    """What the page said in its console and which uncaught errors and dialogs it had."""

    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    dialogs: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)

    def csp_messages(self) -> list[str]:
        return [m for m in self.console_errors + self.page_errors if "content security policy" in m.lower()]


def _serve_file(path: Path, content_type: str) -> Callable:
    """A route handler answering with a local file, as a CDN would (CORS allowed, so SRI can be checked)."""
    return lambda route: route.fulfill(path=path, content_type=content_type,
                                       headers={"Access-Control-Allow-Origin": "*"})


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable]:
    """open_page(bypass_csp=True) → (page, log): a fresh browser context (no cookies) at desktop width.

    The htmx CDN URL is served from node_modules (the SRI hash must still match); axe-core is served at a
    same-origin path so it can be injected even under the strict CSP; every other off-site request is
    refused and recorded (this machine is offline and pages must not depend on third parties).
    """
    contexts = []
    cdn_url = live_server.app.config["KYODO_HTMX_CDN_URL"]

    def _open(bypass_csp: bool = True):
        context = browser.new_context(bypass_csp=bypass_csp, viewport=VIEWPORTS["desktop"], locale="ja-JP",
                                      base_url=live_server.url)
        contexts.append(context)
        log = PageLog()

        def _offsite(route):
            log.blocked_requests.append(route.request.url)
            route.abort()

        context.route(re.compile(r"^(?!http://127\.0\.0\.1:\d+/).*"), _offsite)
        context.route(cdn_url, lambda route: route.fulfill(
            path=HTMX_FILE, content_type="application/javascript",
            headers={"Access-Control-Allow-Origin": "*"}))
        # Leaflet (the adopt map) from its CDN URLs, served from the npm package: the SRI hashes must match.
        for key, name, kind in (("KYODO_LEAFLET_JS_URL", "leaflet.js", "application/javascript"),
                                ("KYODO_LEAFLET_CSS_URL", "leaflet.css", "text/css")):
            context.route(live_server.app.config[key], _serve_file(LEAFLET_DIR / name, kind))
        context.route(live_server.url + AXE_PATH, lambda route: route.fulfill(
            path=AXE_FILE, content_type="application/javascript"))
        page = context.new_page()
        page.on("console", lambda msg: log.console_errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda err: log.page_errors.append(str(err)))

        def _dialog(dialog):
            log.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", _dialog)
        return page, log

    yield _open
    for context in contexts:
        context.close()


def _format_violations(violations: list[dict]) -> str:
    lines = []
    for v in violations:
        lines.append(f"- [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:5]:
            lines.append(f"    at {', '.join(node['target'])}")
            lines.append(f"       {node['html'][:200]}")
            for summary_line in (node.get("failureSummary") or "").splitlines():
                lines.append(f"       {summary_line}")
        if len(v["nodes"]) > 5:
            lines.append(f"    … and {len(v['nodes']) - 5} more")
    return "\n".join(lines)


def axe_violations(page, base_url: str) -> list[dict]:
    """Run axe-core on the page (WCAG 2.1 A/AA rules) and return its violations."""
    if page.evaluate("typeof window.axe") != "object":
        page.add_script_tag(url=base_url + AXE_PATH)
    return page.evaluate(
        """async (tags) => {
            const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}});
            return result.violations.map(v => ({
                id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
                nodes: v.nodes.map(n => ({target: n.target.map(String), html: n.html,
                                         failureSummary: n.failureSummary})),
            }));
        }""",
        AXE_TAGS,
    )


class PageChecker:
    """check_page(page, "login"): htmx loaded; at phone and desktop widths axe finds no WCAG 2.1 A/AA
    violation and nothing scrolls sideways; a full-page screenshot of each width is saved as
    tests/screenshots/<test>-<page>-<width>.png.
    """

    def __init__(self, test_name: str, base_url: str):
        self.test_name = re.sub(r"[^\w-]+", "_", test_name)
        self.base_url = base_url

    def screenshot_path(self, name: str, width: str = "desktop") -> Path:
        return SCREENSHOTS / f"{self.test_name}-{name}-{width}.png"

    def __call__(self, page, name: str) -> None:
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        # After an HX-Redirect the URL changes before the new page's scripts have run: wait for them.
        page.wait_for_load_state("load")
        try:
            page.wait_for_function("typeof htmx === 'object'", timeout=5000)
        except PlaywrightTimeout:
            pytest.fail(f"htmx did not load on {name} ({page.url})", pytrace=False)
        problems = []
        before = page.viewport_size or VIEWPORTS["desktop"]
        for width, size in VIEWPORTS.items():
            page.set_viewport_size(size)
            # caret="initial": the default "hide" leaves style="" on every input, which htmx's settle step
            # then copies onto swapped-in inputs, and the strict CSP (style-src 'self') refuses that.
            page.screenshot(path=self.screenshot_path(name, width), full_page=True, caret="initial")
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 0:  # WCAG 1.4.10 Reflow: no sideways scrolling at phone width
                problems.append(f"{width}: the page is {overflow}px wider than the {size['width']}px screen")
            violations = axe_violations(page, self.base_url)
            if violations:
                problems.append(f"{width} ({size['width']}px) {page.url}:\n{_format_violations(violations)}")
        page.set_viewport_size(before)  # back to the width the test was using
        assert not problems, f"accessibility problems on {name}:\n" + "\n".join(problems)


@pytest.fixture
def check_page(request, live_server) -> PageChecker:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return PageChecker(request.node.originalname, live_server.url)


@pytest.fixture
def live_user(live_server) -> Callable:
    """live_user(Role.COORDINATOR) → e-mail of a new account in the live server's database (password PASSWORD)."""

    def _make(*roles, **kwargs) -> str:
        from tests.factories import make_user

        email = kwargs.pop("email", None) or live_server.unique_email(str(roles[0]) if roles else "user")
        with live_server.app.app_context():
            make_user(*roles, email=email, **kwargs)
            db.session.remove()
        return email

    return _make


def sign_in(page, email: str) -> None:
    """Log in through the real login form and wait until the header offers ログアウト."""
    from tests.factories import PASSWORD

    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.get_by_role("button", name="ログインする").click()
    # on a phone it sits in the folded menu: hidden from the accessibility tree until メニュー is opened
    page.get_by_role("button", name="ログアウト", include_hidden=True).wait_for(state="attached")


def register(page, *, role: str, name: str, email: str) -> None:
    """Sign up through /register as ``role`` ("volunteer" or "group_rep") and wait for the account page."""
    from tests.factories import PASSWORD

    page.goto("/register")
    page.check(f"input[name=role][value={role}]")
    page.fill("input[name=display_name]", name)
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password_confirm]", PASSWORD)
    page.check("input[name=consent]")
    page.get_by_role("button", name="同意して登録する").click()
    page.wait_for_url("**/account/")


def assert_inert(page, where: str) -> None:
    """No element was built from HTML a user typed: no <img src="x">, no <script> with alert(1)."""
    assert page.locator("img[src='x']").count() == 0, f"an <img src=x> was built from user input on {where}"
    assert not page.evaluate("[...document.scripts].some(s => s.textContent.includes('alert(1)'))"), \
        f"a <script> was built from user input on {where}"
