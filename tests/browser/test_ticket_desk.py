"""The ticket desk in a real browser, at 1280 and 390 px: the admins' queue in the order that
needs action ("Fire alarm going off" above "Lost and found"), its counters and search, the
detail panel with its timeline, comments from the reporter and from staff (an internal
note the reporter never sees), a status change for several tickets, and a phone page that
stays narrow."""
from __future__ import annotations

import uuid

import pytest

from tests.browser.test_frontend import browser, needs, people, web_stack  # noqa: F401 - fixtures used by name

pytestmark = pytest.mark.browser
from playwright.sync_api import expect  # noqa: E402

WIDTHS = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 390, "height": 844}}


def file_ticket(stack, token, title, description, location) -> dict:
    response = stack.api("POST", "/api/maintenance/tickets", token,
                         json={"title": title, "description": description, "location": location})
    assert response.status_code == 201, response.text
    return response.json()


def set_priority(stack, admin, ticket, priority) -> None:
    if ticket["priority"] != priority:
        response = stack.api("PUT", f"/api/maintenance/tickets/{ticket['id']}", admin,
                             json={"priority": priority, "priority_reason": "browser test"})
        assert response.status_code == 200, response.text


def assert_fits(page, width: int) -> None:
    """No sideways scrolling of the page (a table may scroll inside its own box)."""
    scroll = page.evaluate("document.documentElement.scrollWidth")
    assert scroll <= width + 1, f"the page is {scroll} px wide at {width} px"


@pytest.mark.parametrize("size", list(WIDTHS))
def test_queue_detail_and_conversation(people, web_stack, size):  # noqa: F811 - fixtures
    needs("maintenance")
    viewport = WIDTHS[size]
    admin_token = web_stack.token("admin")
    reporter = web_stack.new_user("student", admin_token)
    place = f"Annex{uuid.uuid4().hex[:6]}"
    lost = file_ticket(web_stack, reporter["token"], "Lost and found", "A blue umbrella was left at the desk", place)
    alarm = file_ticket(web_stack, reporter["token"], "Fire alarm going off", "The alarm rings on floor 2", place)
    set_priority(web_stack, admin_token, lost, "standard")
    set_priority(web_stack, admin_token, alarm, "urgent")

    staff = people(viewport)
    page = staff.login_as("admin")
    page.goto("/maintenance.html")
    expect(page.locator("#tickets-title")).to_have_text("Ticket queue")
    expect(page.locator("#count-urgent .counter-n")).not_to_have_text("0")
    page.get_by_label("Search").fill(place)
    rows = page.locator("#ticket-list tr.ticket")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Fire alarm going off")                 # what needs action first
    expect(rows.nth(1)).to_contain_text("Lost and found")
    expect(rows.nth(0).locator(".col-priority")).to_have_text("Urgent")
    assert_fits(page, viewport["width"])
    staff.shot(f"ticket-desk-queue-{size}")

    rows.nth(0).locator(".ticket-open").click()
    panel = page.locator("#ticket-detail")
    expect(panel).to_be_visible()
    expect(panel.locator("#detail-title")).to_have_text(f"#{alarm['id']} · Fire alarm going off")
    expect(panel.locator("#detail-timeline")).to_contain_text("Reported")
    expect(panel.locator("#detail-timeline")).to_contain_text("Classified")
    page.get_by_label("Add a comment").fill("Internal: call the fire service contractor")
    page.get_by_label("Internal note").check()
    page.get_by_role("button", name="Send").click()
    expect(panel.locator("#detail-comments li.internal")).to_contain_text("call the fire service contractor")
    page.get_by_label("Add a comment").fill("Someone is on the way")
    page.get_by_role("button", name="Send").click()
    expect(panel.locator("#detail-comments li")).to_have_count(2)
    # Assign it to oneself: the queue row says so.
    page.locator("#edit-assignee").select_option(index=1)
    page.get_by_role("button", name="Save changes").click()
    expect(panel.locator(".detail-assignee")).not_to_have_text("—")
    expect(page.locator("#filter-assignee")).to_have_value("")                  # the queue's filter untouched
    expect(rows).to_have_count(2)
    if size == "desktop":
        expect(rows.nth(0).locator(".ticket-assignee")).not_to_have_text("—")
    assert_fits(page, viewport["width"])
    staff.shot(f"ticket-desk-detail-{size}")

    # The reporter opens the ticket from a notification's link: the public comment, never the note.
    student = people(viewport)
    mine = student.login(reporter["email"], reporter["password"])
    mine.goto(f"/maintenance.html?ticket={alarm['id']}")
    own_panel = mine.locator("#ticket-detail")
    expect(own_panel.locator("#detail-comments")).to_contain_text("Someone is on the way")
    expect(own_panel.locator("#detail-comments")).not_to_contain_text("fire service contractor")
    expect(own_panel.locator("#detail-admin")).to_be_hidden()
    expect(own_panel.get_by_label("Internal note")).to_be_hidden()
    mine.get_by_label("Add a comment").fill("Thank you, it is still ringing")
    mine.get_by_role("button", name="Send").click()
    expect(own_panel.locator("#detail-comments li")).to_have_count(2)
    expect(own_panel.locator("#detail-comments")).to_contain_text("Thank you, it is still ringing")
    expect(mine.locator("body")).not_to_contain_text("Confidence")
    expect(mine.locator("body")).not_to_contain_text("% sure")
    expect(mine.locator("#ticket-list tr.ticket")).to_have_count(2)         # own tickets only
    assert_fits(mine, viewport["width"])
    student.shot(f"ticket-desk-reporter-{size}")

    # Staff see the reporter's answer (live, or on the next open).
    rows.nth(0).locator(".ticket-open").click()
    expect(panel.locator("#detail-comments")).to_contain_text("Thank you, it is still ringing")


def test_bulk_status_change_from_the_queue(people, web_stack):  # noqa: F811 - fixtures
    needs("maintenance")
    admin_token = web_stack.token("admin")
    reporter = web_stack.new_user("student", admin_token)
    place = f"Depot{uuid.uuid4().hex[:6]}"
    for title in ("Tap drips", "Door squeaks"):
        file_ticket(web_stack, reporter["token"], title, f"{title} in the depot", place)
    staff = people()
    page = staff.login_as("admin")
    page.goto("/maintenance.html")
    page.get_by_label("Search").fill(place)
    rows = page.locator("#ticket-list tr.ticket")
    expect(rows).to_have_count(2)
    page.get_by_label("Select all on this page").check()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.locator("#bulk-status").select_option("in_progress")
    page.get_by_role("button", name="Set status").click()
    expect(page.locator("#tickets-error")).to_contain_text("2 tickets set to in progress")
    expect(rows.locator(".ticket-status")).to_have_text(["In progress", "In progress"])
