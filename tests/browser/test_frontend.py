"""The web pages in a real headless browser (Debian's chromium driven by Playwright),
against the whole platform running as real processes.

One private stack for the module: the maintenance service's Socket.IO accepts only the
origins in CORS_ORIGINS, and the gateway (which serves the pages) is on a random port.
Screenshots of every page go to test-artifacts/screenshots/.
"""
from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import jwt
import pytest

from shared.config import REPO_ROOT
from tests.harness import (
    DEFAULT_USERS,
    NEW_USER_PASSWORD,
    TEST_SECRET,
    Stack,
    available_services,
    wait_refused_everywhere,
)

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import Page, expect  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
SOCKETIO_CLIENT = REPO_ROOT / "gateway" / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
PAGES = ("dashboard", "booking", "gpa", "maintenance", "notifications", "users")
NAV_FOR = {"admin": ["Dashboard", "Rooms", "GPA", "Maintenance", "Notifications", "Users"],
           "faculty": ["Dashboard", "Rooms", "GPA", "Maintenance", "Notifications"],
           "student": ["Dashboard", "Rooms", "GPA", "Maintenance", "Notifications"]}
expect.set_options(timeout=15_000)


BROKEN: dict[str, str] = {}   # service -> why it did not start (filled by web_stack)


def needs(*services: str) -> None:
    """Skip while a service is not in the checkout; fail (not skip) when it is but did not start."""
    missing = [s for s in services if s not in available_services()]
    if missing:
        pytest.skip(f"{', '.join(missing)} is not in this checkout yet")
    broken = {s: BROKEN[s] for s in services if s in BROKEN}
    if broken:
        pytest.fail(f"service did not start: {broken}")


# ---------------------------------------------------------------------------- fixtures
@pytest.fixture(scope="module")
def web_stack(tmp_path_factory):
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    platform = Stack(tmp_path_factory.mktemp("browser-stack"), "sqlite")
    port = platform.ports["gateway"]
    # Socket.IO on the maintenance service must accept the page's origin (the gateway's).
    platform.env["CORS_ORIGINS"] = f"http://127.0.0.1:{port},http://localhost:{port}"
    try:
        platform.start(["gateway", "user-management"])
        # The rest one by one: a service that does not start fails only the tests that need it.
        for name in available_services():
            if name not in platform.services:
                try:
                    platform.start([name])
                except AssertionError as exc:
                    BROKEN[name] = str(exc)
        yield platform
    finally:
        platform.stop()


@pytest.fixture(scope="module")
def browser():
    with playwright_sync.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield instance
        instance.close()


class Session:
    """One browser context (one person), collecting page errors and dialogs."""

    def __init__(self, browser, base: str, viewport=None):
        self.base = base
        self.context = browser.new_context(base_url=base, viewport=viewport or {"width": 1280, "height": 860})
        self.page: Page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.csp_violations: list[str] = []
        self.page.on("pageerror", lambda exc: self.errors.append(str(exc)))
        self.page.on("dialog", self._dialog)
        self.page.on("console", self._console)

    def _console(self, message):
        # Chromium reports what the Content-Security-Policy blocked as a console error.
        if message.type == "error" and "Content Security Policy" in message.text:
            self.csp_violations.append(message.text)

    def _dialog(self, dialog):
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def login(self, email: str, password: str, expect_dashboard: bool = True) -> Page:
        page = self.page
        page.goto("/")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password", exact=True).fill(password)   # not "New password"
        page.get_by_role("button", name="Sign in").click()
        if expect_dashboard:
            page.wait_for_url("**/dashboard.html")
            expect(page.locator("#main-nav")).to_be_attached()
        return page

    def login_as(self, role: str) -> Page:
        return self.login(*DEFAULT_USERS[role])

    def token(self) -> str:
        return self.page.evaluate("localStorage.getItem('token')")

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        # Let the last paint land: two animation frames (the second starts after the first painted).
        self.page.evaluate("() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done)))")
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def people(browser, web_stack):
    """people() opens a new browser context; all are closed after the test."""
    opened: list[Session] = []

    def open_session(viewport=None) -> Session:
        session = Session(browser, web_stack.url(), viewport)
        opened.append(session)
        return session

    yield open_session
    for session in opened:
        session.close()
    for session in opened:
        assert not session.errors, f"JavaScript errors: {session.errors}"
        assert not session.csp_violations, f"blocked by the Content-Security-Policy: {session.csp_violations}"


