"""A real SMTP server for tests (aiosmtpd), on a loopback port, keeping what arrives."""
from __future__ import annotations

import email
import threading
from contextlib import contextmanager
from email import policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller

from conftest import require_backend
from tests.harness import Stack, free_port


class _Collect:
    def __init__(self, box: "Mailbox"):
        self.box = box

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        with self.box.lock:
            self.box.messages.append(message)
        return "250 Message accepted for delivery"


class Mailbox:
    """Start, stop and start again on the same port (an SMTP server that is down, then up)."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    def start(self) -> "Mailbox":
        self._controller = Controller(_Collect(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def env(self) -> dict[str, str]:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.port),
                "MAIL_FROM": "Campus Hub <hub@campus.example.edu>"}

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [m for m in self.messages if address.lower() in str(m["To"]).lower()]


@contextmanager
def stack_with_mail(backend: str, box: Mailbox, workdir, pg_databases, services: list[str], **env: str):
    """A private platform of these services that sends e-mail to `box` (SQLite or PostgreSQL)."""
    require_backend(backend)
    pg_name = pg_databases.create() if backend == "postgresql" else None
    stack = Stack(workdir, backend, pg_name, {**box.env(), **env})
    try:
        stack.start(services)
        yield stack
    finally:
        stack.stop()


@pytest.fixture(scope="module", name="mailbox")
def mailbox_fixture():
    """`mailbox`: a module's SMTP server (import mailbox_fixture into the test module)."""
    box = Mailbox().start()
    yield box
    box.stop()
