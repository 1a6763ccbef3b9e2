"""Who a notification reaches, with their e-mail addresses: asked of user-management (the
owner of users), with a service token through shared/http_client.

A person's address is kept for RECIPIENT_CACHE_SECONDS (300): an e-mail sent within
minutes of a change of address may still go to the old one. A role or everyone is read
afresh for each notification (a page of up to 1,000 users per call).
"""
from __future__ import annotations

import threading
import time
from typing import Any

from shared.auth import ROLES
from shared.errors import ServiceUnavailable
from shared.http_client import HttpClient

PAGE = 1000


class Directory:
    def __init__(self, http: HttpClient, users_url: str, ttl: float = 300.0, clock=time.monotonic):
        self.http = http
        self.users_url = users_url.rstrip("/")
        self.ttl = ttl
        self.clock = clock
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._lock = threading.Lock()

    def user(self, user_id: str) -> dict[str, Any] | None:
        """{id, email, name, role}, or None when there is no such user."""
        with self._lock:
            hit = self._cache.get(user_id)
        if hit and self.clock() - hit[0] < self.ttl:
            return hit[1]
        response = self.http.get(f"{self.users_url}/users/{user_id}")
        if response.status_code == 404:
            found = None
        elif response.status_code == 200:
            found = _person(response.json())
        else:
            raise ServiceUnavailable(f"user-management answered {response.status_code} for a user.")
        self._remember([found] if found else [], missing=None if found else user_id)
        return found

    def role(self, role: str) -> list[dict[str, Any]]:
        people, page = [], 1
        while True:
            response = self.http.get(f"{self.users_url}/users/by-role/{role}",
                                     params={"page": page, "per_page": PAGE})
            if response.status_code != 200:
                raise ServiceUnavailable(f"user-management answered {response.status_code} for role {role}.")
            body = response.json()
            people += [_person(u) for u in body["users"]]
            if page >= int(body["pages"]):
                break
            page += 1
        self._remember(people)
        return people

    def everyone(self) -> list[dict[str, Any]]:
        return [person for role in ROLES for person in self.role(role)]

    def _remember(self, people: list[dict[str, Any]], missing: str | None = None) -> None:
        now = self.clock()
        with self._lock:
            if len(self._cache) > 100_000:
                self._cache.clear()
            for person in people:
                self._cache[person["id"]] = (now, person)
            if missing:
                self._cache[missing] = (now, None)


def _person(user: dict[str, Any]) -> dict[str, Any]:
    return {"id": user["id"], "email": user["email"], "name": user.get("name", ""), "role": user.get("role")}