def nav_labels(page: Page) -> list[str]:
    return [re.sub(r"\s*\d+$", "", t.strip()) for t in page.locator("#main-nav ul a").all_inner_texts()]


def goto_and_leave(page: Page, path: str, leads_to) -> None:
    """Open a page whose own script leaves it at once (to the sign-in page on a 401, to the
    dashboard when signed in). goto() waits for "load" by default, and a redirect that
    wins the race aborts that wait (net::ERR_ABORTED); so wait only for the answer to
    arrive ("commit"), then for the page the script leads to."""
    page.goto(path, wait_until="commit")
    page.wait_for_url(leads_to)


def days_ahead(n: int) -> str:
    return (date.today() + timedelta(days=n)).isoformat()


# ---------------------------------------------------------------------------- sign-in
@pytest.mark.parametrize("role", ["admin", "faculty", "student"])
def test_each_default_user_signs_in_and_sees_their_navigation(people, role):
    me = people()
    page = me.login_as(role)
    assert nav_labels(page) == NAV_FOR[role]
    expect(page.locator("#nav-user-role")).to_have_text(role)
    expect(page.locator("#greeting")).to_contain_text("Welcome")
    expect(page.locator("#dash-bookings")).not_to_contain_text("Loading")
    expect(page.locator("#dash-tickets")).not_to_contain_text("Loading")
    if role == "admin":
        expect(page.locator("#health-card")).to_be_visible()
        expect(page.locator("#health-body tr")).to_have_count(6)
        expect(page.locator("#health-overall .pill")).to_have_text("Healthy")
        # Every service answers, maintenance with its classifier checkpoint (run_tests.sh builds it).
        expect(page.locator("#health-body .pill")).to_have_text(["Healthy"] * 6)
    else:
        expect(page.locator("#health-card")).to_be_hidden()
    me.shot(f"dashboard-{role}")
    # A signed-in visit to / goes straight to the dashboard.
    goto_and_leave(page, "/", "**/dashboard.html")


def test_wrong_password_shows_an_error(people):
    me = people()
    page = me.login("student@example.com", "not-the-password", expect_dashboard=False)
    expect(page.locator("#login-error")).to_have_text("Invalid email or password.")
    assert "dashboard" not in page.url
    assert me.token() is None
    me.shot("login-wrong-password")


def test_login_says_so_when_the_service_is_down(people, web_stack):
    me = people()
    page = me.page
    page.goto("/")
    me.shot("login")
    web_stack.services["user-management"].stop()
    try:
        me.login("student@example.com", "student123", expect_dashboard=False)
        error = page.locator("#login-error")
        expect(error).not_to_be_empty()
        assert "Invalid" not in error.inner_text()
        me.shot("login-service-down")
    finally:
        web_stack.services["user-management"].start()


def test_student_opening_users_page_is_told_not_allowed(people):
    me = people()
    page = me.login_as("student")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto("/users.html")
    expect(page.locator("#not-allowed")).to_contain_text("Not allowed")
    expect(page.locator("#users-table")).to_have_count(0)
    # Every request the page started has been answered (none for 500 ms), so a call to
    # /api/users would be in `failed` by now.
    page.wait_for_load_state("networkidle")
    assert not [u for u in failed if "/api/users" in u], failed
    me.shot("users-not-allowed-student")


def test_expired_token_lands_on_login(people, web_stack):
    me = people()
    page = me.page
    past = datetime.now(timezone.utc) - timedelta(hours=1)
    token = jwt.encode({"sub": "someone", "email": "student@example.com", "name": "Old Session", "role": "student",
                        "iat": past - timedelta(hours=24), "exp": past, "jti": uuid.uuid4().hex},
                       TEST_SECRET, algorithm="HS256")
    page.goto("/")
    page.evaluate("t => localStorage.setItem('token', t)", token)
    goto_and_leave(page, "/maintenance.html", re.compile(r"/\?reason=expired"))
    expect(page.locator("#login-notice")).to_contain_text("session has ended")
    expect(page.get_by_label("Email")).to_be_visible()
    assert me.token() is None


