"""Issue 17 on the dashboard, notifications, GPA and sign-in pages, at 1280x800 and 390x844:
the "Send to" form, the unread badge on the Menu button and a one-row desktop top bar,
field-level form errors, loading and empty states, notification links and campus dates,
the unread count pushed over Socket.IO, landmarks, one h1, the favicon.

One private stack on the test Redis (when it is reachable), so the notification service's
pushes reach the maintenance service's Socket.IO as in production.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import requests

from tests.browser.test_frontend import CHROMIUM, Session, browser, people  # noqa: F401 - fixtures used by name
from tests.harness import DEFAULT_USERS, Stack, available_services, redis_env

pytestmark = pytest.mark.browser
from playwright.sync_api import Page, expect  # noqa: E402

WIDTHS = {"desktop": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
both_widths = pytest.mark.parametrize("width", list(WIDTHS))
CAMPUS_DATE = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) \d{1,2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
                         r"( \d{4})?, \d\d:\d\d$")


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory):
    """This module's platform (the `people` fixture of test_frontend.py opens pages on it)."""
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    platform = Stack(tmp_path_factory.mktemp("a11y-stack"), "sqlite", extra_env=redis_env())
    try:
        platform.start(available_services())
        yield platform
    finally:
        platform.stop()


@pytest.fixture
def stack(web_stack):
    return web_stack


@pytest.fixture
def person(people):  # noqa: F811 - the imported fixture
    """person(width, role=None) -> a Session at that width, signed in when a role is given
    (closed, and checked for JavaScript errors and CSP violations, by `people`)."""
    def open_session(width: str, role: str | None = None) -> Session:
        session = people(viewport=WIDTHS[width])
        if role:
            session.login_as(role)
        return session
    return open_session


def open_menu_if_phone(page: Page, width: str) -> None:
    if width == "phone":
        page.get_by_role("button", name="Menu").click()


def unread_of(stack: Stack, role: str) -> int:
    return stack.api("GET", "/api/notifications/unread-count", stack.token(role)).json()["unread"]


