"""The roles and the default accounts have one definition each (shared/auth.py ROLES,
shared/accounts.py DEFAULT_USERS): user-management's schema, models, seed and
GET /users/roles all follow it. In-process, on a temporary SQLite DATA_DIR."""
from __future__ import annotations

import uuid

import pytest
from users_service import SCHEMA, create_app, prepare

from shared.accounts import DEFAULT_USERS
from shared.auth import DEFAULT_ROLE, ROLES, issue_service_token, issue_token
from shared.database import IntegrityViolation, sql_values
from tests.harness import DEFAULT_USERS as HARNESS_USERS
from tests.harness import NEW_USER_PASSWORD, in_process_settings

pytestmark = pytest.mark.fast     # in-process: no service processes


@pytest.fixture
def service(tmp_path):
    settings = in_process_settings(tmp_path, FLASK_ENV="development")
    prepare(settings)          # the start-up step a server's master runs once
    app = create_app(settings, start_background=False)
    client = app.test_client()

    def headers(role: str):
        if role == "service":
            token = issue_service_token(settings, "tests")
        else:
            token = issue_token(settings, user_id=f"{role}-1", email=f"{role}@example.org", name=role, role=role)
        return {"Authorization": f"Bearer {token}"}
    yield app, client, headers
    app.extensions["db"].close()


def test_roles_endpoint_says_exactly_the_platform_roles(service):
    _, client, headers = service
    answer = client.get("/users/roles", headers=headers("service"))
    assert answer.status_code == 200
    assert answer.get_json() == {"roles": list(ROLES), "default": DEFAULT_ROLE}
    assert DEFAULT_ROLE in ROLES
    for role in ROLES:
        if role != "admin":
            assert client.get("/users/roles", headers=headers(role)).status_code == 403
    assert client.get("/users/roles").status_code == 401


def test_schema_check_is_generated_from_the_roles(service):
    app, client, headers = service
    assert f"CHECK (role IN ({sql_values(ROLES)}))" in SCHEMA and "{ROLES}" not in SCHEMA
    # Every role can be given, through the API; a role outside the list is refused by the
    # model (400) and, written around it, by the table.
    for role in ROLES:
        created = client.post("/users", headers=headers("service"), json={
            "name": f"A {role}", "email": f"{role}-{uuid.uuid4().hex[:8]}@example.org",
            "password": NEW_USER_PASSWORD, "role": role})
        assert created.status_code == 201, created.get_json()
        assert created.get_json()["role"] == role
    default = client.post("/users", headers=headers("service"), json={
        "name": "No role given", "email": f"n-{uuid.uuid4().hex[:8]}@example.org", "password": NEW_USER_PASSWORD})
    assert default.get_json()["role"] == DEFAULT_ROLE
    refused = client.post("/users", headers=headers("service"), json={
        "name": "Root", "email": f"r-{uuid.uuid4().hex[:8]}@example.org", "password": NEW_USER_PASSWORD,
        "role": "superuser"})
    assert refused.status_code == 400
    assert [d["field"] for d in refused.get_json()["details"]] == ["role"], refused.get_json()
    with pytest.raises(IntegrityViolation) as info:
        with app.extensions["db"].connection() as conn:
            conn.execute("UPDATE users SET role = 'superuser' WHERE id = ?", (created.get_json()["id"],))
    assert info.value.kind == "check"


def test_the_seeded_accounts_are_the_shared_definition(service):
    app, client, headers = service
    with app.extensions["db"].connection(readonly=True) as conn:
        rows = conn.execute("SELECT email, name, role FROM users ORDER BY email").fetchall()
    assert [(r["email"], r["name"], r["role"]) for r in rows] == sorted(
        (a.email, a.name, a.role) for a in DEFAULT_USERS)
    assert sorted(a.role for a in DEFAULT_USERS) == sorted(ROLES)   # one account per role
    for account in DEFAULT_USERS:
        answer = client.post("/internal/verify-credentials", headers=headers("service"),
                             json={"email": account.email, "password": account.password})
        assert answer.status_code == 200, answer.get_json()
        assert answer.get_json()["role"] == account.role
    # The tests sign in with the same accounts.
    assert HARNESS_USERS == {a.role: (a.email, a.password) for a in DEFAULT_USERS}
