"""Notices to a role take the platform's roles (shared/auth.py ROLES), no list of their own:
the model, the ?role= check and the table's CHECK all follow it. In-process, on a
temporary SQLite DATA_DIR."""
from __future__ import annotations

import pytest
from notification_service import SCHEMA, create_app, prepare

from shared.auth import ROLES, issue_service_token, issue_token
from shared.database import IntegrityViolation, sql_values
from shared.revocation import SessionRevocations
from tests.harness import in_process_settings

pytestmark = pytest.mark.fast     # in-process: no service processes


@pytest.fixture
def service(tmp_path):
    settings = in_process_settings(tmp_path)
    prepare(settings)          # the start-up step a server's master runs once
    app = create_app(settings)
    app.config["SESSIONS"] = SessionRevocations.fixed()
    sender = {"Authorization": f"Bearer {issue_service_token(settings, 'tests')}"}

    def person(role: str, user_id: str):
        token = issue_token(settings, user_id=user_id, email=f"{user_id}@example.org", name=user_id, role=role)
        return {"Authorization": f"Bearer {token}"}
    yield app, app.test_client(), sender, person
    app.extensions["db"].close()


def test_every_role_can_be_an_audience_and_nothing_else(service):
    _, client, sender, person = service
    for role in ROLES:
        sent = client.post("/notifications", headers=sender, json={"title": f"To {role}", "body": "Hi", "role": role})
        assert sent.status_code == 201, sent.get_json()
        feed = client.get("/notifications", headers=person(role, f"{role}-1")).get_json()["notifications"]
        assert [n["title"] for n in feed] == [f"To {role}"]
        # An admin looking at someone's feed names the role with ?role=: the same list.
        other = client.get(f"/notifications/user/{role}-2?role={role}", headers=sender)
        assert other.status_code == 200 and [n["title"] for n in other.get_json()["notifications"]] == [f"To {role}"]
    refused = client.post("/notifications", headers=sender, json={"title": "x", "body": "y", "role": "alumni"})
    assert refused.status_code == 400 and [d["field"] for d in refused.get_json()["details"]] == ["role"]
    unknown = client.get("/notifications/user/u-1?role=alumni", headers=sender)
    assert unknown.status_code == 400 and unknown.get_json()["details"][0]["field"] == "role"


def test_the_role_check_of_the_table_is_generated_from_the_roles(service):
    app, client, sender, _ = service
    assert f"role IN ({sql_values(ROLES)})" in SCHEMA and "{ROLES}" not in SCHEMA
    sent = client.post("/notifications", headers=sender, json={"title": "t", "body": "b", "role": ROLES[0]})
    with pytest.raises(IntegrityViolation) as info:
        with app.extensions["db"].connection() as conn:
            conn.execute("UPDATE notifications SET role = 'alumni' WHERE id = ?", (sent.get_json()["id"],))
    assert info.value.kind == "check"
