"""The ticket desk against the real platform, on SQLite and PostgreSQL: the admins' queue
(order, filters, text search, counters), the ticket (timeline, comments, internal notes,
assignee, priority override, bulk status change, their notifications), what a reporter
sees, and the SLA escalation job run by two instances at once."""
from __future__ import annotations

import uuid

import pytest

from tests.harness import ServiceProcess, assert_envelope, free_port, wait_until

TICKETS = "/api/maintenance/tickets"


def create(stack, token, title, description, location):
    response = stack.api("POST", TICKETS, token, json={"title": title, "description": description,
                                                       "location": location})
    assert response.status_code == 201, response.text
    return response.json()


def put(stack, token, ticket_id, **body):
    return stack.api("PUT", f"{TICKETS}/{ticket_id}", token, json=body)


def detail(stack, token, ticket_id) -> dict:
    response = stack.api("GET", f"{TICKETS}/{ticket_id}", token)
    assert response.status_code == 200, response.text
    return response.json()


def queue(stack, token, **params) -> dict:
    response = stack.api("GET", TICKETS, token, params={"per_page": 100, **params})
    assert response.status_code == 200, response.text
    return response.json()


def comment(stack, token, ticket_id, body, internal=False):
    return stack.api("POST", f"{TICKETS}/{ticket_id}/comments", token, json={"body": body, "internal": internal})


def me(stack, token) -> dict:
    body = stack.api("GET", "/auth/me", token).json()
    return body.get("user", body)


def set_priority(stack, admin, ticket, priority):
    if ticket["priority"] != priority:
        response = put(stack, admin, ticket["id"], priority=priority, priority_reason="test setup")
        assert response.status_code == 200, response.text


def notifications(stack, token) -> list[dict]:
    response = stack.api("GET", "/api/notifications", token, params={"per_page": 100})
    assert response.status_code == 200, response.text
    return response.json()["notifications"]


# ----------------------------------------------------------------------------- the queue
def test_the_queue_puts_what_needs_action_first(stack, tokens):
    """The report: "Fire alarm going off" (due in 2 h) sat under "Lost and found"."""
    admin, student = tokens["admin"], tokens["student"]
    place = f"Block {uuid.uuid4().hex[:8]}"
    lost = create(stack, student, "Lost and found", "Someone left a blue umbrella at the reception", place)
    later = create(stack, student, "Poster fell off", "A poster in the corridor fell off the wall", place)
    alarm = create(stack, student, "Fire alarm going off", "The fire alarm is ringing on the second floor", place)
    late = create(stack, student, "Desk lamp broken", "The desk lamp in the study room does not work", place)
    done = create(stack, student, "Bin full", "The bin by the entrance is full", place)
    for ticket, priority in ((lost, "standard"), (later, "standard"), (alarm, "urgent"), (late, "standard"),
                             (done, "urgent")):
        set_priority(stack, admin, ticket, priority)
    # An operator's clock jump: this one was due yesterday.
    stack.sql("tickets.db", "UPDATE tickets SET sla_due_at = ? WHERE id = ?", ("2020-01-01T00:00:00.000000Z", late["id"]))
    for status in ("in_progress", "resolved"):
        assert put(stack, admin, done["id"], status=status).status_code == 200

    body = queue(stack, admin, q=place)
    assert [t["id"] for t in body["items"]] == [late["id"], alarm["id"], lost["id"], later["id"], done["id"]]
    assert [t["overdue"] for t in body["items"]] == [True, False, False, False, False]
    assert body["total"] == 5 and body["page"] == 1 and body["per_page"] == 100
    # Paged, the order holds across pages.
    first, second = queue(stack, admin, q=place, per_page=2), queue(stack, admin, q=place, per_page=2, page=2)
    assert [t["id"] for t in first["items"] + second["items"]] == [late["id"], alarm["id"], lost["id"], later["id"]]
    assert first["pages"] == 3 and first["total"] == 5
    # The reporter's own list stays newest first.
    own = queue(stack, student, q=place)
    assert [t["id"] for t in own["items"]] == sorted((t["id"] for t in body["items"]), reverse=True)


