"""The users page in a real browser (Debian's chromium, Playwright): the CSV import (check,
then import with progress), the server-side search, and the page on a phone (390 px): each
person a card, nothing off-screen in edit mode, the delete question naming the person.
Also the "Forgot password" path and the notification settings page."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest

from tests.harness import DEFAULT_USERS, Stack

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect  # noqa: E402

from tests.browser.test_frontend import CHROMIUM, browser  # noqa: E402,F401 - the fixture is used by name

PHONE = {"width": 390, "height": 844}
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory):
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    platform = Stack(tmp_path_factory.mktemp("users-page"), "sqlite")
    try:
        platform.start(["gateway", "user-management", "notification", "booking"])
        yield platform
    finally:
        platform.stop()


@pytest.fixture
def open_page(browser, web_stack):  # noqa: F811 - the imported fixture
    """open_page(viewport) -> a page signed in as the admin; JavaScript errors fail the test."""
    contexts, errors = [], []

    def make(viewport=None, role: str = "admin") -> Page:
        context = browser.new_context(base_url=web_stack.url(), viewport=viewport or {"width": 1280, "height": 860})
        contexts.append(context)
        page = context.new_page()
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.goto("/")
        email, password = DEFAULT_USERS[role]
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(password)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard.html")
        return page

    yield make
    for context in contexts:
        context.close()
    assert not errors, f"JavaScript errors: {errors}"


def import_file(tmp_path, rows: list[str]) -> Path:
    path = tmp_path / "people.csv"
    path.write_text("email,name,role\n" + "\n".join(rows) + "\n")
    return path


def test_import_from_csv_with_a_check_first_and_progress(open_page, web_stack, tmp_path):
    t = uuid.uuid4().hex[:6]
    page = open_page()
    page.goto("/users.html")
    rows = [f"imp{i}-{t}@example.edu,Imported Person {i} {t},faculty" for i in range(1500)]
    rows.insert(1, f"broken-{t},Broken Row,student")
    page.get_by_label("CSV file").set_input_files(str(import_file(tmp_path, rows)))
    page.get_by_role("button", name="Check file").click()
    expect(page.locator("#import-summary")).to_have_text("1,501 rows: 1,500 new people, 1 problem.")
    expect(page.locator("#import-problems li")).to_have_text([f"Line 3: bad e-mail 'broken-{t}'"])
    assert web_stack.api("GET", f"/api/users?q={t}", web_stack.token("admin")).json()["total"] == 0

    page.get_by_role("button", name="Import 1,500 people").click()
    expect(page.locator("#import-progress")).to_be_visible()
    expect(page.locator("#users-message")).to_have_text("Import finished: 1,500 created, 1 skipped.", timeout=60_000)
    assert page.locator("#import-bar").evaluate("bar => [bar.value, bar.max]") == [1500, 1500]
    expect(page.locator("#import-progress-text")).to_have_text("1,500 of 1,500 rows")

    page.get_by_label("Search people").fill(f"person 7 {t}")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#users-body tr")).to_have_count(1)
    expect(page.locator("#users-body .user-email")).to_have_text(f"imp7-{t}@example.edu")
    page.get_by_label("Search people").fill(t)
    page.get_by_role("button", name="Search").click()
    expect(page.locator("#users-total")).to_have_text("(1,500 found)")
    expect(page.locator("#page-info")).to_have_text("Page 1 of 150")


def _inside(page: Page, locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 0.5


def test_users_page_on_a_phone_shows_cards(open_page, web_stack):
    t = uuid.uuid4().hex[:6]
    admin = web_stack.token("admin")
    long_name = f"Maximiliana Ottilie Wintergarten-Schönbrunn {t}"
    made = web_stack.api("POST", "/api/users", admin, json={"name": long_name, "role": "student",
                                                             "email": f"a-very-long-address-{t}@students.example.edu",
                                                             "password": "Quiet-Harbor-Lamp-47"})
    assert made.status_code == 201, made.text
    page = open_page(PHONE)
    page.goto("/users.html")
    page.get_by_label("Search people").fill(t)
    page.get_by_role("button", name="Search").click()
    card = page.locator("#users-body tr")
    expect(card).to_have_count(1)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    # A card: the name, e-mail, role and both buttons on screen, one under the other.
    assert card.evaluate("row => getComputedStyle(row).display") == "block"
    for part in (".user-name", ".user-email", ".user-role", ".edit-user", ".delete-user"):
        assert _inside(page, card.locator(part)), part
    assert card.locator(".user-email").bounding_box()["y"] > card.locator(".user-name").bounding_box()["y"]

    card.get_by_role("button", name=f"Edit {long_name}").click()
    name_box = page.get_by_label(f"Name of {long_name}")
    expect(name_box).to_be_focused()
    assert name_box.bounding_box()["width"] > 250
    for control in (name_box, page.get_by_label(f"Role of {long_name}"), page.get_by_role("button", name="Save")):
        assert _inside(page, control)
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    name_box.fill(f"Maxi {t}")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#users-message")).to_have_text(f"Saved Maxi {t}.")

    page.locator("#users-body .delete-user").click()
    question = page.locator("#users-body .confirm-text")
    expect(question).to_have_text(f"Delete Maxi {t} (a-very-long-address-{t}@students.example.edu)?")
    confirm = page.get_by_role("button", name=f"Yes, delete Maxi {t}")
    assert _inside(page, question) and _inside(page, confirm)
    confirm.click()
    expect(page.locator("#users-message")).to_contain_text(f"Deleted Maxi {t}")
    expect(page.locator("#users-body .empty")).to_contain_text("Nobody's name or e-mail contains")


def test_forgot_password_page_and_notification_settings(open_page, browser, web_stack):  # noqa: F811 - the imported fixture
    context = browser.new_context(base_url=web_stack.url(), viewport=PHONE)
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_role("link", name="Forgot password?").click()
        page.wait_for_url("**/reset.html")
        page.get_by_label("Email").fill(f"nobody-{uuid.uuid4().hex[:6]}@example.com")
        page.get_by_role("button", name="Send me a link").click()
        expect(page.locator("#reset-notice")).to_contain_text("If an account has this address")
        page.goto("about:blank")            # the link from the e-mail opens the page afresh
        page.goto(f"{web_stack.url()}/reset.html#token=not-a-real-token-at-all")
        expect(page.get_by_label("New password", exact=True)).to_be_focused()
        assert "token" not in page.url
        page.get_by_label("New password", exact=True).fill("Brand-New-Harbor-Lamp-91")
        page.get_by_label("New password again").fill("Brand-New-Harbor-Lamp-91")
        page.get_by_role("button", name="Set new password and sign in").click()
        expect(page.locator("#confirm-error")).to_contain_text("not valid")
        expect(page.get_by_role("button", name="Send me a link")).to_be_visible()
    finally:
        context.close()

    settings = open_page(PHONE, role="student")
    settings.goto("/settings.html")
    expect(settings.locator("#email-off")).to_be_visible()      # this stack has no SMTP_HOST
    settings.locator("#kind-tickets").get_by_label("In a daily digest e-mail").check()
    settings.get_by_role("button", name="Save").click()
    expect(settings.locator("#settings-message")).to_have_text("Saved.")
    student = web_stack.token("student")
    assert web_stack.api("GET", "/api/notifications/preferences", student).json()["preferences"]["tickets"] == "digest"
    settings.reload()
    expect(settings.locator("#kind-tickets").get_by_label("In a daily digest e-mail")).to_be_checked()
