"""A new notification is pushed to the open pages of the people it is for, over the
platform's one Socket.IO server (the maintenance service's), through the shared Redis
channel (notification_service/live.py): to one user, to a role, or to everyone. Without
Redis, or with Redis down, sending still works; the pages then poll (js/nav.js)."""
from __future__ import annotations

import threading
import time

import pytest
import requests
import socketio
from notification_service import create_app, prepare

from shared.auth import issue_service_token
from shared.revocation import SessionRevocations
from tests.harness import free_port, in_process_settings, redis_env, wait_until

SERVICES = ["gateway", "user-management", "notification", "maintenance"]


class Listener:
    """A Socket.IO client like a page's: connects with its token, records notification_created."""

    def __init__(self, url: str, token: str):
        self.titles: list[str] = []
        self.lock = threading.Lock()
        self.sio = socketio.Client(reconnection=False)
        self.sio.on("notification_created", self._record)
        self.sio.connect(url, auth={"token": token}, transports=["websocket"], wait_timeout=15)

    def _record(self, data):
        with self.lock:
            self.titles.append(data.get("title"))

    def heard(self, title: str) -> bool:
        with self.lock:
            return title in self.titles

    def close(self):
        self.sio.disconnect()


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_notifications_are_pushed_to_the_user_the_role_or_everyone(make_stack, backend):
    shared = redis_env()
    if not shared:
        pytest.skip("Redis on 127.0.0.1:6379 is not reachable")
    platform = make_stack(backend, shared)
    platform.start(SERVICES)
    assert requests.get(platform.url() + "/config.json", timeout=10).json()["notification_pushes"] is True
    admin = platform.token("admin")
    tokens = {role: platform.token(role) for role in ("student", "faculty")}
    listeners = {role: Listener(platform.url("maintenance"), token) for role, token in tokens.items()}
    try:
        def send(title: str, **audience) -> None:
            answer = platform.api("POST", "/api/notifications", admin, json={"title": title, "body": "b", **audience})
            assert answer.status_code == 201, answer.text

        send("To the students", role="student")
        wait_until(lambda: listeners["student"].heard("To the students"), 15, message="the push to the role")
        faculty_id = platform.api("GET", "/auth/me", tokens["faculty"]).json()["id"]
        send("To one person", user_id=faculty_id)
        send("To everyone", broadcast=True)
        wait_until(lambda: all(listener.heard("To everyone") for listener in listeners.values()), 15,
                   message="the broadcast push")
        wait_until(lambda: listeners["faculty"].heard("To one person"), 15, message="the push to one user")
        # Pushed in order on one channel: by the time the broadcast arrived, a push to the
        # wrong audience would have too.
        assert not listeners["faculty"].heard("To the students")
        assert not listeners["student"].heard("To one person")
    finally:
        for listener in listeners.values():
            listener.close()


def test_sending_works_when_redis_is_down(tmp_path):
    """A push is a hint: with REDIS_URL pointing at nothing, the notification is still made, at once."""
    settings = in_process_settings(tmp_path, REDIS_URL=f"redis://127.0.0.1:{free_port()}/0")
    prepare(settings)
    app = create_app(settings)
    app.config["SESSIONS"] = SessionRevocations.fixed()
    sender = {"Authorization": f"Bearer {issue_service_token(settings, 'tests')}"}
    started = time.monotonic()
    answer = app.test_client().post("/notifications", headers=sender, json={"title": "T", "body": "B", "role": "student"})
    assert answer.status_code == 201, answer.get_json()
    assert time.monotonic() - started < 5
    app.extensions["db"].close()
