"""axe-core on every page, for every role, at desktop and phone width: any serious or
critical violation fails the test.

axe-core comes from the npm registry at install time (tests/browser/package.json, pinned,
installed by `scripts/install.sh --test`), never from a CDN. It is injected into each page
as an init script (DevTools protocol), so the pages' Content-Security-Policy is unchanged.

One page for one role and width: `pytest tests/browser/test_accessibility.py -k booking-admin-phone`
(ids are <page>-<role>-<desktop|phone>; the sign-in page is login-anonymous-<width>).
Every run writes what axe found (all impacts) to test-artifacts/axe/<id>.json.
"""
from __future__ import annotations

import json
import re

import pytest

from shared.config import REPO_ROOT
from tests.browser.test_frontend import (  # noqa: F401 - fixtures used by name
    Session,
    browser,
    needs,
    web_stack,
)
from tests.harness import DEFAULT_USERS

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402

AXE = REPO_ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"
REPORTS = REPO_ROOT / "test-artifacts" / "axe"
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
ROLES = ("student", "faculty", "admin")
FAILING = ("serious", "critical")
# Which service a page needs to show its content (the scan still runs without it: a page
# whose service is down must be accessible too, but then it is not the page we mean to test).
SERVICE_OF = {"booking": "booking", "maintenance": "maintenance", "notifications": "notification",
              "gpa": "gpa-calculator"}

STATIC = REPO_ROOT / "gateway" / "static"


def signed_in_page(html) -> bool:
    """A page for signed-in people draws the top bar (nav.js renderNav); the others
    (sign-in, password reset, ...) are scanned signed out."""
    scripts = re.findall(r'src="/static/js/([\w-]+\.js)"', html.read_text())
    return any("renderNav" in (STATIC / "js" / name).read_text() for name in scripts if (STATIC / "js" / name).is_file())


# Every page there is (a new page is scanned without touching this file).
PAGE_FILES = sorted(STATIC.glob("*.html"))
CASES = [pytest.param(html.stem, role, width, id=f"{html.stem}-{role}-{width}")
         for html in PAGE_FILES
         for role in (ROLES if signed_in_page(html) else ("anonymous",))
         for width in WIDTHS]


def axe_source() -> str:
    if not AXE.is_file():
        pytest.fail("axe-core is not installed: run `scripts/install.sh --test` "
                    "(or `npm ci --prefix tests/browser --ignore-scripts`)")
    return AXE.read_text()


@pytest.fixture(scope="module")
def sample_data(web_stack):  # noqa: F811 - the imported fixture
    """Something in every list, so rows, pills, read and unread notifications and their
    buttons are scanned too, not only the empty states."""
    admin = web_stack.token("admin")
    for role in ROLES:
        token = web_stack.token(role)
        for title in ("Room 101 is closed tomorrow", "Your ticket was updated"):
            sent = web_stack.api("POST", "/api/notifications", admin,
                                 json={"title": title, "body": f"A sample for {role}s.", "role": role})
            assert sent.status_code in (201, 503), sent.text
            if sent.status_code == 201 and title.startswith("Your"):
                web_stack.api("PUT", f"/api/notifications/{sent.json()['id']}", token, json={"read": True})
        web_stack.api("POST", "/api/maintenance/tickets", token, json={
            "title": "Projector flickers", "description": "The projector in the lecture hall flickers constantly.",
            "location": "Hall B"})
    return True


@pytest.fixture(scope="module")
def sessions(browser, web_stack, sample_data):  # noqa: F811 - the imported fixtures
    """One signed-in browser context per (role, width), shared by the module's cases."""
    opened: dict[tuple[str, str], Session] = {}
    source = axe_source()

    def session_for(role: str, width: str) -> Session:
        key = (role, width)
        if key not in opened:
            session = Session(browser, web_stack.url(), WIDTHS[width])
            session.context.add_init_script(source)
            if role != "anonymous":
                session.login(*DEFAULT_USERS[role])
            opened[key] = session
        return opened[key]

    yield session_for
    problems = {f"{r}-{w}": (s.errors, s.csp_violations) for (r, w), s in opened.items() if s.errors or s.csp_violations}
    for session in opened.values():
        session.close()
    assert not problems, f"JavaScript errors or CSP violations: {problems}"


def run_axe(page) -> list[dict]:
    """axe.run on the whole document; the violations, each with its nodes' targets."""
    return page.evaluate("""async () => {
        const result = await axe.run(document, {resultTypes: ['violations']});
        return result.violations.map((v) => ({id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl,
            nodes: v.nodes.map((n) => ({target: n.target.join(' '), summary: n.failureSummary}))}));
    }""")


def describe(violations: list[dict], where: str) -> str:
    lines = [f"{len(violations)} serious/critical axe violation(s) on {where}:"]
    for v in violations:
        lines.append(f"  [{v['impact']}] {v['id']}: {v['help']} ({v['helpUrl']})")
        for node in v["nodes"][:8]:
            summary = " ".join(str(node["summary"] or "").split())
            lines.append(f"      {node['target']}  --  {summary[:220]}")
        if len(v["nodes"]) > 8:
            lines.append(f"      ... and {len(v['nodes']) - 8} more")
    return "\n".join(lines)


def settle(page, name: str) -> None:
    """Wait until the page has drawn what it loads (no 'Loading…' left, network quiet)."""
    if name == "login":
        expect(page.locator("#login-form")).to_be_visible()
    elif signed_in_page(STATIC / f"{name}.html"):
        expect(page.locator("#main-nav")).to_be_attached()
    else:
        expect(page.locator("main")).to_be_visible()
    page.wait_for_load_state("networkidle")
    expect(page.locator("main")).not_to_contain_text("Loading…")


@pytest.mark.parametrize(("name", "role", "width"), CASES)
def test_no_serious_or_critical_axe_violations(sessions, name, role, width):
    if name in SERVICE_OF:
        needs(SERVICE_OF[name])
    session = sessions(role, width)
    page = session.page
    page.goto("/" if name == "login" else f"/{name}.html")
    settle(page, name)
    violations = run_axe(page)
    where = f"page {name}, role {role}, {width} {WIDTHS[width]['width']}x{WIDTHS[width]['height']}"
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"{name}-{role}-{width}.json").write_text(json.dumps({"where": where, "violations": violations}, indent=1))
    failing = [v for v in violations if v["impact"] in FAILING]
    assert not failing, describe(failing, where)
