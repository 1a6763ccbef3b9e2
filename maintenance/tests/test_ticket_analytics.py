"""Analytics from ticket_stats (kept by triggers) agree with the tickets themselves, after
every kind of change; a database made by the first release is brought up to date (new
columns, the measures back-filled, the search index filled). In-process, on SQLite; the
PostgreSQL half runs through real processes in test_tickets.py (analytics on a known set)."""
from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import enhanced_model
import pytest
from maintenance_service import create_app, prepare
from maintenance_service.stats import GROUP, MEASURES, REBUILD

from shared.auth import issue_token
from shared.revocation import SessionRevocations
from tests.harness import in_process_settings

pytestmark = pytest.mark.fast


class ByWord:
    """The category is the first word of the description; confidence from its length."""

    method = "model"

    def classify(self, texts):
        out = []
        for text in texts:
            word = text.split(". ", 1)[1].split()[0]
            out.append(enhanced_model.Classification(word, round(0.3 + len(text) % 7 / 10, 2), self.method))
        return out

    def embed(self, texts):
        return None


class Admins:
    def admin(self, user_id):
        return {"id": user_id, "name": user_id}


def _app(tmp_path):
    settings = in_process_settings(tmp_path)
    prepare(settings)
    app = create_app(settings, classifier=ByWord(), sessions=SessionRevocations.fixed(), start_background=False,
                     staff=Admins())

    def auth(role, user_id):
        token = issue_token(settings, user_id=user_id, email=f"{user_id}@example.org", name=user_id, role=role)
        return {"Authorization": f"Bearer {token}"}
    return app, auth


def _stats(conn) -> dict:
    rows = conn.execute(f"SELECT {', '.join(GROUP + MEASURES)} FROM ticket_stats WHERE n > 0").fetchall()
    return {tuple(r[g] for g in GROUP): tuple(round(float(r[m]), 6) for m in MEASURES) for r in rows}


def test_stats_follow_every_change(tmp_path):
    app, auth = _app(tmp_path)
    client, admin = app.test_client(), auth("admin", "a1")
    rng = random.Random(3)
    ids = []
    for i in range(40):
        category = rng.choice(enhanced_model.CATEGORIES)
        made = client.post("/tickets", json={"title": f"t{i}", "description": f"{category} thing {'x' * i}",
                                             "location": "Hall"}, headers=auth("student", f"s{i % 3}"))
        assert made.status_code == 201
        ids.append(made.get_json()["id"])
    moves = {"open": "in_progress", "in_progress": "resolved", "resolved": rng.choice(["closed", "open"])}
    for _ in range(120):
        ticket_id = rng.choice(ids)
        current = client.get(f"/tickets/{ticket_id}", headers=admin).get_json()
        change = rng.choice(["status", "status", "priority", "category", "department", "comment", "assign"])
        body = {"status": {"status": moves.get(current["status"], "closed")},
                "priority": {"priority": rng.choice(["urgent", "standard"]), "priority_reason": "r"},
                "category": {"category": rng.choice(enhanced_model.CATEGORIES)},
                "department": {"department": rng.choice(["General", "Facilities", "IT Support"])},
                "comment": {"comment": "looked"},
                "assign": {"assignee_id": "a2"}}[change]
        assert client.put(f"/tickets/{ticket_id}", json=body, headers=admin).status_code in (200, 409)
    assert client.post(f"/tickets/{ids[0]}/comments", json={"body": "hi"}, headers=admin).status_code == 201
    db = app.extensions["db"]
    with db.connection() as conn:
        conn.execute("DELETE FROM ticket_comments WHERE ticket_id = ?", (ids[1],))
        conn.execute("DELETE FROM ticket_events WHERE ticket_id = ?", (ids[1],))
        conn.execute("DELETE FROM tickets WHERE id = ?", (ids[1],))
        kept = _stats(conn), conn.execute("SELECT day, n FROM ticket_days WHERE n > 0 ORDER BY day").fetchall()
        for statement in REBUILD:
            conn.execute(statement)
        assert kept == (_stats(conn), conn.execute("SELECT day, n FROM ticket_days WHERE n > 0 ORDER BY day").fetchall())

    # The answer agrees with the tickets counted one by one.
    stats = client.get("/tickets/analytics", headers=admin).get_json()
    with db.connection(readonly=True) as conn:
        rows = conn.execute("SELECT * FROM tickets").fetchall()
    assert stats["total"] == len(rows) == 39
    assert sum(d["count"] for d in stats["tickets_per_day"]) == 39
    for status, count in stats["by_status"].items():
        assert count == sum(1 for r in rows if r["status"] == status)
    resolved = [r for r in rows if r["resolved_at"]]
    assert stats["resolved_count"] == len(resolved)
    for entry in stats["priorities"]:
        mine = [r for r in rows if r["priority"] == entry["priority"]]
        responded = [r for r in mine if r["first_response_at"]]
        assert entry["total"] == len(mine) and entry["responded"] == len(responded)
        assert entry["resolved"] == sum(1 for r in mine if r["resolved_at"])
    for dept in stats["departments"]:
        mine = [r for r in rows if r["department"] == dept["department"]]
        met = sum(1 for r in mine if r["resolved_at"] and r["resolved_at"] <= r["sla_due_at"])
        late = sum(1 for r in mine if r["resolved_at"] and r["resolved_at"] > r["sla_due_at"])
        past_due = sum(1 for r in mine if r["status"] in ("open", "in_progress")
                       and r["sla_due_at"] < stats["generated_at"])
        assert (dept["total"], dept["sla_met"], dept["sla_missed"]) == (len(mine), met, late + past_due)
    app.extensions["db"].close()


