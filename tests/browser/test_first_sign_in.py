"""The first admin of a production install signs in through the web page with the
one-time password from the log, is asked for a new one, and lands on the dashboard."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.harness import NEW_USER_PASSWORD, Stack, wait_until

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
ONE_TIME = re.compile(r"FIRST ADMIN created: (\S+) with the one-time password (\S+)")


def test_the_one_time_password_leads_to_a_new_one_and_the_dashboard(tmp_path):
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    stack = Stack(tmp_path / "stack", "sqlite", extra_env={"FLASK_ENV": "production"})
    try:
        stack.start(["gateway", "user-management"])
        log = stack.services["user-management"].log_path
        email, one_time = wait_until(lambda: ONE_TIME.findall(log.read_text()), 10, 0.2, "the one-time password")[0]
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            page = browser.new_context(base_url=stack.url()).new_page()
            page.goto("/")
            page.get_by_label("Email").fill(email)
            page.get_by_label("Password", exact=True).fill(one_time)
            page.get_by_role("button", name="Sign in").click()
            expect(page.locator("#login-notice")).to_contain_text("one sign-in only")
            new_password = page.get_by_label("New password")
            new_password.fill("password123")
            page.get_by_role("button", name="Set new password and sign in").click()
            # The service's reason is shown next to the field it is about (issue 17 item 4).
            expect(page.locator("#new-password-error")).to_contain_text("is one of the most commonly used")
            expect(new_password).to_have_attribute("aria-invalid", "true")
            new_password.fill(NEW_USER_PASSWORD)
            page.get_by_role("button", name="Set new password and sign in").click()
            page.wait_for_url("**/dashboard.html")
            browser.close()
        assert stack.login(email, NEW_USER_PASSWORD)
    finally:
        stack.stop()