def test_revoked_token_and_logout_land_on_login(people, web_stack):
    me = people()
    page = me.login_as("faculty")
    token = me.token()
    user_id = jwt.decode(token, options={"verify_signature": False})["sub"]
    # Leave the dashboard for a file of this site that runs no script: otherwise its own
    # background calls (unread count, live updates) may meet the revocation first and leave
    # for sign-in before the page under test opens.
    page.goto("/favicon.ico")
    assert web_stack.api("POST", "/auth/logout", token).status_code == 200   # revoked elsewhere
    wait_refused_everywhere(web_stack, token, user_id)    # in force at every worker (within a second)
    assert me.token() == token
    goto_and_leave(page, "/booking.html", re.compile(r"/\?reason=expired"))
    assert me.token() is None

    page = me.login_as("faculty")
    token = me.token()
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/\?reason=signedout"))
    expect(page.locator("#login-notice")).to_contain_text("signed out")
    assert me.token() is None
    wait_refused_everywhere(web_stack, token, user_id)    # the server revoked it
    assert web_stack.api("GET", "/auth/me", token).status_code == 401


# ---------------------------------------------------------------------------- booking
def booking_cell(page: Page, room_id: int, slot: str):
    """One cell of the booking page's grid (rooms as rows, slots as columns)."""
    return page.locator(f'#booking-grid button.cell[data-room-id="{room_id}"][data-slot="{slot}"]')


def test_student_books_a_slot_and_a_second_booking_of_it_shows_the_clash(people):
    needs("booking")
    day, slot = days_ahead(3), "10:00 AM - 11:00 AM"
    rival = people()
    rival_page = rival.login_as("faculty")
    rival_page.goto(f"/booking.html?date={day}")
    expect(booking_cell(rival_page, 1, slot)).to_have_attribute("data-state", "free")   # free when the rival looked

    student = people()
    page = student.login_as("student")
    page.goto(f"/booking.html?date={day}")
    expect(page.locator("#booking-grid tbody th[scope=row]")).not_to_have_count(0)
    expect(page.locator("#room-1")).to_contain_text("seats")
    expect(page.locator('#booking-grid button.cell[data-room-id="1"]')).to_have_count(10)
    booking_cell(page, 1, slot).click()
    page.locator("dialog[open]").get_by_label("Purpose (optional)").fill("Study group")
    page.locator("dialog[open]").get_by_role("button", name="Book", exact=True).click()
    expect(page.locator("#grid-message")).to_contain_text("Booked Lecture Hall A")
    expect(booking_cell(page, 1, slot)).to_have_attribute("data-state", "yours")
    expect(booking_cell(page, 1, slot)).to_contain_text("Yours")
    expect(page.locator("#my-bookings")).to_contain_text(slot)
    student.shot("booking")

    page.goto("/dashboard.html")
    expect(page.locator("#dash-bookings")).to_contain_text("Lecture Hall A")
    expect(page.locator("#dash-bookings")).to_contain_text(slot)

    # The rival's page still shows the slot free; booking it shows the server's message.
    booking_cell(rival_page, 1, slot).click()
    rival_page.locator("dialog[open]").get_by_role("button", name="Book", exact=True).click()
    expect(rival_page.locator("dialog[open] .alert-error")).to_contain_text("already booked")
    rival_page.locator("dialog[open]").get_by_role("button", name="Back").click()
    expect(booking_cell(rival_page, 1, slot)).to_have_attribute("data-state", "taken")
    rival.shot("booking-clash")

    # The student cancels their own booking, after a confirmation; the slot is free again.
    page.goto(f"/booking.html?date={day}")
    page.locator("#my-bookings .cancel-booking").first.click()
    expect(page.locator("dialog[open]")).to_contain_text("Lecture Hall A")
    page.locator("dialog[open]").get_by_role("button", name="Cancel booking").click()
    expect(page.locator("#my-bookings")).to_contain_text("No upcoming bookings")
    expect(booking_cell(page, 1, slot)).to_have_attribute("data-state", "free")


