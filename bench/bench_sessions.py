"""How fast an ended session is refused everywhere (target: within 1 second).

For each trial: a fresh user signs in, then their session ends (a logout, a role change
or "sign out everywhere"); from the moment that answer arrives, every service is called
directly with the old token (every worker: several calls) and the gateway too, every
10 ms, until all of them answer 401. Laptop mode (SQLite, no Redis: polling) and
production mode (PostgreSQL with Redis: push) are measured.

    .venv/bin/python bench/bench_sessions.py [--trials 20]
"""
from __future__ import annotations

import argparse
import statistics
import time
import uuid

from common import create_pg_database, drop_pg_database, percentile, save, start_stack, table

from tests.harness import GPA_BODY, TEST_REDIS_URL, redis_available

SERVICES = ["gateway", "user-management", "booking", "gpa-calculator", "notification"]
DIRECT = {"user-management": ("GET", "/users/{id}"), "booking": ("GET", "/bookings"),
          "gpa-calculator": ("POST", "/calculate"), "notification": ("GET", "/notifications")}


def refused_everywhere(stack, token: str, user_id: str) -> bool:
    for service, (method, path) in DIRECT.items():
        for _ in range(3):      # several workers per service
            response = stack.api(method, path.format(id=user_id), token, service=service,
                                 json=GPA_BODY if method == "POST" else None, timeout=5)
            if response.status_code != 401:
                return False
    return stack.api("POST", "/api/gpa/calculate", token, json=GPA_BODY, timeout=5).status_code == 401


def trial(stack, admin: str, how: str) -> float:
    email = f"bench-{uuid.uuid4().hex[:10]}@example.com"
    password = "Bench-" + uuid.uuid4().hex
    made = stack.api("POST", "/api/users", admin, json={"name": "Bench", "email": email, "password": password,
                                                         "role": "faculty"})
    user = made.json()
    token = stack.login(email, password)
    if how == "logout":
        answer = stack.api("POST", "/auth/logout", token)
    elif how == "role change":
        answer = stack.api("PUT", f"/api/users/{user['id']}", admin, json={"role": "student"})
    else:
        answer = stack.api("POST", f"/api/users/{user['id']}/sessions/revoke", admin)
    assert answer.status_code == 200, answer.text
    started = time.perf_counter()
    while not refused_everywhere(stack, token, user["id"]):
        if time.perf_counter() - started > 30:
            raise RuntimeError("not refused within 30 s")
        time.sleep(0.01)
    return time.perf_counter() - started


def measure(backend: str, trials: int) -> list[dict]:
    pg = create_pg_database() if backend == "postgresql" else None
    env = {"REDIS_URL": TEST_REDIS_URL} if backend == "postgresql" and redis_available() else {}
    stack = start_stack(SERVICES, backend, env, pg)
    rows = []
    try:
        admin = stack.token("admin")
        for how in ("logout", "role change", "sign out everywhere"):
            times = [trial(stack, admin, how) for _ in range(trials)]
            rows.append({"backend": backend, "push": "redis" if env else "polling", "how": how,
                         "trials": trials, "p50_s": statistics.median(times), "p95_s": percentile(times, 95),
                         "max_s": max(times)})
    finally:
        stack.stop()
        if pg:
            drop_pg_database(pg)
    return rows


def main() -> list[dict]:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=20)
    args = parser.parse_args()
    rows = measure("sqlite", args.trials) + measure("postgresql", args.trials)
    print(table([[r["backend"], r["push"], r["how"], r["trials"], r["p50_s"], r["p95_s"], r["max_s"]] for r in rows],
                ["backend", "propagation", "session ended by", "trials", "p50 s", "p95 s", "max s"]))
    save("sessions", {"rows": rows})
    return rows


if __name__ == "__main__":
    main()
