"""In-process checks of the ticket rules with a stand-in classifier handed to create_app:
exact confidences and embeddings make the review threshold, duplicate detection, the single
classifier call per batch and the outbox rows deterministic. The real-process behaviour is
covered by test_tickets.py."""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pytest
from maintenance_service import create_app, prepare

from shared.auth import issue_token  # noqa: E402
from shared.revocation import SessionRevocations  # noqa: E402
from tests.harness import in_process_settings

pytestmark = pytest.mark.fast     # in-process: no service processes


@dataclass
class Result:
    category: str
    confidence: float
    method: str


class StandIn:
    """Category and confidence from the text ('cat=IT conf=0.3'); embeddings from 'vec=a,b'."""

    method = "model"

    def __init__(self):
        self.calls: list[list[str]] = []

    @staticmethod
    def _field(text: str, name: str, default: str) -> str:
        for word in text.split():
            if word.startswith(name + "="):
                return word.split("=", 1)[1]
        return default

    def classify(self, texts):
        self.calls.append(list(texts))
        return [Result(self._field(t, "cat", "Other"), float(self._field(t, "conf", "0.9")), self.method)
                for t in texts]

    def embed(self, texts):
        vectors = np.array([[float(x) for x in self._field(t, "vec", "1,0").split(",")] for t in texts])
        return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture
def service(tmp_path):
    settings = in_process_settings(tmp_path, MAINTENANCE_CONFIDENCE_THRESHOLD="0.5",
                                   MAINTENANCE_DUPLICATE_THRESHOLD="0.9")
    classifier = StandIn()
    prepare(settings)          # the start-up step a server's master runs once
    app = create_app(settings, classifier=classifier, sessions=SessionRevocations.fixed(), start_background=False)
    client = app.test_client()

    def auth(role: str, user_id: str):
        token = issue_token(settings, user_id=user_id, email=f"{user_id}@example.com", name=user_id, role=role)
        return {"Authorization": f"Bearer {token}"}
    yield app, client, classifier, auth
    app.extensions["db"].close()


def post(client, headers, description, location="Room 1", title="t"):
    response = client.post("/tickets", json={"title": title, "description": description, "location": location},
                           headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_low_confidence_needs_review_and_admin_override_clears_it(service):
    app, client, _, auth = service
    unsure = post(client, auth("student", "s1"), "cat=IT conf=0.49")
    sure = post(client, auth("student", "s1"), "cat=IT conf=0.5")
    assert unsure["needs_review"] is True and sure["needs_review"] is False
    assert unsure["category"] == "IT" and unsure["department"] == "IT Support"
    assert unsure["confidence"] is None          # the reporter never sees the model's confidence; staff do
    staff_view = client.get(f"/tickets/{unsure['id']}", headers=auth("admin", "a1")).get_json()
    assert staff_view["confidence"] == 0.49
    fixed = client.put(f"/tickets/{unsure['id']}", json={"category": "hvac"}, headers=auth("admin", "a1"))
    assert fixed.status_code == 200
    assert fixed.get_json()["category"] == "HVAC" and fixed.get_json()["needs_review"] is False
    assert fixed.get_json()["department"] == "Facilities"


def test_unknown_model_label_becomes_other(service):
    _, client, _, auth = service
    ticket = post(client, auth("student", "s1"), "cat=Astrology")
    assert ticket["category"] == "Other" and ticket["department"] == "General"


def test_duplicates_follow_similarity_location_and_status(service):
    _, client, _, auth = service
    user, admin = auth("student", "s1"), auth("admin", "a1")
    first = post(client, user, "vec=1,0", location="Lab 3")
    assert first["possible_duplicate_of"] is None
    near = post(client, user, "vec=1,0.1", location=" lab   3 ")          # cos 0.995, same place
    far = post(client, user, "vec=1,1", location="Lab 3")                 # cos 0.707
    elsewhere = post(client, user, "vec=1,0", location="Lab 4")
    nowhere = post(client, user, "vec=1,0", location=None)
    assert near["possible_duplicate_of"] == first["id"]
    assert far["possible_duplicate_of"] is None
    assert elsewhere["possible_duplicate_of"] is None and nowhere["possible_duplicate_of"] is None
    # The best match wins; closed tickets never match.
    for ticket in (first, near):
        for status in ("in_progress", "resolved", "closed"):
            assert client.put(f"/tickets/{ticket['id']}", json={"status": status}, headers=admin).status_code == 200
    assert post(client, user, "vec=1,0", location="Lab 3")["possible_duplicate_of"] is None


def test_batch_is_one_classifier_call_and_sees_its_own_earlier_items(service):
    _, client, classifier, auth = service
    items = [{"title": "a", "description": "cat=IT vec=0,1", "location": "Hall"},
             {"title": "b", "description": "cat=Plumbing vec=0,1", "location": "hall"},
             {"title": "c", "description": "cat=Cleaning vec=1,0", "location": "Hall"}]
    classifier.calls.clear()
    response = client.post("/tickets/batch", json={"tickets": items}, headers=auth("faculty", "f1"))
    assert response.status_code == 201
    created = response.get_json()["tickets"]
    assert len(classifier.calls) == 1 and len(classifier.calls[0]) == 3
    assert [t["category"] for t in created] == ["IT", "Plumbing", "Cleaning"]
    assert created[1]["possible_duplicate_of"] == created[0]["id"]
    assert created[2]["possible_duplicate_of"] is None


def test_outbox_rows_for_creation_and_status_change_go_to_the_owner(service):
    app, client, _, auth = service
    ticket = post(client, auth("student", "owner-1"), "cat=IT")
    client.put(f"/tickets/{ticket['id']}", json={"status": "in_progress", "comment": "Coming today"},
               headers=auth("admin", "a1"))
    client.put(f"/tickets/{ticket['id']}", json={"comment": "only a comment"}, headers=auth("admin", "a1"))
    with app.extensions["db"].connection(readonly=True) as conn:
        rows = conn.execute("SELECT idempotency_key, payload FROM ticket_outbox ORDER BY id").fetchall()
    payloads = [json.loads(r["payload"]) for r in rows]
    # The comment sent with the status change is quoted in its notification, not sent twice.
    assert [r["idempotency_key"].split(":")[0] for r in rows] == ["ticket-created", "ticket-status", "ticket-comment"]
    assert all(p["user_id"] == "owner-1" and p["type"] == "maintenance" for p in payloads)
    assert all(p["link"] == f"/maintenance.html?ticket={ticket['id']}" for p in payloads)
    assert payloads[1]["title"] == f"Ticket #{ticket['id']} in progress" and "Coming today" in payloads[1]["body"]
    assert "only a comment" in payloads[2]["body"]


def test_a_refused_move_changes_nothing(service):
    app, client, _, auth = service
    ticket = post(client, auth("student", "s1"), "cat=IT")
    response = client.put(f"/tickets/{ticket['id']}", json={"status": "closed", "category": "HVAC", "comment": "x"},
                          headers=auth("admin", "a1"))
    assert response.status_code == 409 and response.get_json()["code"] == "invalid_transition"
    after = client.get(f"/tickets/{ticket['id']}", headers=auth("admin", "a1")).get_json()
    assert after["category"] == "IT" and [e["event_type"] for e in after["history"]] == ["created", "classified"]
    assert after["comments"] == []
