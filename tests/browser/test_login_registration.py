"""Issue 17 item 8: the sign-in page tells the truth about accounts. Where self-registration
is on (REGISTRATION_ENABLED, GET /auth/methods), it offers "Create a student account" and
does not claim that only an administrator creates accounts; where it is off, it says so and
offers nothing."""
from __future__ import annotations

import uuid

import pytest

from tests.browser.test_frontend import CHROMIUM, browser  # noqa: F401 - the fixture is used by name
from tests.harness import DEFAULT_USERS, NEW_USER_PASSWORD

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402

SERVICES = ["gateway", "user-management", "notification"]


@pytest.fixture
def open_sign_in(browser, make_stack):  # noqa: F811 - the imported fixture
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    contexts = []

    def opener(registration: bool, width: int):
        platform = make_stack("sqlite", {"REGISTRATION_ENABLED": "true" if registration else "false"})
        platform.start(SERVICES)
        context = browser.new_context(base_url=platform.url(), viewport={"width": width, "height": 844})
        contexts.append(context)
        page = context.new_page()
        page.problems = []
        page.on("pageerror", lambda exc: page.problems.append(str(exc)))
        page.goto("/")
        return page

    yield opener
    for context in contexts:
        context.close()


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_with_registration_on_a_student_creates_an_account_from_the_sign_in_page(open_sign_in, width):
    page = open_sign_in(True, width)
    start = page.get_by_role("button", name="Create a student account")
    expect(start).to_be_visible()
    expect(page.get_by_text("Accounts are created by an administrator")).to_be_hidden()

    start.click()
    expect(start).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_label("Full name")).to_be_focused()
    # An address that is taken: said next to the e-mail field, which gets the focus.
    page.get_by_label("Full name").fill("Ada Newcomer")
    page.locator("#register-email").fill(DEFAULT_USERS["student"][0])
    page.get_by_label("Choose a password").fill(NEW_USER_PASSWORD)
    page.get_by_role("button", name="Create account and sign in").click()
    expect(page.locator("#register-email-error")).to_contain_text("already exists")
    expect(page.locator("#register-email")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#register-email")).to_be_focused()

    page.locator("#register-email").fill(f"ada-{uuid.uuid4().hex[:8]}@example.edu")
    page.get_by_role("button", name="Create account and sign in").click()
    page.wait_for_url("**/dashboard.html")
    expect(page.locator("#nav-user-role")).to_have_text("student")
    assert not page.problems, page.problems


def test_with_registration_off_the_page_says_who_creates_accounts(open_sign_in):
    page = open_sign_in(False, 390)
    expect(page.get_by_text("Accounts are created by an administrator.")).to_be_visible()
    expect(page.get_by_role("button", name="Create a student account")).to_be_hidden()
    expect(page.locator("#register-form")).to_be_hidden()
    assert not page.problems, page.problems
