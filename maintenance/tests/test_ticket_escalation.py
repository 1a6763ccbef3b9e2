"""SLA escalation with a moved clock instead of waiting: in-process, SQLite, a stand-in
classifier (every ticket Plumbing; "urgent" in the text makes it urgent) and a stand-in
staff directory. Two apps over one database race and still send each escalation once."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone

import enhanced_model
import pytest
from maintenance_service import create_app, prepare
from maintenance_service.escalation import escalate, sla_monitor

from shared.auth import issue_token
from shared.revocation import SessionRevocations
from tests.harness import in_process_settings

pytestmark = pytest.mark.fast


class Plumbing:
    method = "model"

    def classify(self, texts):
        return [enhanced_model.Classification("Plumbing", 0.9, self.method) for _ in texts]

    def embed(self, texts):
        return None


class Admins:
    def admin(self, user_id):
        return {"id": user_id, "name": f"Admin {user_id}"}


@pytest.fixture
def service(tmp_path):
    settings = in_process_settings(tmp_path)
    prepare(settings)
    apps = [create_app(settings, classifier=Plumbing(), sessions=SessionRevocations.fixed(), start_background=False,
                       staff=Admins()) for _ in range(2)]

    def auth(role: str, user_id: str):
        token = issue_token(settings, user_id=user_id, email=f"{user_id}@example.org", name=user_id, role=role)
        return {"Authorization": f"Bearer {token}"}
    yield apps, auth
    for app in apps:
        app.extensions["db"].close()


def _file(client, auth, title, priority):
    ticket = client.post("/tickets", json={"title": title, "description": f"{title}, burst pipe flooding",
                                           "location": "Hall"}, headers=auth("student", "s1")).get_json()
    if ticket["priority"] != priority:
        changed = client.put(f"/tickets/{ticket['id']}", json={"priority": priority, "priority_reason": "test"},
                             headers=auth("admin", "a1"))
        assert changed.status_code == 200, changed.get_json()
        ticket = changed.get_json()
    return ticket


def _parse(value):
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def _outbox(app, ticket_id):
    with app.extensions["db"].connection(readonly=True) as conn:
        rows = conn.execute("SELECT idempotency_key, payload FROM ticket_outbox WHERE idempotency_key LIKE ? "
                            "ORDER BY id", (f"ticket-escalation:{ticket_id}:%",)).fetchall()
    return [(r["idempotency_key"].rsplit(":", 1)[1], json.loads(r["payload"])) for r in rows]


def test_each_threshold_once_at_its_time(service):
    (app, _), auth = service
    client = app.test_client()
    db = app.extensions["db"]
    urgent = _file(client, auth, "Pipe burst", "urgent")
    standard = _file(client, auth, "Tap drips", "standard")
    created, due = _parse(urgent["created_at"]), _parse(urgent["sla_due_at"])
    half = created + (due - created) / 2

    assert escalate(db, half - timedelta(seconds=1)) == []
    assert escalate(db, half + timedelta(seconds=1)) == [(urgent["id"], "urgent_half_unassigned")]
    assert escalate(db, half + timedelta(seconds=2)) == []                          # once
    [(threshold, payload)] = _outbox(app, urgent["id"])
    assert threshold == "urgent_half_unassigned" and payload["role"] == "admin" and "user_id" not in payload
    assert payload["link"] == f"/maintenance.html?ticket={urgent['id']}"

    # Assigned now: the assignee alone hears that it is overdue.
    assert client.put(f"/tickets/{urgent['id']}", json={"assignee_id": "a7"},
                      headers=auth("admin", "a1")).status_code == 200
    assert escalate(db, due - timedelta(seconds=1)) == []
    assert escalate(db, due + timedelta(seconds=1)) == [(urgent["id"], "overdue")]
    assert _outbox(app, urgent["id"])[-1][1]["user_id"] == "a7"
    # A standard ticket at its due time; a resolved one never.
    for status in ("in_progress", "resolved"):
        client.put(f"/tickets/{standard['id']}", json={"status": status}, headers=auth("admin", "a1"))
    assert escalate(db, _parse(standard["sla_due_at"]) + timedelta(hours=1)) == []
    history = client.get(f"/tickets/{urgent['id']}", headers=auth("admin", "a1")).get_json()["history"]
    assert [e["new_value"] for e in history if e["event_type"] == "escalated"] == ["urgent_half_unassigned", "overdue"]


def test_an_assigned_urgent_ticket_is_not_escalated_at_half_time(service):
    (app, _), auth = service
    client = app.test_client()
    ticket = _file(client, auth, "Pipe burst", "urgent")
    client.put(f"/tickets/{ticket['id']}", json={"assignee_id": "a7"}, headers=auth("admin", "a1"))
    created, due = _parse(ticket["created_at"]), _parse(ticket["sla_due_at"])
    assert escalate(app.extensions["db"], created + (due - created) * 0.9) == []


def test_two_instances_racing_send_each_escalation_once(service):
    apps, auth = service
    client = apps[0].test_client()
    tickets = [_file(client, auth, f"Pipe burst {i}", "urgent" if i % 2 else "standard") for i in range(6)]
    later = datetime.now(timezone.utc) + timedelta(days=10)
    results: list[list] = []
    start = threading.Barrier(4)

    def run(app):
        start.wait()
        results.append(escalate(app.extensions["db"], later))
    threads = [threading.Thread(target=run, args=(apps[i % 2],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    sent = sorted(item for result in results for item in result)
    expected = sorted([(t["id"], "overdue") for t in tickets]
                      + [(t["id"], "urgent_half_unassigned") for t in tickets if t["priority"] == "urgent"])
    assert sent == expected
    assert sum(len(_outbox(apps[0], t["id"])) for t in tickets) == len(expected)


def test_the_monitor_runs_on_its_period_with_its_clock(service):
    (app, _), auth = service
    ticket = _file(app.test_client(), auth, "Pipe burst", "standard")
    ran = threading.Event()
    clock_at = _parse(ticket["sla_due_at"]) + timedelta(minutes=1)
    monitor = sla_monitor(app.extensions["db"], interval=0.05, clock=lambda: clock_at, on_sent=ran.set)
    monitor.start()
    try:
        assert ran.wait(10)
    finally:
        monitor.stop()
    assert [t for t, _ in _outbox(app, ticket["id"])] == ["overdue"]
