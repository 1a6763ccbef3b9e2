"""shared/periodic.py: a job every few seconds that survives its own failures."""
from __future__ import annotations

import threading

import pytest

from shared.periodic import Periodic
from tests.harness import wait_until

pytestmark = pytest.mark.fast


def test_a_run_that_changed_something_calls_on_change_and_a_failure_does_not_end_the_loop():
    runs, woken = [], threading.Event()

    def run():
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("database away")       # the next run must still come
        return len(runs) == 3                          # "released something" on the third run only

    job = Periodic("test-job", 0.01, run, on_change=woken.set).start()
    try:
        wait_until(woken.is_set, timeout=10, message="on_change after the run that changed something")
        assert len(runs) >= 3
    finally:
        job.stop()
    quiet = Periodic("quiet", 60, lambda: 0, on_change=lambda: pytest.fail("nothing changed"))
    assert quiet.run_once() == 0