def test_booking_again_after_a_lost_answer_books_once(people, web_stack):
    """The first POST reaches the booking service but its answer is lost (the page sees a
    network error); pressing Book again sends the same Idempotency-Key and shows the
    booking made the first time: one booking, never two. The next create has a new key."""
    needs("booking")
    day, slot, other = days_ahead(5), "03:00 PM - 04:00 PM", "04:00 PM - 05:00 PM"
    me = people()
    page = me.login_as("faculty")
    keys: list[str | None] = []

    def lose_the_first_answer(route):
        if route.request.method != "POST":
            route.continue_()
            return
        keys.append(route.request.headers.get("idempotency-key"))
        if len(keys) == 1:
            route.fetch()     # the service books ...
            route.abort()     # ... and the answer never reaches the page
        else:
            route.continue_()

    page.route("**/api/booking/bookings", lose_the_first_answer)
    page.goto(f"/booking.html?date={day}")
    booking_cell(page, 4, slot).click()
    book = page.locator("dialog[open]").get_by_role("button", name="Book", exact=True)
    book.click()
    expect(page.locator("dialog[open] .alert-error")).to_contain_text("cannot be reached")
    book.click()
    expect(page.locator("#grid-message")).to_contain_text("Booked")
    assert len(keys) == 2 and keys[0] and keys[0] == keys[1], keys
    mine = web_stack.api("GET", "/api/booking/bookings", me.token(),
                         params={"room_id": 4, "from": day, "to": day, "status": "confirmed"}).json()
    assert [b["time_slot"] for b in mine["items"]] == [slot]

    booking_cell(page, 4, other).click()
    page.locator("dialog[open]").get_by_role("button", name="Book", exact=True).click()
    expect(page.locator("#grid-message")).to_contain_text(other)
    assert len(keys) == 3 and keys[2] and keys[2] != keys[0], keys


# ---------------------------------------------------------------------------- GPA
def test_faculty_calculates_a_gpa_with_cumulative_and_what_if(people, web_stack):
    needs("gpa-calculator")
    me = people()
    page = me.login_as("faculty")
    page.goto("/gpa.html")
    rows = page.locator(".course-row")
    expect(rows).to_have_count(3)
    # The grades and the credit limits are the service's (GET /meta), not the page's own.
    rules = web_stack.api("GET", "/api/gpa/meta", me.token()).json()
    credits = rules["numbers"]["credits"]
    expect(rows.first.locator(".course-credits")).to_have_attribute("max", f"{credits['maximum']:g}")
    expect(rows.first.locator(".course-credits")).to_have_attribute("step", f"{10 ** -credits['decimals']:g}")
    assert rows.first.locator(".course-grade option").all_inner_texts()[1:] == [g["grade"] for g in rules["grades"]]
    for i, (name, grade, credits) in enumerate([("Calculus", "A", "3"), ("Physics", "B", "4"), ("History", "A", "3")]):
        row = rows.nth(i)
        row.locator(".course-name-input").fill(name)
        row.locator(".course-grade").select_option(grade)
        row.locator(".course-credits").fill(credits)
    page.get_by_role("button", name="Calculate GPA").click()
    expect(page.locator("#gpa-value")).to_have_text("3.60")
    expect(page.locator("#gpa-credits")).to_contain_text("10 credits")

    # A fourth, pass/fail course with a plus grade on another row; then remove it again.
    page.get_by_role("button", name="+ Add course").click()
    expect(rows).to_have_count(4)
    rows.nth(3).locator(".course-pf").check()
    rows.nth(3).locator(".course-grade").select_option("P")
    rows.nth(3).locator(".course-credits").fill("1")
    rows.nth(1).locator(".course-grade").select_option("B+")
    page.get_by_role("button", name="Calculate GPA").click()
    expect(page.locator("#gpa-value")).to_have_text("3.72")   # (12 + 13.2 + 12) / 10
    expect(page.locator("#gpa-credits")).to_contain_text("11 credits")
    rows.nth(3).get_by_role("button", name=re.compile("Remove")).click()
    expect(rows).to_have_count(3)

    page.locator("#cumulative-options summary").click()
    page.get_by_label("GPA so far").fill("3.0")
    page.get_by_label("Credits so far").fill("30")
    page.locator("#whatif-options summary").click()
    page.get_by_label("Target GPA").fill("3.5")
    page.get_by_label("Credits still to take").fill("20")
    page.get_by_role("button", name="Calculate GPA").click()
    expect(page.locator("#cumulative-gpa")).to_contain_text("Cumulative GPA")
    expect(page.locator("#what-if")).to_be_visible()
    me.shot("gpa")

    # A bad row: the server's message is shown at the field it names (issue 17 item 4).
    rows.nth(2).locator(".course-credits").fill("")
    page.get_by_role("button", name="Calculate GPA").click()
    expect(rows.nth(2).locator(".course-credits")).to_have_attribute("aria-invalid", "true")
    expect(rows.nth(2).locator(".field-error")).to_contain_text("redits")
    expect(page.locator("#gpa-error")).to_be_empty()


