"""Scale-out on one machine: replicas behind the gateway, and two booking instances
sharing one PostgreSQL database."""
from __future__ import annotations

import datetime as dt
import re
from concurrent.futures import ThreadPoolExecutor

import requests

from tests.harness import ServiceProcess, free_port


def _replica(stack, name: str, tag: str) -> ServiceProcess:
    """A second instance of a service: its own port and log folder, the same data."""
    port = free_port()
    log_dir = stack.workdir / f"logs-{tag}"
    log_dir.mkdir()
    info_prefix = {"gpa-calculator": "GPA", "booking": "BOOKING"}[name]
    env = {**stack.env, f"{info_prefix}_PORT": str(port), "LOG_DIR": str(log_dir)}
    proc = ServiceProcess(stack, name, port, env)
    stack.services[f"{name}-{tag}"] = proc
    return proc


def test_gateway_spreads_requests_over_replicas_and_skips_one_that_is_down(make_stack):
    stack = make_stack("sqlite")
    second = _replica(stack, "gpa-calculator", "b")
    first_url = f"http://127.0.0.1:{stack.ports['gpa-calculator']}"
    stack.env["GPA_URL"] = f"{first_url},{second.url}"
    stack.start(["gateway", "user-management", "gpa-calculator"])
    second.start()
    token = stack.token("student")
    body = {"courses": [{"grade": "B+", "credits": 3}]}
    for _ in range(20):
        response = stack.api("POST", "/api/gpa/calculate", token, json=body)
        assert response.status_code == 200 and response.json()["gpa"] == 3.3

    def hits(log):
        return len(re.findall(r"POST /calculate -> 200", log.read_text())) if log.exists() else 0
    first_hits = hits(stack.services["gpa-calculator"].log_path)
    second_hits = hits(second.log_path)
    assert first_hits >= 5 and second_hits >= 5, (first_hits, second_hits)

    stack.services["gpa-calculator"].stop()
    for _ in range(10):
        assert stack.api("POST", "/api/gpa/calculate", token, json=body).status_code == 200


def test_two_booking_instances_on_one_postgresql_give_one_booking_per_slot(make_stack):
    stack = make_stack("postgresql")
    stack.start(["gateway", "user-management", "booking"])
    second = _replica(stack, "booking", "b").start()
    admin = stack.token("admin")
    day = (dt.date.today() + dt.timedelta(days=33)).isoformat()
    body = {"room_id": 2, "date": day, "time_slot": "03:00 PM - 04:00 PM"}
    urls = [f"{stack.url('booking')}/bookings", f"{second.url}/bookings"]

    def book(i):
        return requests.post(urls[i % 2], json=body, headers={"Authorization": f"Bearer {admin}"}, timeout=60).status_code

    with ThreadPoolExecutor(max_workers=50) as pool:
        statuses = list(pool.map(book, range(50)))
    assert statuses.count(201) == 1, statuses
    assert statuses.count(409) == 49, statuses
    # Both instances see the one booking.
    for url in (stack.url("booking"), second.url):
        slots = requests.get(f"{url}/bookings/available", params={"room_id": 2, "date": day},
                             headers={"Authorization": f"Bearer {admin}"}, timeout=30).json()
        assert "03:00 PM - 04:00 PM" not in slots["available_slots"]