FIRST_RELEASE = """
CREATE TABLE tickets (id INTEGER PRIMARY KEY AUTOINCREMENT, title TEXT NOT NULL, description TEXT NOT NULL,
    location TEXT, location_key TEXT, category TEXT NOT NULL, confidence DOUBLE PRECISION NOT NULL,
    classification_method TEXT NOT NULL, needs_review BOOLEAN NOT NULL, priority TEXT NOT NULL, impact TEXT NOT NULL,
    sla_hours INTEGER NOT NULL, sla_due_at TEXT NOT NULL, department TEXT NOT NULL, status TEXT NOT NULL,
    possible_duplicate_of BIGINT, user_id TEXT NOT NULL, user_name TEXT NOT NULL, user_email TEXT NOT NULL,
    embedding TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL, resolved_at TEXT, closed_at TEXT);
CREATE TABLE ticket_events (id INTEGER PRIMARY KEY AUTOINCREMENT, ticket_id BIGINT NOT NULL REFERENCES tickets (id),
    actor_id TEXT NOT NULL, actor_name TEXT NOT NULL, actor_role TEXT NOT NULL, event_type TEXT NOT NULL,
    old_value TEXT, new_value TEXT, comment TEXT, created_at TEXT NOT NULL);
INSERT INTO tickets VALUES (1, 'Radiator leaking', 'Water under the radiator', 'Room 5', 'room 5', 'Plumbing', 0.9,
    'model', 0, 'standard', 'room', 72, '2026-01-04T10:00:00.000000Z', 'Facilities', 'resolved', NULL, 'u1', 'U',
    'u@example.org', NULL, '2026-01-01T10:00:00.000000Z', '2026-01-02T10:00:00.000000Z',
    '2026-01-02T10:00:00.000000Z', NULL);
INSERT INTO ticket_events VALUES (1, 1, 'u1', 'U', 'student', 'created', NULL, 'open',
    'Classified as Plumbing (model, confidence 0.90)', '2026-01-01T10:00:00.000000Z');
INSERT INTO ticket_events VALUES (2, 1, 'a1', 'A', 'admin', 'status_changed', 'open', 'in_progress', NULL,
    '2026-01-01T16:00:00.000000Z');
"""


def test_a_first_release_database_is_brought_up_to_date(tmp_path):
    path = Path(in_process_settings(tmp_path).sqlite_path("maintenance", "tickets.db"))
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    conn.executescript(FIRST_RELEASE)
    conn.close()
    app, auth = _app(tmp_path)
    client, admin = app.test_client(), auth("admin", "a1")
    found = client.get("/tickets", query_string={"q": "radiators"}, headers=admin).get_json()
    assert [t["id"] for t in found["items"]] == [1]
    assert found["items"][0]["first_response_at"] == "2026-01-01T16:00:00.000000Z"
    stats = client.get("/tickets/analytics", headers=admin).get_json()
    standard = next(p for p in stats["priorities"] if p["priority"] == "standard")
    assert (standard["responded"], standard["mean_first_response_hours"]) == (1, 6.0)
    assert (standard["resolved"], standard["mean_resolution_hours"]) == (1, 24.0)
    assert next(d for d in stats["departments"] if d["department"] == "Facilities")["sla_compliance"] == 1.0
    # The owner no longer reads the model's confidence in the old "created" event.
    seen = client.get("/tickets/1", headers=auth("student", "u1")).get_json()
    assert seen["history"][0]["comment"] is None and seen["confidence"] is None
    app.extensions["db"].close()
