"""Who may be assigned a ticket: an admin, as user-management (the owner of users) says.

The assignee's id is checked there at the moment of assignment (GET /users/{id} with the
service token, through shared/http_client), and the name it answers is kept on the ticket
for the queue. A test hands create_app a stand-in with the same `admin` method.
"""
from __future__ import annotations

from urllib.parse import quote

from shared.errors import BadGateway, ValidationFailed
from shared.http_client import HttpClient


def _refused(message: str) -> ValidationFailed:
    return ValidationFailed(f"assignee_id: {message}", details=[{"field": "assignee_id", "message": message}])


class StaffDirectory:
    def __init__(self, http: HttpClient, users_url: str):
        self.http = http
        self.users_url = users_url.rstrip("/")

    def admin(self, user_id: str) -> dict[str, str]:
        """{"id", "name"} of the admin with this id; 400 when there is none (no such user,
        or not an admin); 503/504 when user-management cannot answer."""
        response = self.http.get(f"{self.users_url}/users/{quote(user_id, safe='')}")
        if response.status_code == 404:
            raise _refused("no user has this id")
        if response.status_code != 200:
            raise BadGateway(f"user-management answered {response.status_code} when asked for the assignee.")
        user = response.json()
        if user.get("role") != "admin":
            raise _refused("tickets are assigned to admins only")
        return {"id": str(user["id"]), "name": user.get("name") or user.get("email") or str(user["id"])}