def test_queue_filters_search_and_counters(stack, tokens):
    admin = tokens["admin"]
    admin_id = me(stack, admin)["id"]
    reporter = stack.new_user("student")
    place = f"Wing {uuid.uuid4().hex[:8]}"
    before = queue(stack, admin)["counters"]
    leak = create(stack, reporter["token"], "Leaking radiator", "Water is leaking from the radiator valve", place)
    projector = create(stack, reporter["token"], "Projector flickers", "The projector flickers during lectures",
                       f"Lecture hall of {place}")
    urgent = create(stack, reporter["token"], "Smoke from a socket", "An extension cable under the reception desk "
                    "started smoking", place)
    set_priority(stack, admin, urgent, "urgent")
    set_priority(stack, admin, leak, "standard")
    set_priority(stack, admin, projector, "standard")
    after = queue(stack, admin)["counters"]
    assert after["urgent"] == before["urgent"] + 1 and after["unassigned"] == before["unassigned"] + 3
    assert put(stack, admin, leak["id"], assignee_id=admin_id).status_code == 200
    assert queue(stack, admin)["counters"]["unassigned"] == before["unassigned"] + 2

    def ids(**params):
        return [t["id"] for t in queue(stack, admin, **{"q": place, **params})["items"]]
    # Text search: stems ("leaks" finds "leaking"), prefixes ("proj"), any of title, description, location.
    assert ids(q=f"{place} leaks") == [leak["id"]]
    assert ids(q=f"{place} proj") == [projector["id"]]
    assert ids(q=f"{place} reception smoking") == [urgent["id"]]
    assert set(ids(q=f"lecture hall {place}")) == {projector["id"]}
    assert ids(q=f"{place} nothingmatcheshere") == []
    assert ids(assignee="mine") == [leak["id"]] == ids(assignee=admin_id)
    assert set(ids(assignee="unassigned")) == {projector["id"], urgent["id"]}
    assert ids(priority="urgent") == [urgent["id"]]
    assert ids(overdue="true") == [] and len(ids(overdue="false")) == 3
    assert put(stack, admin, projector["id"], status="in_progress").status_code == 200
    assert ids(status="in_progress") == [projector["id"]]
    assert set(ids(status="open,in_progress")) == {leak["id"], projector["id"], urgent["id"]}
    assert ids(department=projector["department"], category=projector["category"]) == [projector["id"]]
    # Nothing a search syntax would read as an operator gets through; never a 500.
    for odd in ('" OR 1=1 --', "proj* NEAR/2 (x", "a:* & !b | c", "\\'; DROP TABLE tickets; --", "__", "ü"):
        assert stack.api("GET", TICKETS, admin, params={"q": odd}).status_code == 200
    for bad in ("overdue=maybe", "status=open,done", "priority=high", "q=" + "x" * 201):
        assert_envelope(stack.api("GET", f"{TICKETS}?{bad}", admin), 400)
    # A reporter's search never reaches other people's tickets.
    other = stack.new_user("student")
    assert queue(stack, other["token"], q=place)["items"] == []
    assert queue(stack, other["token"])["counters"] == {"urgent": 0, "overdue": 0, "unassigned": 0}


# ----------------------------------------------------------------------------- the ticket
def test_assignee_priority_override_and_timeline(stack, tokens):
    admin = tokens["admin"]
    helper = stack.new_user("admin")
    reporter = stack.new_user("student")
    ticket = create(stack, reporter["token"], "Door smashed", "Someone broke into the storage room last night, "
                    "door smashed, equipment gone", "Storage B")
    target = "standard" if ticket["priority"] == "urgent" else "urgent"
    assert_envelope(put(stack, admin, ticket["id"], priority=target), 400)                 # a reason is required
    assert_envelope(put(stack, admin, ticket["id"], priority_reason="why"), 400)
    changed = put(stack, admin, ticket["id"], priority=target, priority_reason="Checked with security").json()
    assert changed["priority"] == target and changed["sla_hours"] != ticket["sla_hours"]
    assert changed["sla_due_at"] != ticket["sla_due_at"]
    # Assignee: an admin's id; a student's or an unknown one is a field error; null unassigns.
    for wrong in (reporter["id"], "no-such-user-id"):
        body = assert_envelope(put(stack, admin, ticket["id"], assignee_id=wrong), 400, "validation_error")
        assert body["details"][0]["field"] == "assignee_id"
    assigned = put(stack, admin, ticket["id"], assignee_id=helper["id"]).json()
    assert (assigned["assignee_id"], assigned["assignee_name"]) == (helper["id"], helper["name"])
    assert put(stack, admin, ticket["id"], assignee_id=None).json()["assignee_id"] is None
    assert_envelope(put(stack, reporter["token"], ticket["id"], assignee_id=helper["id"]), 403)

    timeline = detail(stack, reporter["token"], ticket["id"])["history"]
    assert [(e["event_type"], e["old_value"], e["new_value"]) for e in timeline] == [
        ("created", None, "open"), ("classified", None, ticket["category"]),
        ("priority_changed", ticket["priority"], target),
        ("assigned", None, helper["name"]), ("assigned", helper["name"], None)]
    assert timeline[2]["comment"] == "Checked with security"


