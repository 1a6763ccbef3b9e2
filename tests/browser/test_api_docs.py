"""The platform's one Swagger UI, as a person uses it: open the gateway's /docs, press
Authorize once with a token, and "Try it out" on operations of different services: each
is sent with the token and answers 200 (before, booking's operations named a security
scheme the merged document did not have and went out without a token; and Swagger UI 4
could not render the OpenAPI 3.1 documents at all)."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.harness import Stack

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def docs_stack(tmp_path_factory):
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    stack = Stack(tmp_path_factory.mktemp("docs-stack"), "sqlite")
    try:
        stack.start(["gateway", "user-management", "booking", "gpa-calculator"])
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM),
                                        args=["--headless", "--no-sandbox", "--disable-gpu",
                                              "--disable-background-networking"])
            yield stack, browser
            browser.close()
    finally:
        stack.stop()


def _try_it_out(page, method: str, path: str) -> str:
    """Expand the operation, press Try it out and Execute; the status Swagger UI shows."""
    block = page.locator(f".opblock-{method}").filter(
        has=page.locator(f'.opblock-summary-path[data-path="{path}"]'))
    block.locator(".opblock-summary").first.click()
    block.get_by_role("button", name="Try it out").click()
    block.get_by_role("button", name="Execute").click()
    status = block.locator(".live-responses-table .response .response-col_status").first
    expect(status).to_be_visible(timeout=15_000)
    return status.inner_text().strip()


def test_authorize_once_then_every_service_is_called_with_the_token(docs_stack):
    stack, browser = docs_stack
    token = stack.token("student")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(stack.url() + "/docs")
    expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=15_000)
    expect(page.get_by_text("Unable to render this definition")).to_have_count(0)
    # Operations of the gateway itself and of the services behind it, under /api.
    for path in ("/auth/login", "/api/booking/rooms", "/api/booking/bookings", "/api/gpa/calculate"):
        expect(page.locator(f'.opblock-summary-path[data-path="{path}"]').first).to_be_attached()

    # Without a token (no web session in this browser) a call is refused...
    assert _try_it_out(page, "get", "/api/booking/slots") == "401"
    # ...after one Authorize, operations of every service carry it.
    page.locator(".auth-wrapper .authorize").click()
    dialog = page.locator(".modal-ux")
    dialog.locator("input").first.fill(token)
    dialog.locator(".modal-btn.auth.authorize").click()
    expect(dialog.get_by_text("Authorized")).to_be_visible()
    dialog.locator(".modal-btn.btn-done").click()
    page.reload()             # and it survives a reload (persistAuthorization)
    expect(page.locator(".swagger-ui .info")).to_be_visible(timeout=15_000)
    assert _try_it_out(page, "get", "/api/booking/rooms") == "200"
    assert _try_it_out(page, "get", "/auth/me") == "200"
    assert errors == []
    context.close()
