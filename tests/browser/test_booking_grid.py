"""The booking page's rooms-by-hours grid (issue 15 item 8) in a real browser at 1280 px and
390 px: book a free cell, cancel one's own with a confirmation that says what is cancelled,
a pending request in a room that needs approval (approved by an admin on the same page),
a closed cell with its reason, one room at a time on a phone without sideways scrolling,
the keyboard, the calendar link, and the rooms and closures page of admins.

Rooms and closures that a test needs are made through the API as an admin, with names of
their own, so the tests do not depend on one another.
"""
from __future__ import annotations

import json
import re
import uuid
from datetime import date, timedelta

import pytest

from tests.browser.test_frontend import CHROMIUM, Session, browser, people  # noqa: F401 - fixtures used by name
from tests.harness import Stack

pytestmark = pytest.mark.browser
from playwright.sync_api import Page, expect  # noqa: E402

WIDTHS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}
TEN = "10:00 AM - 11:00 AM"
expect.set_options(timeout=15_000)


@pytest.fixture(scope="module")
def web_stack(tmp_path_factory):
    """The platform for this module (it stands in for test_frontend's, so its `people` serves here)."""
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    platform = Stack(tmp_path_factory.mktemp("grid-stack"), "sqlite",
                     extra_env={"BOOKING_TIMEZONE": "America/Los_Angeles"})
    try:
        platform.start(["gateway", "user-management", "booking"])
        yield platform
    finally:
        platform.stop()


@pytest.fixture(scope="module")
def stack(web_stack):
    return web_stack


@pytest.fixture(scope="module")
def admin_token(stack):
    return stack.token("admin")


@pytest.fixture
def person(people, stack):  # noqa: F811 - the imported fixture, by name
    """person(role, width) -> (Session, user): a fresh account (or `user`) signed in. The page's
    own dialogs only: a browser alert or confirm fails the test."""
    opened: list[Session] = []

    def sign_in(role: str = "student", width: str = "desktop", user: dict | None = None):
        user = user or stack.new_user(role)
        session = people(WIDTHS[width])
        opened.append(session)
        session.page.goto("/")
        session.page.evaluate("([token, user]) => { localStorage.setItem('token', token); localStorage.setItem('user', user); }",
                              [user["token"], json.dumps({k: user[k] for k in ("id", "email", "name", "role")})])
        return session, user

    yield sign_in
    assert not [s.dialogs for s in opened if s.dialogs], "the page used a browser dialog instead of its own"


def campus_day(stack, token, ahead: int) -> str:
    today = stack.api("GET", "/api/booking/campus", token).json()["today"]
    return (date.fromisoformat(today) + timedelta(days=ahead)).isoformat()


def new_room(stack, admin_token, **fields) -> dict:
    body = {"name": f"Room {uuid.uuid4().hex[:6]}", "building": "Test Building", "capacity": 12, **fields}
    response = stack.api("POST", "/api/booking/rooms", admin_token, json=body)
    assert response.status_code == 201, response.text
    return response.json()