def test_comments_internal_notes_and_who_hears_of_them(stack, tokens):
    admin = tokens["admin"]
    helper = stack.new_user("admin")
    reporter, stranger = stack.new_user("student"), stack.new_user("faculty")
    ticket = create(stack, reporter["token"], "Heater broken", "The heater in room 12 is cold", "Room 12")
    tid = ticket["id"]
    assert put(stack, admin, tid, assignee_id=helper["id"]).status_code == 200

    mine = comment(stack, reporter["token"], tid, "It is freezing in here")
    assert mine.status_code == 201, mine.text
    assert {k: mine.json()[k] for k in ("body", "author_name", "author_role", "internal")} == {
        "body": "It is freezing in here", "author_name": reporter["name"], "author_role": "student", "internal": False}
    assert comment(stack, admin, tid, "A technician comes at 3 pm").status_code == 201
    note = f"Internal: the part is on order {uuid.uuid4().hex[:6]}"
    assert comment(stack, admin, tid, note, internal=True).status_code == 201
    assert_envelope(comment(stack, reporter["token"], tid, "sneaky", internal=True), 403)
    assert_envelope(comment(stack, stranger["token"], tid, "not mine"), 404)
    assert_envelope(comment(stack, reporter["token"], tid, "   "), 400)
    assert_envelope(comment(stack, reporter["token"], 10**9, "nothing here"), 404)

    seen_by_reporter = detail(stack, reporter["token"], tid)["comments"]
    assert [c["body"] for c in seen_by_reporter] == ["It is freezing in here", "A technician comes at 3 pm"]
    seen_by_staff = detail(stack, admin, tid)["comments"]
    assert [(c["body"], c["internal"]) for c in seen_by_staff][-1] == (note, True) and len(seen_by_staff) == 3
    staff_view = detail(stack, admin, tid)
    assert staff_view["first_response_at"] is not None

    # The reporter hears of the staff's public comment, never of the internal note; the
    # assignee of every comment someone else wrote, and of a reopening.
    wait_until(lambda: any("technician comes at 3 pm" in n["body"] for n in notifications(stack, reporter["token"])),
               30, message="the reporter's notification of the public comment")
    assert not any(note in n["body"] for n in notifications(stack, reporter["token"]))
    for step in ("in_progress", "resolved", "open"):
        assert put(stack, admin, tid, status=step).status_code == 200

    def assignee_heard():
        titles = [n["title"] for n in notifications(stack, helper["token"])]
        return (f"New comment on ticket #{tid}" in titles and f"Internal note on ticket #{tid}" in titles
                and f"Ticket #{tid} reopened" in titles and titles)
    wait_until(assignee_heard, 30, message="the assignee's notifications")
    linked = [n for n in notifications(stack, reporter["token"]) if f"#{tid}" in n["title"]]
    assert linked and all(n.get("link") == f"/maintenance.html?ticket={tid}" for n in linked)


