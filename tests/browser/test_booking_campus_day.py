"""The booking page takes "today" and the 6 PM cut-off from the campus (GET /campus on the
booking service), not from the browser's clock and zone; without that answer it still opens
on the campus's today, which the grid (GET /grid) says too."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from tests.harness import DEFAULT_USERS, Stack

pytestmark = pytest.mark.browser
playwright_sync = pytest.importorskip("playwright.sync_api")
from playwright.sync_api import expect  # noqa: E402

CHROMIUM = Path("/usr/bin/chromium")
CAMPUS = "America/Los_Angeles"
ROOM_1_CELLS = '#booking-grid button.cell[data-room-id="1"]'


@pytest.fixture(scope="module")
def campus_evening(tmp_path_factory):
    """A platform whose campus clock reads 19:30 in Los Angeles five days from now: past the
    day's last slot, and a date neither UTC nor a browser in Tokyo has today."""
    if not CHROMIUM.is_file():
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    campus_date = datetime.now(ZoneInfo(CAMPUS)).date() + timedelta(days=5)
    evening = datetime.combine(campus_date, time(19, 30), tzinfo=ZoneInfo(CAMPUS))
    offset = int((evening - datetime.now(timezone.utc)).total_seconds() // 60)
    stack = Stack(tmp_path_factory.mktemp("campus-stack"), "sqlite",
                  extra_env={"BOOKING_TIMEZONE": CAMPUS, "BOOKING_CLOCK_OFFSET_MINUTES": str(offset)})
    try:
        stack.start(["gateway", "user-management", "booking"])
        with playwright_sync.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", "--no-sandbox"])
            yield stack, browser, campus_date
            browser.close()
    finally:
        stack.stop()


def _booking_page(stack, browser, block_campus: bool = False):
    context = browser.new_context(base_url=stack.url(), timezone_id="Asia/Tokyo")
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    if block_campus:
        page.route("**/api/booking/campus", lambda route: route.abort())
    email, password = DEFAULT_USERS["student"]
    page.goto("/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/dashboard.html")
    page.goto("/booking.html")
    return page, errors


def test_the_page_opens_on_the_campus_date_after_the_campus_cut_off(campus_evening):
    stack, browser, campus_date = campus_evening
    page, errors = _booking_page(stack, browser)
    date_input = page.locator("#date")
    expect(date_input).to_have_attribute("min", campus_date.isoformat())
    # 19:30 on campus: today's slots are over, so the page opens on the campus's tomorrow.
    expect(date_input).to_have_value((campus_date + timedelta(days=1)).isoformat())
    expect(page.locator(ROOM_1_CELLS)).to_have_count(10)
    expect(page.locator(f'{ROOM_1_CELLS}[data-state="free"]')).to_have_count(10)
    expect(page.locator("#campus-note")).to_contain_text(f"campus time ({CAMPUS})")
    # Today on campus: every slot has passed, though the browser's clock says otherwise.
    date_input.fill(campus_date.isoformat())
    date_input.dispatch_event("change")
    expect(page.locator(f'{ROOM_1_CELLS}[data-state="past"]')).to_have_count(10)
    assert errors == []


def test_without_the_campus_answer_the_page_opens_on_the_campus_date_the_grid_says(campus_evening):
    stack, browser, campus_date = campus_evening
    page, errors = _booking_page(stack, browser, block_campus=True)
    browser_today = page.evaluate("new Date().toLocaleDateString('en-CA')")   # YYYY-MM-DD in Tokyo
    expect(page.locator("#date")).to_have_value(campus_date.isoformat())
    expect(page.locator("#date")).to_have_attribute("min", campus_date.isoformat())
    expect(page.locator(f'{ROOM_1_CELLS}[data-state="past"]')).to_have_count(10)
    assert browser_today != campus_date.isoformat() and errors == []
