"""Normal requests while slow clients hold connections open (issue 12, item 1).

For each target (the gateway, and the maintenance service's HTTP routes called directly)
`--sockets` connections send a request head one header line per second and never finish
it (tests.harness.SlowClients), while normal requests arrive at `--rate` per second, each
on a new connection, for `--seconds`. A request that does not answer 200 within 5 s
counts as a failure. Printed: p50, p99 and failures per target, without and with the
slow clients. Target: failures 0 and p99 under 200 ms with 500 slow sockets.

    .venv/bin/python bench/bench_slow_clients.py [--sockets 500] [--seconds 30] [--rate 20]
"""
from __future__ import annotations

import argparse
import threading
import time

import requests
from common import percentile, save, start_stack, table

from tests.harness import SlowClients


def steady_load(url: str, headers: dict, seconds: float, rate: float, method: str = "GET",
                json: dict | None = None) -> dict:
    """`rate` requests per second for `seconds`, each on a fresh connection, from a few
    threads so that one slow answer does not hold back the schedule."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    threads = 4
    interval = threads / rate
    deadline = time.monotonic() + seconds

    def worker(offset: float):
        nonlocal failures
        next_at = time.monotonic() + offset
        while next_at < deadline:
            time.sleep(max(0.0, next_at - time.monotonic()))
            next_at += interval
            started = time.perf_counter()
            try:
                status = requests.request(method, url, headers={**headers, "Connection": "close"}, json=json,
                                          timeout=5).status_code
            except requests.RequestException:
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                if status == 200:
                    latencies.append(elapsed)
                else:
                    failures += 1

    pool = [threading.Thread(target=worker, args=(i * interval / threads,)) for i in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return {"requests": len(latencies) + failures, "failures": failures,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "max_ms": max(latencies, default=float("nan")) * 1000}


def measure(port: int, url: str, headers: dict, sockets: int, seconds: float, rate: float, **request) -> dict:
    quiet = steady_load(url, headers, min(seconds, 5), rate, **request)
    with SlowClients(port, sockets) as slow:
        time.sleep(2.0)   # let every slow socket reach the server and send a header or two
        attacked = steady_load(url, headers, seconds, rate, **request)
        attacked["slow_open_at_end"] = slow.open_count
        attacked["slow_closed_by_server"] = slow.closed_by_server
    return {"quiet": quiet, "slow": attacked}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sockets", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=30)
    parser.add_argument("--rate", type=float, default=20)
    args = parser.parse_args()
    stack = start_stack(["gateway", "user-management", "gpa-calculator", "maintenance"])
    try:
        token = stack.token("student")
        auth = {"Authorization": f"Bearer {token}"}
        result = {"sockets": args.sockets, "seconds": args.seconds, "rate": args.rate,
                  "gateway": measure(stack.ports["gateway"], f"{stack.url()}/api/gpa/calculate", auth,
                                     args.sockets, args.seconds, args.rate, method="POST",
                                     json={"courses": [{"grade": "A", "credits": 3}]}),
                  "maintenance": measure(stack.ports["maintenance"], f"{stack.url('maintenance')}/tickets", auth,
                                         args.sockets, args.seconds, args.rate)}
    finally:
        stack.stop()
    rows = []
    for target in ("gateway", "maintenance"):
        for phase in ("quiet", "slow"):
            r = result[target][phase]
            rows.append({"target": target, "slow sockets": args.sockets if phase == "slow" else 0,
                         "requests": r["requests"], "failures": r["failures"], "p50 ms": r["p50_ms"],
                         "p99 ms": r["p99_ms"], "max ms": r["max_ms"]})
    print(table([list(r.values()) for r in rows], list(rows[0])))
    result["rows"] = rows     # the table of docs/benchmarks.md (bench/run_all.py)
    save("slow_clients", result)
    return result


if __name__ == "__main__":
    main()