def test_bulk_status_change_is_all_or_nothing(stack, tokens):
    admin = tokens["admin"]
    reporter = stack.new_user("student")
    a = create(stack, reporter["token"], "Tap drips", "The tap in the kitchen drips", "Kitchen 1")
    b = create(stack, reporter["token"], "Tap drips too", "The other tap in the kitchen drips", "Kitchen 1")
    moved = stack.api("POST", f"{TICKETS}/bulk-status", admin, json={"ids": [b["id"], a["id"]], "status": "in_progress"})
    assert moved.status_code == 200, moved.text
    assert moved.json()["changed"] == 2 and [t["id"] for t in moved.json()["items"]] == [b["id"], a["id"]]
    assert all(t["status"] == "in_progress" for t in moved.json()["items"])
    assert put(stack, admin, a["id"], status="resolved").status_code == 200
    # a (resolved) may be closed, b (in progress) may not: nothing changes.
    refused = stack.api("POST", f"{TICKETS}/bulk-status", admin, json={"ids": [a["id"], b["id"]], "status": "closed"})
    body = assert_envelope(refused, 409, "invalid_transition")
    assert body["details"]["refused"] == [{"id": b["id"], "from": "in_progress", "allowed": ["resolved"]}]
    assert detail(stack, admin, a["id"])["status"] == "resolved"                             # none was changed
    assert_envelope(stack.api("POST", f"{TICKETS}/bulk-status", admin, json={"ids": [a["id"], 10**9],
                                                                          "status": "closed"}), 404)
    assert detail(stack, admin, a["id"])["status"] == "resolved"
    assert_envelope(stack.api("POST", f"{TICKETS}/bulk-status", admin, json={"ids": [a["id"], a["id"]],
                                                                          "status": "closed"}), 400)
    assert_envelope(stack.api("POST", f"{TICKETS}/bulk-status", admin, json={"ids": [], "status": "closed"}), 400)
    for service, path in (("gateway", f"{TICKETS}/bulk-status"), ("maintenance", "/tickets/bulk-status")):
        assert_envelope(stack.api("POST", path, reporter["token"], service=service,
                                  json={"ids": [a["id"]], "status": "closed"}), 403)
    wait_until(lambda: any(n["title"] == f"Ticket #{b['id']} in progress" for n in notifications(stack, reporter["token"])),
               30, message="the reporter's notification of the bulk change")


# ----------------------------------------------------------------------------- what reporters see
def test_a_reporter_sees_own_tickets_timeline_and_public_comments_only(stack, tokens):
    admin = tokens["admin"]
    alice, bob = stack.new_user("student"), stack.new_user("student")
    place = f"Lab {uuid.uuid4().hex[:8]}"
    first = create(stack, bob["token"], "Projector broken", "The projector in the room does not turn on", place)
    mine = create(stack, alice["token"], "Projector not working", "The projector in the room won't turn on", place)
    assert mine["confidence"] is None and "confidence" in mine          # the field is there, its value is not
    assert comment(stack, admin, mine["id"], "Internal: swap the lamp", internal=True).status_code == 201
    assert comment(stack, admin, mine["id"], "We will swap the lamp").status_code == 201
    assert put(stack, admin, mine["id"], status="in_progress").status_code == 200

    listed = queue(stack, alice["token"])
    assert [t["id"] for t in listed["items"]] == [mine["id"]]
    assert all(t["confidence"] is None for t in listed["items"])
    seen = detail(stack, alice["token"], mine["id"])
    assert seen["confidence"] is None and seen["status"] == "in_progress" and seen["sla_due_at"]
    assert [c["body"] for c in seen["comments"]] == ["We will swap the lamp"]
    assert [e["event_type"] for e in seen["history"]][:2] == ["created", "classified"]
    assert "status_changed" in [e["event_type"] for e in seen["history"]]
    assert "confidence" not in repr(seen["history"]).lower()
    # Someone else's ticket: neither its id nor the ticket itself.
    if first.get("classification_method") == "model" and seen["similar_report_exists"]:
        assert seen["possible_duplicate_of"] is None
        assert all(e["new_value"] is None for e in seen["history"] if e["event_type"] == "duplicate_flagged")
    assert str(first["id"]) not in {str(e["new_value"]) for e in seen["history"]}
    assert_envelope(stack.api("GET", f"{TICKETS}/{first['id']}", alice["token"]), 404)
    # Staff see the rest.
    staff = detail(stack, admin, mine["id"])
    assert staff["confidence"] is not None and len(staff["comments"]) == 2


