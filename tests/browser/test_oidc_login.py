"""Single sign-on in a real headless browser: the sign-in page's button, the identity
provider's own page (tests/oidc_provider.py, a real OpenID Connect provider process),
and back on the dashboard with the role the provider's groups map to."""
from __future__ import annotations

import uuid

import pytest

from shared.config import REPO_ROOT
from tests.harness import Stack
from tests.oidc_harness import GROUPS, Provider, sso_env

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

from tests.browser.test_frontend import CHROMIUM, browser  # noqa: E402,F401 - the fixture is used by name

SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    running = Provider(tmp_path_factory.mktemp("browser-oidc-provider")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module")
def sso_stack(tmp_path_factory, provider):
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    platform = Stack(tmp_path_factory.mktemp("browser-sso"), "sqlite", None, sso_env(provider))
    try:
        platform.start(["gateway", "user-management", "notification"])
        yield platform
    finally:
        platform.stop()


@pytest.fixture(params=[{"width": 1280, "height": 860}, {"width": 390, "height": 844}], ids=["desktop", "phone"])
def page(request, browser, sso_stack):  # noqa: F811 - the imported fixture
    context = browser.new_context(base_url=sso_stack.url(), viewport=request.param)
    page = context.new_page()
    page.problems = []
    page.on("pageerror", lambda exc: page.problems.append(str(exc)))
    page.on("console", lambda message: page.problems.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text else None)
    page.width = request.param["width"]
    yield page
    context.close()


def a_person(provider: Provider, role: str) -> str:
    sub = f"browser-{uuid.uuid4().hex[:10]}"
    provider.set_person(sub, f"{sub}@uni.example.edu", "Grace Hopper", GROUPS[role])
    return sub


@pytest.mark.parametrize("role", ["faculty", "admin"])
def test_the_button_signs_in_at_the_provider_and_lands_on_the_dashboard(page, provider, role):
    sub = a_person(provider, role)
    page.goto("/")
    button = page.get_by_role("link", name="Sign in with Example University")
    expect(button).to_be_visible()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"login-sso-{page.width}.png"), full_page=True)
    button.click()
    # The provider's own page: who are you?
    page.wait_for_url(f"{provider.url}/oauth2/authorize?**")
    page.locator("input[name=sub]").fill(sub)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url("**/dashboard.html")
    expect(page.locator("#nav-user-role")).to_have_text(role)
    # The Users page is in the menu for admins only (attached also where the menu is folded).
    expect(page.locator("#main-nav a[href='/users.html']")).to_have_count(1 if role == "admin" else 0)
    stored = page.evaluate("() => [localStorage.getItem('token'), JSON.parse(localStorage.getItem('user'))]")
    assert stored[0] and stored[1]["role"] == role and stored[1]["email"] == f"{sub}@uni.example.edu"
    # The token never went through a URL: the callback page is gone from the history.
    assert stored[0] not in page.url
    page.go_back()
    assert "/auth/oidc/callback" not in page.url
    assert not page.problems, page.problems


def test_a_sign_in_cancelled_at_the_provider_is_explained(page, provider):
    page.goto("/")
    page.get_by_role("link", name="Sign in with Example University").click()
    page.wait_for_url(f"{provider.url}/oauth2/authorize?**")
    page.get_by_role("button", name="Deny").click()
    page.wait_for_url("**/?sso_error=denied")
    expect(page.locator("#login-error")).to_have_text("Sign-in was cancelled at Example University.")
    # The password form is still there (local passwords are on here).
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    assert not page.problems, page.problems


def test_with_local_passwords_off_only_the_break_glass_admin_uses_one(browser, provider, make_stack):  # noqa: F811 - the imported fixture
    platform = make_stack("sqlite", {**sso_env(provider), "LOCAL_LOGIN_ENABLED": "false"})
    platform.start(["gateway", "user-management"])
    context = browser.new_context(base_url=platform.url(), viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto("/")
    expect(page.get_by_role("link", name="Sign in with Example University")).to_be_visible()
    expect(page.locator("#login-form")).to_be_hidden()
    expect(page.get_by_role("link", name="Forgot password?")).to_have_count(0)
    page.screenshot(path=str(SHOTS / "login-sso-only-390.png"), full_page=True)
    page.get_by_role("button", name="Administrator with a local password").click()
    page.get_by_label("Email").fill("student@example.com")
    page.get_by_label("Password", exact=True).fill("student123")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.locator("#login-error")).to_contain_text("use single sign-on")
    page.get_by_label("Email").fill("admin@example.com")
    page.get_by_label("Password", exact=True).fill("admin123")
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/dashboard.html")
    expect(page.locator("#nav-user-role")).to_have_text("admin")
    context.close()
