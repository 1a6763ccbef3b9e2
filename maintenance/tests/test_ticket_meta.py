"""The ticket rules have one owner, maintenance_service/models.py (statuses, transitions,
priorities) and enhanced_model.py (categories, departments): GET /meta says exactly them,
the service enforces exactly what /meta says, and the table's CHECKs are generated from
them. In-process, with a stand-in classifier and a temporary SQLite DATA_DIR."""
from __future__ import annotations

from collections import deque

import enhanced_model
import pytest
from maintenance_service import SCHEMA, create_app, prepare
from maintenance_service.models import (
    INITIAL_STATUS,
    OPEN_STATUSES,
    PRIORITIES,
    STATUS_WORDS,
    STATUSES,
    TRANSITIONS,
)

from shared.auth import issue_token
from shared.database import IntegrityViolation, sql_values
from shared.revocation import SessionRevocations
from tests.harness import in_process_settings

pytestmark = pytest.mark.fast     # in-process: no service processes


class Plumbing:
    """Every ticket is Plumbing, sure; no embeddings (no duplicate detection)."""

    method = "model"

    def classify(self, texts):
        return [enhanced_model.Classification("Plumbing", 0.99, self.method) for _ in texts]

    def embed(self, texts):
        return None


@pytest.fixture
def service(tmp_path):
    settings = in_process_settings(tmp_path)
    prepare(settings)          # the start-up step a server's master runs once
    app = create_app(settings, classifier=Plumbing(), sessions=SessionRevocations.fixed(), start_background=False)

    def auth(role: str):
        token = issue_token(settings, user_id=f"{role}-1", email=f"{role}@example.org", name=role, role=role)
        return {"Authorization": f"Bearer {token}"}
    yield app, app.test_client(), auth
    app.extensions["db"].close()


def test_meta_is_exactly_the_models_rules(service):
    _, client, auth = service
    answer = client.get("/meta", headers=auth("student"))
    assert answer.status_code == 200
    assert answer.get_json() == {
        "statuses": list(STATUSES),
        "initial_status": INITIAL_STATUS,
        "open_statuses": list(OPEN_STATUSES),
        "transitions": {status: list(moves) for status, moves in TRANSITIONS.items()},
        "priorities": list(PRIORITIES),
        "categories": [{"name": c, "department": enhanced_model.DEPARTMENT_BY_CATEGORY[c]}
                       for c in enhanced_model.CATEGORIES],
        "departments": list(dict.fromkeys(enhanced_model.DEPARTMENT_BY_CATEGORY[c]
                                          for c in enhanced_model.CATEGORIES)),
    }
    assert client.get("/meta").status_code == 401


def test_the_lifecycle_is_whole():
    assert list(STATUSES) == list(TRANSITIONS) and INITIAL_STATUS in STATUSES
    assert set(OPEN_STATUSES) <= set(STATUSES) and set(STATUS_WORDS) == set(STATUSES)
    assert all(set(moves) <= set(STATUSES) for moves in TRANSITIONS.values())


def _path_to(target: str) -> list[str]:
    """The shortest run of moves from the initial status to target, by the table."""
    seen, queue = {INITIAL_STATUS: []}, deque([INITIAL_STATUS])
    while queue:
        status = queue.popleft()
        for move in TRANSITIONS[status]:
            if move not in seen:
                seen[move] = seen[status] + [move]
                queue.append(move)
    return seen[target]


@pytest.mark.parametrize("start", STATUSES)
def test_the_service_allows_exactly_the_moves_meta_lists(service, start):
    _, client, auth = service
    admin = auth("admin")
    transitions = client.get("/meta", headers=admin).get_json()["transitions"]
    for target in STATUSES:
        if target == start:
            continue
        created = client.post("/tickets", headers=auth("student"),
                              json={"title": "Leak", "description": "The sink leaks", "location": "Room 1"})
        assert created.status_code == 201 and created.get_json()["status"] == INITIAL_STATUS
        ticket = created.get_json()["id"]
        for step in _path_to(start):
            assert client.put(f"/tickets/{ticket}", headers=admin, json={"status": step}).status_code == 200
        answer = client.put(f"/tickets/{ticket}", headers=admin, json={"status": target})
        expected = 200 if target in transitions[start] else 409
        assert answer.status_code == expected, (start, target, answer.get_json())
        if expected == 409:
            assert answer.get_json()["code"] == "invalid_transition"


def test_the_table_checks_are_generated_from_the_models(service):
    app, client, auth = service
    assert f"CHECK (status IN ({sql_values(STATUSES)}))" in SCHEMA
    assert f"CHECK (priority IN ({sql_values(PRIORITIES)}))" in SCHEMA
    assert "{STATUSES}" not in SCHEMA and "{PRIORITIES}" not in SCHEMA
    ticket = client.post("/tickets", headers=auth("student"),
                         json={"title": "Leak", "description": "The sink leaks"}).get_json()["id"]
    for column, value in (("status", "on_hold"), ("priority", "whenever")):
        with pytest.raises(IntegrityViolation) as info:
            with app.extensions["db"].connection() as conn:
                conn.execute(f"UPDATE tickets SET {column} = ? WHERE id = ?", (value, ticket))
        assert info.value.kind == "check"
