"""Requests dropped during a rolling restart of each service (issue 12, item 3; target 0).

For each service in turn, about `--rate` requests per second go through the gateway to
that service (for the gateway itself, to booking), each on a new connection, while the
service gets the rolling restart of `start_all.sh --restart <service>` (SIGHUP to its
gunicorn master, shared/process.py). The load runs 2 s before and 2 s after the restart.
Printed per service: requests, failures (anything but 200, or no answer within 10 s),
p50/p99/max latency in ms, and how long the restart took. Writes bench/results/restart.json.

    .venv/bin/python bench/bench_restart.py [--rate 50] [--rounds 1] [--services booking,gateway]
"""
from __future__ import annotations

import argparse
import time

from common import percentile, save, start_stack, table

from tests.harness import GPA_BODY, SteadyLoad

# What the load asks for, through the gateway, when a service restarts: a GET where the
# service has one, else a POST carrying an Idempotency-Key (the gateway may retry both).
ROUTES = {
    "gateway": ("GET", "/api/booking/rooms", None),
    "user-management": ("GET", "/api/users/{user_id}", None),
    "booking": ("GET", "/api/booking/rooms", None),
    "gpa-calculator": ("POST", "/api/gpa/calculate", GPA_BODY),
    "notification": ("GET", "/api/notifications", None),
    "maintenance": ("GET", "/api/maintenance/tickets", None),
}


def restart_under_load(stack, service: str, token: str, user_id: str, rate: float) -> dict:
    method, path, body = ROUTES[service]
    headers = {"Authorization": f"Bearer {token}"}
    if method == "POST":
        headers["Idempotency-Key"] = "bench-restart-gpa"
    load = SteadyLoad(method, stack.url() + path.format(user_id=user_id), headers, rate=rate, json=body)
    with load:
        time.sleep(2.0)
        restart = stack.services[service].restart()
        time.sleep(2.0)
    latencies = [r[2] for r in load.results]
    failed = load.failures()
    return {"restarted": service, "requests": len(load.results), "failures": len(failed),
            "p50 ms": percentile(latencies, 50) * 1000, "p99 ms": percentile(latencies, 99) * 1000,
            "max ms": max(latencies, default=float("nan")) * 1000, "restart s": restart["seconds"],
            "failed statuses": ",".join(str(s) for s in sorted({r[1] for r in failed})) or "-"}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rate", type=float, default=50)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--services", default=",".join(ROUTES))
    args = parser.parse_args()
    services = [s.strip() for s in args.services.split(",") if s.strip()]
    stack = start_stack(list(ROUTES))
    try:
        student = stack.new_user("student")
        rows = [restart_under_load(stack, service, student["token"], student["id"], args.rate)
                for _ in range(args.rounds) for service in services]
    finally:
        stack.stop()
    print(table([list(r.values()) for r in rows], list(rows[0])))
    result = {"rate": args.rate, "rows": rows, "failures_total": sum(r["failures"] for r in rows)}
    save("restart", result)
    return result


if __name__ == "__main__":
    main()
