"""A job a service runs every few seconds in a daemon thread (releasing no-shows,
escalating overdue tickets...). Each process of each replica runs its own, so the job must
be safe to run concurrently (a conditional UPDATE per row); a failed run is logged and the
next one retries, so a database outage never ends the thread."""
from __future__ import annotations

import logging
import threading
from typing import Any, Callable

logger = logging.getLogger(__name__)


class Periodic:
    """run() every `interval` seconds; on_change() after a run that returned something truthy
    (e.g. wake the outbox, so the notifications it wrote leave at once)."""

    def __init__(self, name: str, interval: float, run: Callable[[], Any],
                 on_change: Callable[[], None] | None = None):
        self.name, self.interval, self.run, self.on_change = name, interval, run, on_change
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> Any:
        result = self.run()
        if result and self.on_change is not None:
            self.on_change()
        return result

    def start(self) -> "Periodic":
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=True)
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.run_once()
            except Exception:  # noqa: BLE001 - the next run retries; an outage must not end the thread
                logger.warning("%s: run failed; retrying in %.1f s", self.name, self.interval, exc_info=True)