# ---------------------------------------------------------------------------- maintenance
def file_ticket(page: Page, title: str, description: str, location: str) -> int:
    page.get_by_label("What is wrong?").fill(title)
    page.get_by_label("Details").fill(description)
    page.get_by_label("Where?").fill(location)
    page.get_by_role("button", name="Submit ticket").click()
    expect(page.locator("#ticket-result")).to_be_visible(timeout=60_000)
    text = page.locator("#ticket-result .ticket-title").inner_text()
    return int(re.match(r"#(\d+)", text).group(1))


def test_ticket_gets_classified_and_the_owner_sees_an_admin_change_live(people, web_stack):
    needs("maintenance")
    student = people()
    page = student.login_as("student")
    page.goto("/maintenance.html")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    ticket_id = file_ticket(page, "Water leaking from the ceiling", "Water is dripping from the ceiling onto the desks "
                            "after the pipe upstairs burst.", "Library, room 2.10")
    for cls in ("ticket-category", "ticket-priority", "ticket-sla", "ticket-department"):
        expect(page.locator(f"#ticket-result .{cls}")).not_to_be_empty()
    expect(page.locator("#ticket-result")).not_to_contain_text("Confidence")   # the model's, for staff only
    item = page.locator(f'#ticket-list tr[data-ticket-id="{ticket_id}"]')
    expect(item.locator(".ticket-status")).to_have_text("Open")
    student.shot("maintenance-student")
    page.evaluate("window.__notReloaded = true")

    admin = people()
    admin_page = admin.login_as("admin")
    admin_page.goto("/maintenance.html")
    expect(admin_page.locator("#tickets-title")).to_have_text("Ticket queue")
    admin_item = admin_page.locator(f'#ticket-list tr[data-ticket-id="{ticket_id}"]')
    admin_item.locator(".ticket-open").click()        # the detail panel
    # The moves offered are the service's transition table (GET /meta), not the page's own.
    rules = web_stack.api("GET", "/api/maintenance/meta", admin.token()).json()
    start = rules["initial_status"]
    offered = admin_page.locator("#edit-status option")
    expect(offered).to_have_count(1 + len(rules["transitions"][start]))
    assert offered.evaluate_all("options => options.map((o) => o.value)") == [start, *rules["transitions"][start]]
    admin_page.locator("#edit-status").select_option("in_progress")
    admin_page.get_by_role("button", name="Save changes").click()
    expect(admin_item.locator(".ticket-status")).to_have_text("In progress")

    # The student's open page changed without a reload.
    expect(item.locator(".ticket-status")).to_have_text("In progress")
    expect(page.locator("#live-message")).to_contain_text("in progress")
    assert page.evaluate("window.__notReloaded === true")
    student.shot("maintenance-student-live-update")

    # Admins filter the list.
    admin_page.get_by_label("Status").first.select_option("in_progress")
    expect(admin_page.locator("#ticket-list tr.ticket")).not_to_have_count(0)
    for status in admin_page.locator("#ticket-list .ticket-status").all_inner_texts():
        assert status == "In progress"
    admin.shot("maintenance-admin")

    page.goto("/dashboard.html")
    expect(page.locator(f'#dash-tickets li[data-ticket-id="{ticket_id}"]')).to_contain_text("In progress")


