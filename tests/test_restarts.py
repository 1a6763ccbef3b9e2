"""Restarts that users do not notice, and processes that do not outlive their service
(issue 12, item 3).

- A rolling restart (start_all.sh --restart <service>: SIGHUP to the gunicorn master,
  shared/process.rolling_restart) of any one service, while a client sends ~50 requests
  a second through the gateway, drops none of them.
- kill -9 of a service's master takes its workers with it (PR_SET_PDEATHSIG, set in
  shared/gunicorn_conf.py's post_fork): the port frees and the service starts again.
- Stopping a service (the harness, stop_all.sh) leaves no process of its group.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import threading
import time

import pytest

from shared.config import REPO_ROOT
from shared.process import children, group_members
from tests.harness import GPA_BODY, SteadyLoad, wait_until

SERVICES = ["gateway", "user-management", "booking", "gpa-calculator", "notification", "maintenance"]


def port_is_closed(port: int) -> bool:
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except OSError:
        return True


@pytest.fixture(scope="module")
def platform(tmp_path_factory):
    from tests.harness import Stack

    stack = Stack(tmp_path_factory.mktemp("restarts"), "sqlite", extra_env={"LOG_LEVEL": "WARNING"})
    try:
        stack.start(SERVICES)
        yield stack
    finally:
        stack.stop()


@pytest.mark.parametrize("service", SERVICES)
def test_a_rolling_restart_drops_no_request_through_the_gateway(platform, service):
    student = platform.new_user("student")
    headers = {"Authorization": f"Bearer {student['token']}"}
    # A GET to the restarted service (the gateway's own restart: to booking), or for the
    # GPA service, which has only POST, a POST with an Idempotency-Key: requests the
    # gateway may retry.
    method, path, body = {
        "gateway": ("GET", "/api/booking/rooms", None),
        "user-management": ("GET", f"/api/users/{student['id']}", None),
        "booking": ("GET", "/api/booking/rooms", None),
        "gpa-calculator": ("POST", "/api/gpa/calculate", GPA_BODY),
        "notification": ("GET", "/api/notifications", None),
        "maintenance": ("GET", "/api/maintenance/tickets", None),
    }[service]
    if method == "POST":
        headers["Idempotency-Key"] = f"restart-test-{service}"
    target = platform.services[service]
    old_workers = children(target.proc.pid)
    with SteadyLoad(method, platform.url() + path, headers, rate=50, json=body) as load:
        wait_until(lambda: len(load.results) >= 50, 10, message="load running")
        done = target.restart()
        seen = len(load.results)
        wait_until(lambda: len(load.results) >= seen + 50, 10, message="load after the restart")
    assert set(done["new_workers"]).isdisjoint(old_workers)
    assert not children(target.proc.pid) & old_workers
    failures = load.failures()
    assert failures == [], f"{len(failures)} of {len(load.results)} dropped: {failures[:5]}"


@pytest.mark.parametrize("service", ["booking", "gpa-calculator"])   # uvicorn's worker, gthread
def test_kill_9_of_the_master_leaves_no_worker_serving(platform, service):
    target = platform.services[service]
    pgid = target.proc.pid
    workers = children(pgid)
    assert workers, "the master has workers"
    os.kill(pgid, signal.SIGKILL)
    target.proc.wait(10)
    wait_until(lambda: not group_members(pgid), 30, 0.1, f"{service}'s workers to exit after their master")
    assert port_is_closed(target.port)
    target.start()                                    # no "Address already in use"
    assert platform.api("GET", "/health", service=service).status_code == 200


def test_stopping_a_service_leaves_no_process_of_its_group(platform):
    target = platform.services["notification"]
    pgid = target.proc.pid
    assert len(group_members(pgid)) >= 2                # master and workers
    target.stop()
    assert not group_members(pgid)
    assert port_is_closed(target.port)
    target.start()


def test_stop_all_stops_each_service_s_whole_process_group(platform, tmp_path):
    """stop_all.sh, run from a copy of the script beside a run/ folder of its own, stops
    the process group recorded there, workers included."""
    target = platform.services["gpa-calculator"]
    pgid = target.proc.pid
    members = group_members(pgid)
    assert len(members) >= 2
    shutil.copy(REPO_ROOT / "stop_all.sh", tmp_path / "stop_all.sh")
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "gpa-calculator.pid").write_text(f"{pgid}\n")
    # Reap the master when it exits, as init does for start_all.sh's services: a zombie
    # still counts as a member of its group, so stop_all.sh would wait its 30 s for it.
    reaper = threading.Thread(target=target.proc.wait, daemon=True)
    reaper.start()
    started = time.monotonic()
    result = subprocess.run(["bash", str(tmp_path / "stop_all.sh")], capture_output=True, text=True, timeout=60)
    assert time.monotonic() - started < 25, "stop_all.sh waited for the SIGKILL deadline"
    assert result.returncode == 0, result.stderr
    assert "stopped gpa-calculator" in result.stdout
    target.proc.wait(10)
    assert not group_members(pgid)
    assert not (tmp_path / "run" / "gpa-calculator.pid").exists()
    assert port_is_closed(target.port)
    target.start()


def test_a_restart_closes_live_update_sockets_at_once_and_clients_reconnect(platform):
    """A WebSocket never ends by itself: the old worker closes it when it stops instead
    of waiting out its graceful timeout (and then hanging at exit until the master
    killed it, two minutes later). The client is disconnected and connects again."""
    import socketio

    maintenance = platform.services["maintenance"]
    token = platform.token("student")
    disconnected = []
    client = socketio.Client(reconnection=False)
    client.on("disconnect", lambda *args: disconnected.append(True))
    client.connect(maintenance.url, auth={"token": token}, transports=["websocket"], wait_timeout=15)
    try:
        done = maintenance.restart(timeout=60)
        assert done["seconds"] < 15, done       # the graceful timeout is 20 s
        wait_until(lambda: disconnected, 10, message="the client to see its socket closed")
    finally:
        client.disconnect()
    again = socketio.Client(reconnection=False)
    again.connect(maintenance.url, auth={"token": token}, transports=["websocket"], wait_timeout=15)
    assert again.connected
    again.disconnect()
