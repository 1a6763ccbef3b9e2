"""Concurrent changes of one ticket (issue 12, item 5): every update reads the ticket under
a row lock, so parallel changes queue and the history is one chain, on SQLite and
PostgreSQL."""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

CATEGORIES = ["Plumbing", "Electrical", "Carpentry", "Cleaning"]


def test_twenty_parallel_category_changes_make_one_history_chain(stack, tokens):
    owner = stack.new_user("student")
    filed = stack.api("POST", "/api/maintenance/tickets", owner["token"],
                      json={"title": "Squeaky door", "description": "The office door squeaks when it opens"})
    assert filed.status_code == 201, filed.text
    ticket = filed.json()

    def change(n: int):
        return stack.api("PUT", f"/api/maintenance/tickets/{ticket['id']}", tokens["admin"],
                         json={"category": CATEGORIES[n % len(CATEGORIES)]})

    with ThreadPoolExecutor(max_workers=20) as pool:
        answers = list(pool.map(change, range(20)))
    assert [a.status_code for a in answers] == [200] * 20, [a.text for a in answers if a.status_code != 200]

    final = stack.api("GET", f"/api/maintenance/tickets/{ticket['id']}", tokens["admin"]).json()
    events = [e for e in final["history"] if e["event_type"] == "category_changed"]
    assert events, final["history"]
    # One chain: it starts at the category the ticket was filed with, each event starts where
    # the one before ended, and it ends at the ticket's category now.
    assert events[0]["old_value"] == ticket["category"]
    for before, after in zip(events, events[1:]):
        assert after["old_value"] == before["new_value"], events
    assert all(e["old_value"] != e["new_value"] for e in events)
    assert final["category"] == events[-1]["new_value"]
    # Each answer is a state the ticket really had: one of the chain's categories.
    assert {a.json()["category"] for a in answers} <= {ticket["category"]} | {e["new_value"] for e in events}