def test_user_text_is_shown_as_text_never_as_html(people, web_stack):
    needs("maintenance", "notification")
    evil = "<img src=x onerror=alert(1)>"
    student = people()
    page = student.login_as("student")
    page.goto("/maintenance.html")
    ticket_id = file_ticket(page, evil, f"Description {evil}", f"Room <b>{evil}</b>")
    item = page.locator(f'#ticket-list tr[data-ticket-id="{ticket_id}"]')
    expect(item.locator(".ticket-title")).to_have_text(f"#{ticket_id} · {evil}")
    expect(page.locator("#ticket-result .ticket-title")).to_contain_text(evil)
    assert page.locator("main img").count() == 0 and page.locator("main b").count() == 0

    # The same for a notification's title and body, and a user's name on the users page.
    admin_token = web_stack.token("admin")
    sent = web_stack.api("POST", "/api/notifications", admin_token,
                         json={"title": evil, "body": f"<script>alert(2)</script>{evil}", "role": "student"})
    assert sent.status_code == 201, sent.text
    page.goto("/notifications.html")
    expect(page.locator(".notification-title").first).to_have_text(evil)
    expect(page.locator(".notification-body").first).to_contain_text("<script>alert(2)</script>")

    admin = people()
    admin_page = admin.login_as("admin")
    made = web_stack.api("POST", "/api/users", admin_token, json={"name": evil, "role": "student", "password": NEW_USER_PASSWORD,
                                                                   "email": f"xss-{uuid.uuid4().hex[:6]}@example.com"})
    assert made.status_code == 201, made.text
    admin_page.goto("/maintenance.html")
    expect(admin_page.locator(f'#ticket-list tr[data-ticket-id="{ticket_id}"] .ticket-title')).to_contain_text(evil)
    admin_page.goto("/users.html")
    expect(admin_page.locator("#users-body .user-name").filter(has_text=evil)).to_have_count(1)
    for session in (student, admin):
        assert session.page.locator("main img").count() == 0
    assert not student.dialogs and not admin.dialogs, (student.dialogs, admin.dialogs)
    student.shot("xss-literal-notifications")


# ---------------------------------------------------------------------------- users
def test_admin_creates_a_user_who_can_then_sign_in(people):
    admin = people()
    page = admin.login_as("admin")
    page.goto("/users.html")
    expect(page.locator("#users-body tr")).not_to_have_count(0)
    email = f"new-{uuid.uuid4().hex[:8]}@example.com"
    page.get_by_label("Name").fill("Nadia New")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Initial password").fill(NEW_USER_PASSWORD)
    page.get_by_label("Role").select_option("faculty")
    page.get_by_role("button", name="Create user").click()
    expect(page.locator("#users-message")).to_contain_text(f"Created Nadia New ({email}) as faculty")
    row = page.locator(f'#users-body tr[data-email="{email}"]')
    expect(row).to_contain_text("faculty")
    admin.shot("users")

    newcomer = people()
    new_page = newcomer.login(email, NEW_USER_PASSWORD)
    assert nav_labels(new_page) == NAV_FOR["faculty"]

    # Edit name and role.
    row.get_by_role("button", name="Edit").click()
    edit = page.locator(f'#users-body tr.editing[data-email="{email}"]')
    edit.get_by_label("Name").fill("Nadia Renamed")
    edit.get_by_label("Role").select_option("student")
    edit.get_by_role("button", name="Save").click()
    expect(row).to_contain_text("Nadia Renamed")
    expect(row).to_contain_text("student")

    # The server's error for the last admin is shown.
    me_row = page.locator('#users-body tr[data-email="admin@example.com"]')
    me_row.get_by_role("button", name="Delete").click()
    me_row.get_by_role("button", name="Yes, delete").click()
    expect(page.locator("#users-message")).to_contain_text("last admin")

    # Delete the new user.
    row.get_by_role("button", name="Delete").click()
    row.get_by_role("button", name="Yes, delete").click()
    expect(page.locator("#users-message")).to_contain_text("Deleted Nadia Renamed")
    expect(page.locator(f'#users-body tr[data-email="{email}"]')).to_have_count(0)


# ---------------------------------------------------------------------------- notifications
def test_notifications_badge_updates_and_marking_read(people):
    needs("notification")
    student = people()
    page = student.login_as("student")
    page.goto("/notifications.html")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#unread-badge")).to_be_hidden()

    admin = people()
    admin_page = admin.login_as("admin")
    admin_page.goto("/notifications.html")
    for n in (1, 2):
        admin_page.get_by_label("Title").fill(f"Library closes early {n}")
        admin_page.get_by_label("Message").fill("The main library closes at 4 PM on Friday.")
        admin_page.get_by_label("Send to").select_option("role")
        admin_page.get_by_label("Role", exact=True).select_option("student")
        admin_page.get_by_role("button", name="Send", exact=True).click()
        admin_page.get_by_role("button", name="Yes, send").click()   # "Send to all N students?"
        expect(admin_page.locator("#send-message")).to_have_text("Sent.")
        admin_page.locator("#send-message").evaluate("n => n.textContent = ''")
    admin.shot("notifications-admin")

    # The badge on the student's open page updates without a reload (poll / focus).
    expect(page.locator("#unread-badge")).to_have_text("2", timeout=30_000)
    page.reload()
    unread = page.locator("#notification-list li.unread")
    expect(unread).to_have_count(2)
    student.shot("notifications")
    unread.first.get_by_role("button", name=re.compile("^Mark read")).click()
    expect(page.locator("#notification-list li.unread")).to_have_count(1)
    expect(page.locator("#unread-badge")).to_have_text("1")
    page.get_by_role("button", name="Mark all as read").click()
    expect(page.locator("#notification-list li.unread")).to_have_count(0)
    expect(page.locator("#unread-badge")).to_be_hidden()


