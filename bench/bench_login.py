"""Login load: 100 POST /auth/login at concurrency 10 (zero failures expected);
p50/p99, and what the password hash check costs per login.

    .venv/bin/python bench/bench_login.py [--runs 3]
"""
from __future__ import annotations

import argparse
import statistics
import time

from common import median_of, run_load, save, start_stack, table
from werkzeug.security import check_password_hash, generate_password_hash

from tests.harness import DEFAULT_USERS

EMAIL, PASSWORD = DEFAULT_USERS["student"]


def hash_cost_ms(samples: int = 20) -> float:
    stored = generate_password_hash(PASSWORD)
    times = []
    for _ in range(samples):
        started = time.perf_counter()
        check_password_hash(stored, PASSWORD)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stack = start_stack(["gateway", "user-management"], extra_env={"LOGIN_MAX_FAILURES": "1000"})
    try:
        url = f"{stack.url()}/auth/login"
        body = {"email": EMAIL, "password": PASSWORD}

        def call(session):
            return session.post(url, json=body, timeout=60).status_code
        run_load(call, 10, 2)
        result = median_of([run_load(call, 100, 10) for _ in range(args.runs)])
    finally:
        stack.stop()
    result["hash_check_ms"] = hash_cost_ms()
    print(table([[result["requests"], 10, result["failures"], result["p50_ms"], result["p99_ms"], result["rps"],
                  result["hash_check_ms"]]],
                ["requests", "conc", "failures", "p50 ms", "p99 ms", "req/s", "hash check ms"]))
    save("login", result)
    return result


if __name__ == "__main__":
    main()