def send(stack: Stack, **body) -> dict:
    body.setdefault("body", "Sent by a test.")
    body.setdefault("title", f"Note {uuid.uuid4().hex[:6]}")
    answer = stack.api("POST", "/api/notifications", stack.token("admin"), json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()


# ---------------------------------------------------------------------------- item 1
@both_widths
def test_send_to_shows_only_the_chosen_audience_and_confirms_with_the_count(person, stack, width):
    admin = person(width, "admin")
    page = admin.page
    page.goto("/notifications.html")
    audience = page.get_by_label("Send to")
    role_field, user_field = page.locator("#send-role-field"), page.locator("#send-user-field")
    expect(audience).to_have_value("broadcast")
    expect(role_field).to_be_hidden()          # "Everyone" shows no Role field (it did: .field beat [hidden])
    expect(user_field).to_be_hidden()
    audience.select_option("role")
    expect(role_field).to_be_visible()
    expect(user_field).to_be_hidden()
    audience.select_option("user")
    expect(user_field).to_be_visible()
    expect(role_field).to_be_hidden()

    # Empty title and message: the errors are at the fields.
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_label("Title")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#send-title-input-error")).to_have_text("Give the notification a title.")
    expect(page.get_by_label("Title")).to_be_focused()

    # To a role: asked first, with the number of students from user-management.
    students = stack.api("GET", "/api/users", stack.token("admin"), params={"role": "student", "per_page": 1}).json()["total"]
    before = unread_of(stack, "student")
    title = f"Exam timetable {uuid.uuid4().hex[:6]}"
    page.get_by_label("Title").fill(title)
    page.get_by_label("Message").fill("The timetable is out.")
    audience.select_option("role")
    page.get_by_label("Role", exact=True).select_option("student")
    page.get_by_role("button", name="Send", exact=True).click()
    question = "Send to the 1 student?" if students == 1 else f"Send to all {students} students?"
    expect(page.locator("#send-confirm-text")).to_have_text(question)
    expect(page.get_by_role("button", name="Yes, send")).to_be_focused()
    admin.shot(f"a11y-send-confirm-{width}")
    page.get_by_role("button", name="Cancel").click()
    expect(page.locator("#send-confirm")).to_be_hidden()
    assert unread_of(stack, "student") == before      # cancelled: nothing sent
    page.get_by_role("button", name="Send", exact=True).click()
    page.get_by_role("button", name="Yes, send").click()
    expect(page.locator("#send-message")).to_have_text("Sent.")
    assert unread_of(stack, "student") == before + 1

    # To everyone: the count of every account.
    everyone = stack.api("GET", "/api/users", stack.token("admin"), params={"per_page": 1}).json()["total"]
    page.get_by_label("Title").fill("Fire drill")
    page.get_by_label("Message").fill("At noon.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.locator("#send-confirm-text")).to_have_text(f"Send to everyone: all {everyone} people?")
    page.get_by_role("button", name="Cancel").click()


# ---------------------------------------------------------------------------- item 3
def test_phone_menu_button_shows_the_unread_count(person, stack):
    send(stack, role="student")
    student = person("phone", "student")
    page = student.page
    n = unread_of(stack, "student")
    expect(page.locator("#main-nav")).to_be_hidden()
    menu = page.get_by_role("button", name="Menu")
    expect(menu.locator(".badge-count")).to_be_visible()
    expect(menu.locator(".badge-count")).to_have_text(str(n))
    student.shot("a11y-phone-menu-badge")
    stack.api("POST", "/api/notifications/read-all", stack.token("student"))
    page.reload()
    expect(page.locator("#dash-unread")).to_have_text("0")
    expect(page.locator("#dash-bookings")).to_contain_text("Nothing booked. Book a room below.")
    expect(page.locator("main .alert-error")).to_have_count(0)
    expect(menu.locator(".badge-count")).to_be_hidden()


def test_desktop_admin_top_bar_is_one_row_on_every_page(person, stack):
    send(stack, role="admin")                   # the badge shows
    admin = person("desktop", "admin")
    page = admin.page
    heights = {}
    for name in ("dashboard", "booking", "gpa", "maintenance", "notifications", "users"):
        page.goto(f"/{name}.html")
        expect(page.locator("#unread-badge")).to_be_visible()
        tops = page.locator("#main-nav a, #logout-button, .brand").evaluate_all(
            "nodes => nodes.filter((n) => n.getClientRects().length)"
        ".map((n) => Math.round(n.getBoundingClientRect().top + n.getBoundingClientRect().height / 2))")
        assert max(tops) - min(tops) <= 4, f"{name}: the top bar wraps ({tops})"
        heights[name] = page.locator("#topbar").evaluate("n => n.getBoundingClientRect().height")
    assert len(set(heights.values())) == 1, f"the header changes height between pages: {heights}"
    # A narrow desktop window (a tablet) keeps the one row and does not scroll sideways.
    page.set_viewport_size({"width": 820, "height": 800})
    page.goto("/notifications.html")
    expect(page.locator("#unread-badge")).to_be_visible()
    tops = page.locator("#main-nav a, #logout-button, .brand").evaluate_all(
        "nodes => nodes.filter((n) => n.getClientRects().length)"
        ".map((n) => Math.round(n.getBoundingClientRect().top + n.getBoundingClientRect().height / 2))")
    assert max(tops) - min(tops) <= 4, f"820 px: the top bar wraps ({tops})"
    assert page.evaluate("document.documentElement.scrollWidth") <= 820
    admin.shot("a11y-topbar-820")


# ---------------------------------------------------------------------------- item 4
@both_widths
def test_login_errors_are_at_the_field(person, width):
    me = person(width)
    page = me.page
    page.goto("/")
    page.get_by_role("button", name="Sign in").click()
    email = page.get_by_label("Email")
    expect(email).to_have_attribute("aria-invalid", "true")
    expect(email).to_be_focused()
    expect(page.locator("#email-error")).to_have_text("Enter your email address.")
    assert "email-error" in email.get_attribute("aria-describedby")
    expect(page.locator("#password-error")).to_have_text("Enter your password.")
    expect(page.locator("#login-error")).to_be_empty()          # not "Some fields are not valid."
    me.shot(f"a11y-login-errors-{width}")
    email.fill("student@example.com")
    page.get_by_role("button", name="Sign in").click()
    expect(email).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Password", exact=True)).to_be_focused()
    page.get_by_label("Password", exact=True).fill("wrong-password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#login-error")).to_have_text("Invalid email or password.")


@both_widths
def test_gpa_ignores_blank_rows_keeps_the_draft_and_marks_bad_fields(person, width):
    me = person(width, "student")
    page = me.page
    page.goto("/gpa.html")
    page.evaluate("Object.keys(localStorage).filter((k) => k.startsWith('gpa-draft')).forEach((k) => localStorage.removeItem(k))")
    page.reload()
    rows = page.locator(".course-row")
    expect(rows).to_have_count(3)
    grades = page.locator("#course-rows .course-grade").first.evaluate("s => [...s.options].map((o) => o.value).filter(Boolean)")
    # Two courses in rows 1 and 3; row 2 left blank: ignored, not an error.
    rows.nth(0).locator(".course-name-input").fill("Algebra")
    rows.nth(0).locator(".course-grade").select_option(grades[0])
    rows.nth(0).locator(".course-credits").fill("3")
    rows.nth(2).locator(".course-name-input").fill("History")
    rows.nth(2).locator(".course-grade").select_option(grades[0])
    rows.nth(2).locator(".course-credits").fill("4")
    page.get_by_role("button", name="Calculate GPA").click()
    expect(page.locator("#gpa-value")).to_have_text("4.00")
    expect(page.locator("#result-title")).to_be_focused()
    expect(page.locator("#gpa-error")).to_be_empty()

    # Target out of reach: information, not an error.
    page.locator("#whatif-options summary").click()
    page.get_by_label("Target GPA").fill("4")
    page.get_by_label("Credits still to take").fill("1")
    rows.nth(2).locator(".course-grade").select_option(grades[-1])
    page.get_by_role("button", name="Calculate GPA").click()
    what_if = page.locator("#what-if")
    expect(what_if).to_contain_text("Out of reach")
    expect(what_if).to_have_class(re.compile(r"\balert-info\b"))
    me.shot(f"a11y-gpa-out-of-reach-{width}")

    # A bad field: the message is next to it, it is marked and focused.
    rows.nth(2).locator(".course-credits").fill("")
    page.get_by_role("button", name="Calculate GPA").click()
    credits = rows.nth(2).locator(".course-credits")
    expect(credits).to_have_attribute("aria-invalid", "true")
    expect(credits).to_be_focused()
    note_id = credits.get_attribute("aria-describedby").split()[-1]
    expect(page.locator(f"#{note_id}")).to_contain_text("redits")
    expect(page.locator("#gpa-error")).to_be_empty()             # not "Course 3: ... (and 1 more problem)"
    me.shot(f"a11y-gpa-field-error-{width}")

    # What was typed is still there after a reload.
    page.reload()
    expect(rows).to_have_count(3)
    expect(rows.nth(0).locator(".course-name-input")).to_have_value("Algebra")
    expect(rows.nth(2).locator(".course-name-input")).to_have_value("History")
    expect(rows.nth(2).locator(".course-grade")).to_have_value(grades[-1])
    expect(page.get_by_label("Target GPA")).to_have_value("4")
    expect(page.locator("#whatif-options")).to_have_attribute("open", "")


# ---------------------------------------------------------------------------- item 5
@both_widths
def test_frame_and_placeholders_show_at_once_on_a_slow_network(person, stack, width):
    me = person(width, "student")
    page = me.page
    held: list = []
    hold = [True]

    def slow(route):
        if hold[0]:
            held.append(route)      # answered only at the end: the network is "slow"
        else:
            route.continue_()

    page.route(re.compile(r"/api/(notifications|booking/bookings|booking/campus|maintenance/tickets)"), slow)
    page.evaluate("sessionStorage.clear()")     # the campus zone is asked again (and held)
    page.goto("/dashboard.html", wait_until="domcontentloaded")
    expect(page.locator("#main-nav")).to_be_attached()
    expect(page.locator("#dash-bookings")).to_contain_text("Loading")
    page.goto("/notifications.html", wait_until="domcontentloaded")
    expect(page.locator("#main-nav")).to_be_attached()
    expect(page.locator("#notification-list")).to_contain_text("Loading")
    me.shot(f"a11y-notifications-loading-{width}")
    hold[0] = False
    for route in held:
        try:
            route.continue_()
        except Exception:  # noqa: BLE001 - a request of the page we left
            pass

    # Empty states say what to do.
    stack.api("POST", "/api/notifications/read-all", stack.token("student"))
    page.goto("/notifications.html")
    page.get_by_label("Unread only").check()
    expect(page.locator("#notification-list .empty")).to_contain_text("Untick “Unread only”")


# ---------------------------------------------------------------------------- item 6
@both_widths
def test_notifications_link_to_their_subject_with_campus_dates(person, stack, width):
    sent = send(stack, role="faculty", title="Your ticket was updated", link="/maintenance?ticket=1")
    me = person(width, "faculty")
    page = me.page
    page.goto("/notifications.html")
    item = page.locator(f'#notification-list li[data-notification-id="{sent["id"]}"]')
    link = item.get_by_role("link", name="Your ticket was updated")
    expect(link).to_have_attribute("href", "/maintenance.html?ticket=1")
    expect(item.locator(".notification-time")).to_have_text(CAMPUS_DATE)
    expect(item.locator(".notification-time")).to_have_attribute("datetime", sent["created_at"])
    # "Mark read" is named by its visible text first (axe: label-content-name-mismatch).
    expect(item.get_by_role("button", name=re.compile(r"^Mark read"))).to_be_visible()
    me.shot(f"a11y-notification-link-{width}")
    link.click()
    page.wait_for_url("**/maintenance.html?ticket=1")


@both_widths
def test_unread_count_is_pushed_over_socketio(person, stack, width):
    if "REDIS_URL" not in stack.env:
        pytest.skip("the test Redis is not reachable: pushes need the shared channel")
    assert requests.get(stack.url() + "/config.json", timeout=10).json()["notification_pushes"] is True
    stack.api("POST", "/api/notifications/read-all", stack.token("student"))
    me = person(width, "student")
    page = me.page
    expect(page.locator("#dash-unread")).to_have_text("0")
    # Pushes arrive: the poll is only a two-minute safety net from now on.
    expect(page.locator("html")).to_have_attribute("data-notification-pushes", "true")
    page.wait_for_load_state("networkidle")
    calls: list[str] = []
    page.on("request", lambda r: calls.append(r.url) if "unread-count" in r.url else None)
    send(stack, role="student", title="Pushed to you")
    badge = page.locator("#menu-badge" if width == "phone" else "#unread-badge")
    expect(badge).to_have_text("1", timeout=10_000)          # well before any poll
    expect(page.locator("#dash-unread")).to_have_text("1")
    assert len(calls) == 1, calls                            # one read, by the push; the dashboard polls no more
    student_id = stack.api("GET", "/auth/me", stack.token("student")).json()["id"]
    send(stack, user_id=student_id, title="Only for you")
    expect(badge).to_have_text("2", timeout=10_000)


# ---------------------------------------------------------------------------- item 7
@both_widths
def test_landmarks_one_h1_and_a_favicon(person, stack, width):
    icon = requests.get(stack.url() + "/favicon.ico", timeout=10)
    assert icon.status_code == 200 and icon.headers["Content-Type"].startswith("image/svg+xml"), icon.headers
    me = person(width)
    page = me.page
    page.goto("/")
    assert page.locator("h1").count() == 1 and page.locator("main").count() == 1
    assert page.locator('link[rel="icon"]').get_attribute("href") == "/favicon.ico"
    page = me.login("student@example.com", DEFAULT_USERS["student"][1])
    for name in ("dashboard", "notifications", "gpa"):
        page.goto(f"/{name}.html")
        expect(page.locator("#main-nav")).to_be_attached()
        assert page.locator("h1").count() == 1, name
        open_menu_if_phone(page, width)        # a folded menu is hidden from everyone
        for landmark in ("banner", "navigation", "main"):
            expect(page.get_by_role(landmark)).to_have_count(1)
        assert page.locator('link[rel="icon"]').count() == 1, name


def test_read_notifications_are_not_faded(person, stack):
    sent = send(stack, role="student")
    stack.api("PUT", f"/api/notifications/{sent['id']}", stack.token("student"), json={"read": True})
    me = person("desktop", "student")
    page = me.page
    page.goto("/notifications.html")
    item = page.locator(f'#notification-list li[data-notification-id="{sent["id"]}"]')
    expect(item).to_have_class(re.compile(r"\bread\b"))
    assert item.evaluate("n => getComputedStyle(n).opacity") == "1"


def test_dates_are_in_the_campus_zone_not_the_browsers(browser, stack):  # noqa: F811 - the imported fixture
    """A browser in Auckland shows a notification's time as the campus clock reads it."""
    campus = stack.api("GET", "/api/booking/campus", stack.token("student")).json()["timezone"]
    sent = send(stack, role="student", title="Zone check")
    when = datetime.fromisoformat(sent["created_at"].replace("Z", "+00:00")).astimezone(ZoneInfo(campus))
    context = browser.new_context(base_url=stack.url(), timezone_id="Pacific/Auckland", viewport=WIDTHS["phone"])
    try:
        page = context.new_page()
        page.goto("/")
        page.get_by_label("Email").fill(DEFAULT_USERS["student"][0])
        page.get_by_label("Password", exact=True).fill(DEFAULT_USERS["student"][1])
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_url("**/dashboard.html")
        page.goto("/notifications.html")
        shown = page.locator(f'li[data-notification-id="{sent["id"]}"] .notification-time')
        expect(shown).to_have_text(f"{when:%a} {when.day} {when:%b}, {when:%H:%M}")
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "Pacific/Auckland"
    finally:
        context.close()