def open_day(page: Page, day: str, **params) -> None:
    query = "&".join(f"{k}={v}" for k, v in {"date": day, **params}.items())
    page.goto(f"/booking.html?{query}")
    expect(page.locator("#booking-grid")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#grid-summary")).not_to_contain_text("Loading")


def cell(page: Page, room_id: int, slot: str):
    return page.locator(f'#booking-grid button.cell[data-room-id="{room_id}"][data-slot="{slot}"]')


def dialog(page: Page):
    return page.locator("dialog[open]")


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"the page scrolls sideways ({width}px)"


# ---------------------------------------------------------------------------- book and cancel
@pytest.mark.parametrize("width", WIDTHS)
def test_book_a_free_cell_then_cancel_it_after_a_confirmation(person, stack, admin_token, width):
    room = new_room(stack, admin_token, name=f"Seminar {width} {uuid.uuid4().hex[:4]}")
    me, user = person("student", width)
    page = me.page
    day = campus_day(stack, user["token"], 3)
    open_day(page, day, building="Test Building", room=room["id"])
    if width == "phone":
        expect(page.locator("#room-pick")).to_be_visible()
        expect(page.locator("#booking-grid thead")).to_be_hidden()
        # One room at a time: only the chosen room's row shows.
        expect(page.locator("#booking-grid tbody tr:visible")).to_have_count(1)
        no_sideways_scroll(page)
    free = page.get_by_role("button", name=f"{room['name']}, {TEN}, free", exact=True)
    expect(free).to_be_visible()
    expect(free).to_contain_text("Free")
    free.click()
    expect(dialog(page)).to_contain_text(room["name"])
    expect(dialog(page)).to_contain_text(TEN)
    dialog(page).get_by_label("Purpose (optional)").fill("Reading group")
    dialog(page).get_by_role("button", name="Book", exact=True).click()
    expect(dialog(page)).to_have_count(0)
    mine = cell(page, room["id"], TEN)
    expect(mine).to_have_attribute("data-state", "yours")
    expect(mine).to_contain_text("Yours")
    expect(mine).to_have_attribute("aria-label", f"{room['name']}, {TEN}, yours")
    expect(mine).to_be_focused()      # focus stays where the person was
    expect(page.locator("#grid-message")).to_contain_text(f"Booked {room['name']}")
    expect(page.locator("#my-bookings")).to_contain_text(room["name"])
    expect(page.locator("#my-bookings")).to_contain_text("Confirmed")
    me.shot(f"booking-grid-booked-{width}")

    # Cancelling asks first and says what: the room, the day and the slot.
    mine.click()
    expect(dialog(page)).to_contain_text("Cancel your booking?")
    expect(dialog(page)).to_contain_text(room["name"])
    expect(dialog(page)).to_contain_text(TEN)
    expect(dialog(page)).to_contain_text("Reading group")
    keep = dialog(page).get_by_role("button", name="Keep booking")
    expect(keep).to_be_focused()      # the safe choice has the focus
    keep.click()
    expect(mine).to_have_attribute("data-state", "yours")
    mine.click()
    dialog(page).get_by_role("button", name="Cancel booking").click()
    expect(cell(page, room["id"], TEN)).to_have_attribute("data-state", "free")
    expect(page.locator("#grid-message")).to_contain_text(f"Cancelled your booking: {room['name']}")
    expect(page.locator("#my-bookings")).to_contain_text("No upcoming bookings")
    ended = page.locator("#my-bookings li.booking-ended", has_text=room["name"])
    expect(ended).to_contain_text("cancelled")
    expect(ended.get_by_role("button")).to_have_count(0)
    listed = stack.api("GET", "/api/booking/bookings", user["token"], params={"status": "cancelled"}).json()
    assert [b["room_id"] for b in listed["items"]] == [room["id"]]
    if width == "phone":
        no_sideways_scroll(page)


def test_someone_elses_booking_shows_taken_and_a_race_shows_the_clash(person, stack, admin_token):
    room = new_room(stack, admin_token)
    rival = stack.new_user("faculty")
    me, user = person("student")
    page = me.page
    day = campus_day(stack, user["token"], 4)
    open_day(page, day, building="Test Building")
    expect(cell(page, room["id"], TEN)).to_have_attribute("data-state", "free")
    # The rival books it while the page shows it free.
    taken = stack.api("POST", "/api/booking/bookings", rival["token"],
                      json={"room_id": room["id"], "date": day, "time_slot": TEN})
    assert taken.status_code == 201, taken.text
    cell(page, room["id"], TEN).click()
    dialog(page).get_by_role("button", name="Book", exact=True).click()
    expect(dialog(page).get_by_role("alert")).to_contain_text("already")
    dialog(page).get_by_role("button", name="Back").click()
    # The grid was redrawn: the cell is taken, and it explains itself instead of booking.
    expect(cell(page, room["id"], TEN)).to_have_attribute("data-state", "taken")
    expect(cell(page, room["id"], TEN)).to_have_attribute("aria-disabled", "true")
    cell(page, room["id"], TEN).click(force=True)     # aria-disabled: it only explains itself
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#grid-message")).to_contain_text("already booked")


# ---------------------------------------------------------------------------- approval
@pytest.mark.parametrize("width", WIDTHS)
def test_a_room_that_needs_approval_gives_a_pending_request_an_admin_approves(person, stack, admin_token, width):
    room = new_room(stack, admin_token, name=f"Auditorium {width} {uuid.uuid4().hex[:4]}", requires_approval=True)
    me, user = person("student", width)
    page = me.page
    day = campus_day(stack, user["token"], 5)
    open_day(page, day, building="Test Building", room=room["id"])
    expect(page.locator(f"#room-{room['id']}")).to_contain_text("Needs approval")
    page.get_by_role("button", name=f"{room['name']}, {TEN}, free, needs approval", exact=True).click()
    expect(dialog(page)).to_contain_text("needs approval")
    dialog(page).get_by_role("button", name="Send request").click()
    pending = cell(page, room["id"], TEN)
    expect(pending).to_have_attribute("data-state", "pending")
    expect(pending).to_contain_text("Pending")
    expect(page.locator("#grid-message")).to_contain_text("waiting for approval")
    expect(page.locator("#my-bookings")).to_contain_text("Pending approval")
    if width == "phone":
        no_sideways_scroll(page)

    # The slot is held: another student sees it pending and cannot book it.
    other, _ = person("student", width)
    open_day(other.page, day, building="Test Building", room=room["id"])
    expect(cell(other.page, room["id"], TEN)).to_have_attribute("data-state", "pending")
    expect(cell(other.page, room["id"], TEN)).to_have_attribute("aria-disabled", "true")

    # The admin sees the request on the same page and approves it.
    boss, _ = person("admin", width)
    admin_page = boss.page
    open_day(admin_page, day, building="Test Building", room=room["id"])
    request = admin_page.locator("#pending-list li", has_text=room["name"])
    expect(request).to_contain_text(user["name"])
    expect(request).to_contain_text(TEN)
    request.get_by_role("button", name=re.compile("^Approve")).click()
    expect(admin_page.locator("#pending-list")).not_to_contain_text(room["name"])
    expect(admin_page.locator("#approvals-message")).to_contain_text("Approved")
    boss.shot(f"booking-grid-admin-{width}")

    page.reload()
    expect(cell(page, room["id"], TEN)).to_have_attribute("data-state", "yours")
    expect(page.locator("#my-bookings")).to_contain_text("Confirmed")


def test_an_admin_rejects_a_request_with_a_reason(person, stack, admin_token):
    room = new_room(stack, admin_token, requires_approval=True)
    student = stack.new_user("student")
    day = campus_day(stack, student["token"], 6)
    made = stack.api("POST", "/api/booking/bookings", student["token"],
                     json={"room_id": room["id"], "date": day, "time_slot": TEN})
    assert made.status_code == 201 and made.json()["status"] == "pending", made.text
    boss, _ = person("admin")
    page = boss.page
    open_day(page, day, building="Test Building")
    request = page.locator("#pending-list li", has_text=room["name"])
    request.get_by_role("button", name=re.compile("^Reject")).click()
    dialog(page).get_by_role("button", name="Reject request").click()
    reason = dialog(page).get_by_label("Reason (sent to the requester)")
    expect(reason).to_have_attribute("aria-invalid", "true")      # a reason is required
    expect(reason).to_be_focused()
    reason.fill("The hall is set up for exams that week.")
    dialog(page).get_by_role("button", name="Reject request").click()
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#pending-list")).not_to_contain_text(room["name"])
    expect(cell(page, room["id"], TEN)).to_have_attribute("data-state", "free")
    answer = stack.api("GET", f"/api/booking/bookings/{made.json()['id']}", student["token"]).json()
    assert answer["status"] == "rejected" and answer["reason"] == "The hall is set up for exams that week."


def test_an_admin_books_on_behalf_of_a_student(person, stack, admin_token):
    room = new_room(stack, admin_token, building="Behalf Building")
    student = stack.new_user("student")
    boss, admin = person("admin")
    page = boss.page
    day = campus_day(stack, admin_token, 6)
    open_day(page, day, building="Behalf Building")
    cell(page, room["id"], TEN).click()
    dialog(page).get_by_label("Book for").select_option(student["id"])
    dialog(page).get_by_role("button", name="Book", exact=True).click()
    expect(page.locator("#grid-message")).to_contain_text(f"for {student['name']}")
    made = stack.api("GET", "/api/booking/bookings", student["token"]).json()["items"]
    assert [(b["room_id"], b["booked_by"]) for b in made] == [(room["id"], admin["id"])]
    # The student sees who booked it for them.
    me, _ = person("student", user=student)
    open_day(me.page, day, building="Behalf Building")
    expect(cell(me.page, room["id"], TEN)).to_have_attribute("data-state", "yours")
    expect(me.page.locator("#my-bookings")).to_contain_text(f"booked for you by {admin['name']}")


# ---------------------------------------------------------------------------- closures
@pytest.mark.parametrize("width", WIDTHS)
def test_a_closed_room_shows_closed_with_the_reason_and_cannot_be_booked(person, stack, admin_token, width):
    room = new_room(stack, admin_token, building=f"Works Building {width}")
    day = campus_day(stack, admin_token, 7)
    closure = stack.api("POST", "/api/booking/closures", admin_token,
                        json={"room_id": room["id"], "start_date": day, "end_date": day, "reason": "Boiler repair"})
    assert closure.status_code == 201, closure.text
    me, _ = person("student", width)
    page = me.page
    open_day(page, day, building=f"Works Building {width}")
    closed = cell(page, room["id"], TEN)
    expect(closed).to_have_attribute("data-state", "closed")
    expect(closed).to_contain_text("Closed")
    expect(closed).to_contain_text("Boiler repair")
    expect(closed).to_have_attribute("aria-label", f"{room['name']}, {TEN}, closed, Boiler repair")
    expect(page.locator(f'#booking-grid button.cell[data-room-id="{room["id"]}"][data-state="closed"]')).to_have_count(10)
    closed.click(force=True)
    expect(dialog(page)).to_have_count(0)
    expect(page.locator("#grid-message")).to_contain_text("closed")
    expect(page.locator("#grid-message")).to_contain_text("Boiler repair")
    me.shot(f"booking-grid-closed-{width}")
    if width == "phone":
        no_sideways_scroll(page)
    # The day after is open again.
    page.get_by_role("button", name="Next day").click()
    expect(cell(page, room["id"], TEN)).to_have_attribute("data-state", "free")


# ---------------------------------------------------------------------------- phone, keyboard, filters
def test_on_a_phone_one_room_at_a_time_chosen_with_the_select_or_the_arrows(person, stack, admin_token):
    first = new_room(stack, admin_token, building="Phone Building", name=f"Phone A {uuid.uuid4().hex[:4]}")
    second = new_room(stack, admin_token, building="Phone Building", name=f"Phone B {uuid.uuid4().hex[:4]}")
    me, user = person("student", "phone")
    page = me.page
    open_day(page, campus_day(stack, user["token"], 2), building="Phone Building")
    rows = page.locator("#booking-grid tbody tr:visible")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(first["name"])
    page.get_by_label("Room", exact=True).select_option(str(second["id"]))
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(second["name"])
    page.get_by_role("button", name="Next room").click()
    expect(rows).to_contain_text(first["name"])
    # A swipe to the left shows the next room.
    page.locator(".grid-wrap").evaluate("""(area) => {
        const at = (x) => new Touch({identifier: 1, target: area, clientX: x, clientY: 400});
        area.dispatchEvent(new TouchEvent('touchstart', {touches: [at(300)], changedTouches: [at(300)], bubbles: true}));
        area.dispatchEvent(new TouchEvent('touchend', {touches: [], changedTouches: [at(120)], bubbles: true}));
    }""")
    expect(rows).to_contain_text(second["name"])
    expect(page.get_by_label("Room", exact=True)).to_have_value(str(second["id"]))
    # Each cell says its own time, as the column headers are not shown.
    expect(cell(page, first["id"], TEN)).to_contain_text(TEN)
    no_sideways_scroll(page)
    me.shot("booking-grid-phone")


def test_while_the_day_loads_the_frame_shows_with_placeholders(person, stack):
    me, user = person("student")
    page = me.page
    held = []
    page.route("**/api/booking/grid?*", lambda route: held.append(route))    # the answer is slow
    page.goto("/booking.html")
    expect(page.locator("#main-nav")).to_be_attached()
    expect(page.get_by_label("Day", exact=True)).to_be_visible()
    expect(page.locator("#booking-grid")).to_have_attribute("aria-busy", "true")
    expect(page.locator("#booking-grid .cell-loading").first).to_be_visible()
    expect(page.locator("#grid-summary")).to_have_text("Loading rooms…")
    expect(page.locator("#my-bookings")).to_contain_text("No upcoming bookings. Choose a free cell")  # empty: what to do
    assert held, "the page did not ask for the grid"
    for route in held:
        route.continue_()
    page.unroute("**/api/booking/grid?*")
    expect(page.locator("#booking-grid")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#booking-grid button.cell").first).to_be_visible()


def test_the_grid_works_from_the_keyboard_with_a_visible_focus_ring(person, stack, admin_token):
    room = new_room(stack, admin_token, building="Keyboard Building")
    me, user = person("student")
    page = me.page
    open_day(page, campus_day(stack, user["token"], 8), building="Keyboard Building")
    first = cell(page, room["id"], "08:00 AM - 09:00 AM")
    first.focus()
    ring = first.evaluate("b => { const s = getComputedStyle(b); return [s.outlineStyle, parseFloat(s.outlineWidth)]; }")
    assert ring[0] == "solid" and ring[1] >= 2, ring
    # One cell in the Tab order; the arrows move between cells.
    assert page.locator("#booking-grid button.cell[tabindex='0']").count() == 1
    page.keyboard.press("ArrowRight")
    page.keyboard.press("ArrowRight")
    expect(cell(page, room["id"], TEN)).to_be_focused()
    page.keyboard.press("Enter")
    expect(dialog(page)).to_be_visible()
    expect(dialog(page).get_by_label("Purpose (optional)")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog(page)).to_have_count(0)
    expect(cell(page, room["id"], TEN)).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.type("Exam revision")
    page.keyboard.press("Enter")          # submits the dialog's form
    expect(cell(page, room["id"], TEN)).to_have_attribute("data-state", "yours")
    expect(cell(page, room["id"], TEN)).to_be_focused()


def test_filters_narrow_the_rooms_and_an_empty_result_says_what_to_do(person, stack, admin_token):
    wide = new_room(stack, admin_token, building="Filter Building", capacity=200, features=["projector"],
                    accessibility=["hearing loop"])
    small = new_room(stack, admin_token, building="Filter Building", capacity=4)
    me, user = person("student")
    page = me.page
    open_day(page, campus_day(stack, user["token"], 2))
    page.get_by_label("Building").select_option("Filter Building")
    expect(page.locator(f"#room-{small['id']}")).to_be_visible()
    page.get_by_label("Seats at least").fill("150")
    expect(page.locator(f"#room-{small['id']}")).to_have_count(0)
    expect(page.locator(f"#room-{wide['id']}")).to_be_visible()
    page.get_by_label("Accessibility").select_option("hearing loop")
    expect(page.locator("#booking-grid tbody th[scope=row]")).to_have_count(1)
    page.get_by_label("Seats at least").fill("100000")
    expect(page.locator("#booking-grid")).to_contain_text("No room matches these filters.")
    page.get_by_role("button", name="Clear the filters").click()
    expect(page.locator(f"#room-{small['id']}")).to_be_visible()
    # The filters are in the address: a reload shows the same.
    page.get_by_label("Building").select_option("Filter Building")
    expect(page).to_have_url(re.compile(r"building=Filter\+Building"))
    page.reload()
    expect(page.get_by_label("Building")).to_have_value("Filter Building")
    expect(page.locator("#booking-grid tbody th[scope=row]")).to_have_count(2)


# ---------------------------------------------------------------------------- calendar link
def test_add_to_calendar_shows_a_copyable_subscription_link_that_can_be_reset(person, stack):
    me, user = person("faculty")
    page = me.page
    me.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=stack.url())
    page.goto("/booking.html")
    page.get_by_role("button", name="Add to calendar").click()
    link = page.get_by_label("Subscription link")
    expect(link).to_have_value(re.compile(r"^https?://.+\.ics$"))
    url = link.input_value()
    page.get_by_role("button", name="Copy link").click()
    expect(page.locator("#feed-message")).to_contain_text("copied")
    assert page.evaluate("navigator.clipboard.readText()") == url
    import requests

    assert requests.get(url, timeout=30).text.startswith("BEGIN:VCALENDAR")    # no Bearer needed
    page.get_by_role("button", name="Reset link").click()
    dialog(page).get_by_role("button", name="Reset link").click()
    expect(link).not_to_have_value(url)
    assert requests.get(url, timeout=30).status_code == 404


# ---------------------------------------------------------------------------- rooms and closures (admins)
def test_an_admin_adds_and_edits_a_room_and_closes_it_over_a_booking(person, stack, admin_token):
    boss, _ = person("admin")
    page = boss.page
    page.goto("/booking.html")
    page.get_by_role("link", name="Manage rooms and closures").click()
    page.wait_for_url("**/rooms-admin.html")
    expect(page.locator("#room-list")).not_to_have_attribute("aria-busy", "true")
    name = f"Studio {uuid.uuid4().hex[:6]}"
    page.get_by_role("button", name="Add room").click()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")      # errors at the field
    expect(page.get_by_label("Name")).to_be_focused()
    page.get_by_label("Name").fill(name)
    page.locator("#room-building").fill("Arts Building")
    page.get_by_label("Seats").fill("18")
    page.get_by_label("Equipment (comma-separated)").fill("projector, piano")
    page.get_by_label("Bookings need an administrator's approval").check()
    page.get_by_role("button", name="Add room").click()
    expect(page.locator("#room-form-message")).to_contain_text(f"Added {name}")
    item = page.locator("#room-list li", has_text=name)
    expect(item).to_contain_text("needs approval")
    room = next(r for r in stack.api("GET", "/api/booking/rooms", admin_token).json() if r["name"] == name)
    assert room["features"] == ["projector", "piano"] and room["requires_approval"] is True

    # A duplicate name is refused at the field.
    page.get_by_label("Name").fill(name)
    page.locator("#room-building").fill("Arts Building")
    page.get_by_label("Seats").fill("5")
    page.get_by_role("button", name="Add room").click()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")

    item.get_by_role("button", name=f"Edit {name}").click()
    page.get_by_label("Seats").fill("24")
    page.get_by_role("button", name="Save changes").click()
    expect(item).to_contain_text("24 seats")

    # A closure over a booking lists it and cancels it only when confirmed.
    student = stack.new_user("student")
    day = campus_day(stack, admin_token, 9)
    stack.api("PUT", f"/api/booking/rooms/{room['id']}", admin_token,
              json={"name": name, "building": "Arts Building", "capacity": 24, "requires_approval": False})
    booked = stack.api("POST", "/api/booking/bookings", student["token"],
                       json={"room_id": room["id"], "date": day, "time_slot": TEN})
    assert booked.status_code == 201, booked.text
    page.reload()
    page.get_by_label("What closes").select_option("room")
    page.get_by_label("Room", exact=True).select_option(str(room["id"]))
    page.get_by_label("From", exact=True).fill(day)
    page.get_by_label("Until (inclusive)").fill(day)
    page.get_by_label("Reason (shown to everyone)").fill("Floor works")
    page.get_by_role("button", name="Declare closure").click()
    expect(dialog(page)).to_contain_text(TEN)
    dialog(page).get_by_role("button", name="Close and cancel them").click()
    expect(page.locator("#closure-form-message")).to_contain_text("1 booking cancelled")
    expect(page.locator("#closure-list")).to_contain_text(f"{name}: Floor works")
    assert stack.api("GET", f"/api/booking/bookings/{booked.json()['id']}", student["token"]).json()["status"] == "cancelled"

    item.get_by_role("button", name=f"Retire {name}").click()
    dialog(page).get_by_role("button", name="Retire room").click()
    expect(page.locator("#room-list")).not_to_contain_text(name)
    boss.shot("rooms-admin")


def test_the_rooms_page_tells_a_student_it_is_for_admins(person):
    me, _ = person("student")
    me.page.goto("/rooms-admin.html")
    expect(me.page.locator("#not-allowed")).to_contain_text("Not allowed")


# ---------------------------------------------------------------------------- axe-core
@pytest.mark.parametrize("width", WIDTHS)
def test_no_serious_axe_violations_with_every_cell_state_an_open_dialog_and_the_rooms_page(person, stack,
                                                                                          admin_token, width):
    """test_accessibility.py scans the pages as they open; this scans what only a test that
    makes data sees: a grid with yours, pending, taken, closed cells, the booking dialog, and
    the rooms and closures page."""
    from tests.browser.test_accessibility import FAILING, axe_source, describe, run_axe

    plain = new_room(stack, admin_token, building=f"Axe Building {width}")
    approval = new_room(stack, admin_token, building=f"Axe Building {width}", requires_approval=True)
    shut = new_room(stack, admin_token, building=f"Axe Building {width}")
    other = stack.new_user("student")
    boss, user = person("admin", width)
    day = campus_day(stack, admin_token, 10)
    for token, room in ((user["token"], plain), (other["token"], approval)):
        made = stack.api("POST", "/api/booking/bookings", token, json={"room_id": room["id"], "date": day, "time_slot": TEN})
        assert made.status_code == 201, made.text
    closed = stack.api("POST", "/api/booking/closures", admin_token,
                       json={"room_id": shut["id"], "start_date": day, "end_date": day, "reason": "Painting"})
    assert closed.status_code == 201, closed.text
    boss.context.add_init_script(axe_source())
    page = boss.page
    open_day(page, day, building=f"Axe Building {width}")
    expect(cell(page, plain["id"], TEN)).to_have_attribute("data-state", "yours")
    expect(cell(page, shut["id"], TEN)).to_have_attribute("data-state", "closed")
    expect(cell(page, approval["id"], TEN)).to_have_attribute("data-state", "pending")
    expect(page.locator("#pending-list")).to_contain_text(approval["name"])
    failing = [v for v in run_axe(page) if v["impact"] in FAILING]
    assert not failing, describe(failing, f"the booking grid, {width}")

    if width == "phone":
        page.get_by_label("Room", exact=True).select_option(str(plain["id"]))
    page.get_by_role("button", name=f"{plain['name']}, 11:00 AM - 12:00 PM, free", exact=True).click()
    expect(dialog(page).get_by_label("Book for")).to_be_visible()      # admins may book on behalf
    failing = [v for v in run_axe(page) if v["impact"] in FAILING]
    assert not failing, describe(failing, f"the booking dialog, {width}")
    page.keyboard.press("Escape")

    page.goto("/rooms-admin.html")
    expect(page.locator("#room-list")).not_to_have_attribute("aria-busy", "true")
    expect(page.locator("#closure-list")).to_contain_text("Painting")
    failing = [v for v in run_axe(page) if v["impact"] in FAILING]
    assert not failing, describe(failing, f"the rooms and closures page, {width}")
    if width == "phone":
        no_sideways_scroll(page)