# ---------------------------------------------------------------------------- every page
def test_every_page_loads_cleanly_with_labelled_fields(people):
    me = people()
    page = me.login_as("admin")
    failed: list[str] = []
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    for name in PAGES:
        page.goto(f"/{name}.html")
        expect(page.locator(f'#main-nav a[data-page="{name}"]')).to_have_attribute("aria-current", "page")
        page.wait_for_load_state("networkidle")
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
            .filter(f => f.type !== 'hidden' && !(f.id && document.querySelector(`label[for="${f.id}"]`)))
            .map(f => f.id || f.outerHTML)""")
        assert not unlabelled, f"{name}: fields without <label for>: {unlabelled}"
        me.shot(f"page-{name}-admin")
    assert not failed, failed
    # Keyboard: Tab reaches the skip link first, then the nav.
    page.goto("/dashboard.html")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.className") == "skip-link"


def test_phone_width_layout(people):
    me = people(viewport={"width": 390, "height": 844})
    page = me.login_as("student")
    page.goto("/maintenance.html")
    expect(page.locator("#main-nav")).to_be_hidden()
    page.get_by_role("button", name="Menu").click()
    expect(page.locator("#main-nav")).to_be_visible()
    me.shot("phone-maintenance-menu")
    page.get_by_role("button", name="Menu").click()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"
    for name in ("booking", "gpa", "dashboard"):
        page.goto(f"/{name}.html")
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390, name
        me.shot(f"phone-{name}")


def test_socketio_client_is_served_from_node_modules_not_a_cdn(web_stack):
    import requests

    if not SOCKETIO_CLIENT.is_file():
        pytest.fail("gateway/node_modules is missing: run `npm ci --prefix gateway`")
    response = requests.get(f"{web_stack.url()}/static/vendor/socket.io.min.js", timeout=10)
    assert response.status_code == 200 and "io" in response.text[:2000]
    config = requests.get(f"{web_stack.url()}/config.json", timeout=10).json()
    assert config["socketio_url"] == web_stack.url("maintenance")
    for html in (REPO_ROOT / "gateway" / "static").rglob("*.html"):
        assert not re.search(r"""src=["']https?://""", html.read_text()), f"{html.name} loads a script from elsewhere"
    for js in (REPO_ROOT / "gateway" / "static" / "js").glob("*.js"):
        assert not re.search(r"innerHTML|outerHTML|insertAdjacentHTML|document\.write", js.read_text()), f"{js.name} writes HTML"


# ---------------------------------------------------------------------------- content security policy
# The `people` fixture fails any browser test whose pages the policy blocked something on.
def test_pages_run_under_a_strict_content_security_policy(people):
    me = people()
    page = me.login_as("admin")
    policy = page.goto("/dashboard.html").headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "frame-ancestors 'none'" in policy, policy
    # An injected inline script is refused (and reported), so the policy is in force.
    with page.expect_console_message(lambda m: "Content Security Policy" in m.text):
        ran = page.evaluate("""() => { const s = document.createElement('script');
            s.textContent = 'window.__inlineRan = true'; document.body.append(s); return window.__inlineRan === true; }""")
    assert ran is False
    me.csp_violations.clear()
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info")).to_be_visible()


def test_the_maintenance_port_sends_the_browser_to_the_gateways_ticket_page(people, web_stack):
    needs("maintenance")
    me = people()
    page = me.login_as("student")
    page.goto(web_stack.url("maintenance") + "/")
    expect(page).to_have_url(web_stack.url() + "/maintenance.html")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