# ----------------------------------------------------------------------------- SLA escalation
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_escalations_go_out_once_with_two_instances(make_stack, backend):
    """Both instances (two workers each) run the job every 0.2 s over one database; every
    ticket is due at once (0-hour SLAs), so each instance sees every escalation due."""
    platform = make_stack(backend, {"MAINTENANCE_SLA_URGENT_HOURS": "0", "MAINTENANCE_SLA_STANDARD_HOURS": "0",
                                    "MAINTENANCE_ESCALATION_SECONDS": "0.2"})
    platform.start(["gateway", "user-management", "notification", "maintenance"])
    port = free_port()
    second = ServiceProcess(platform, "maintenance", port, {**platform.env, "MAINTENANCE_PORT": str(port)})
    platform.services["maintenance-b"] = second
    second.start(timeout=180)
    admin, student = platform.token("admin"), platform.token("student")
    first = create(platform, student, "Wobbly chair", "A chair in room 3 wobbles", "Room 3")
    urgent = create(platform, student, "Cable smoking", "An extension cable started smoking", "Reception")
    set_priority(platform, admin, urgent, "urgent")

    def escalations(ticket_id):
        return sorted(e["new_value"] for e in detail(platform, admin, ticket_id)["history"]
                      if e["event_type"] == "escalated")
    wait_until(lambda: escalations(first["id"]) == ["overdue"]
               and escalations(urgent["id"]) == ["overdue", "urgent_half_unassigned"], 30,
               message="both escalations")
    # A ticket filed later is escalated too: the jobs kept running after the first ones.
    late = create(platform, student, "Bulb out", "The bulb in the hall is out", "Hall")
    wait_until(lambda: escalations(late["id"]) == ["overdue"], 30, message="the later escalation")
    assert escalations(first["id"]) == ["overdue"]
    assert escalations(urgent["id"]) == ["overdue", "urgent_half_unassigned"]
    claims = platform.sql("tickets.db", "SELECT ticket_id, threshold FROM ticket_escalations ORDER BY ticket_id, "
                                        "threshold")
    assert [(int(t), h) for t, h in claims] == [(first["id"], "overdue"), (urgent["id"], "overdue"),
                                                 (urgent["id"], "urgent_half_unassigned"), (late["id"], "overdue")]

    # Nobody assigned: every admin hears of it, once.
    def admin_titles():
        return [n["title"] for n in notifications(platform, admin)]
    wait_until(lambda: f"Ticket #{late['id']} is overdue" in admin_titles(), 30, message="the admins' notice")
    titles = admin_titles()
    assert titles.count(f"Ticket #{first['id']} is overdue") == 1
    assert titles.count(f"Urgent ticket #{urgent['id']} has nobody assigned") == 1
    # The reporter is not told of escalations, nor shown them.
    assert "escalated" not in [e["event_type"] for e in detail(platform, student, urgent["id"])["history"]]


# ----------------------------------------------------------------------------- analytics' sums
def test_ticket_stats_agree_with_the_tickets(stack, tokens):
    """After everything the tests on this platform did (creates, moves, overrides, bulk
    changes, comments), the sums the triggers kept equal the tickets counted afresh."""
    reporter = stack.new_user("student")
    ticket = create(stack, reporter["token"], "Bin full", "The bin by the door is full", "Door")
    for status in ("in_progress", "resolved", "open"):
        assert put(stack, tokens["admin"], ticket["id"], status=status).status_code == 200
    counted = stack.sql("tickets.db", "SELECT status, category, priority, department, classification_method, "
                                      "COUNT(*), COUNT(resolution_hours), COUNT(first_response_hours), COUNT(sla_met) "
                                      "FROM tickets GROUP BY status, category, priority, department, "
                                      "classification_method")
    kept = stack.sql("tickets.db", "SELECT status, category, priority, department, method, n, resolved, responded, "
                                   "judged FROM ticket_stats WHERE n > 0")
    assert sorted(tuple(int(v) if isinstance(v, (int, float)) else v for v in r) for r in counted) == \
        sorted(tuple(int(v) if isinstance(v, (int, float)) else v for v in r) for r in kept)
    assert len(kept) > 1
