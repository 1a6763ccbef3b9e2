"""Booking contention: 200 parallel POST /bookings spread over 20 slots (10 slots x 2
rooms of one day); exactly 20 may succeed. Throughput on SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_booking.py [--runs 3]
"""
from __future__ import annotations

import argparse
import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from common import create_pg_database, drop_pg_database, save, start_stack, table

SLOTS = ["08:00 AM - 09:00 AM", "09:00 AM - 10:00 AM", "10:00 AM - 11:00 AM", "11:00 AM - 12:00 PM",
         "12:00 PM - 01:00 PM", "01:00 PM - 02:00 PM", "02:00 PM - 03:00 PM", "03:00 PM - 04:00 PM",
         "04:00 PM - 05:00 PM", "05:00 PM - 06:00 PM"]


def one_run(stack, token: str, day: str) -> dict:
    url = f"{stack.url('booking')}/bookings"
    headers = {"Authorization": f"Bearer {token}"}
    jobs = [(room, slot) for _ in range(10) for room in (1, 2) for slot in SLOTS]  # 200 requests, 20 distinct
    statuses, lock = [], threading.Lock()
    local = threading.local()

    def book(job):
        session = getattr(local, "session", None) or requests.Session()
        local.session = session
        room, slot = job
        status = session.post(url, json={"room_id": room, "date": day, "time_slot": slot},
                              headers=headers, timeout=60).status_code
        with lock:
            statuses.append(status)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=32) as pool:
        list(pool.map(book, jobs))
    wall = time.perf_counter() - started
    return {"requests": len(jobs), "created": statuses.count(201), "conflicts": statuses.count(409),
            "other": len(statuses) - statuses.count(201) - statuses.count(409), "rps": len(jobs) / wall}


def bench(backend: str, runs: int) -> dict:
    pg = create_pg_database() if backend == "postgresql" else None
    stack = start_stack(["gateway", "user-management", "booking"], backend, pg_database=pg)
    try:
        token = stack.token("admin")
        results = [one_run(stack, token, (dt.date.today() + dt.timedelta(days=10 + i)).isoformat())
                   for i in range(runs)]
    finally:
        stack.stop()
        if pg:
            drop_pg_database(pg)
    rps = sorted(r["rps"] for r in results)[len(results) // 2]
    return {"backend": backend, "runs": results, "median_rps": rps,
            "exactly_20_each_run": all(r["created"] == 20 and r["other"] == 0 for r in results)}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    out = {b: bench(b, args.runs) for b in ("sqlite", "postgresql")}
    print(table([[b, r["runs"][0]["requests"], r["runs"][0]["created"], r["exactly_20_each_run"], r["median_rps"]]
                 for b, r in out.items()], ["backend", "requests", "created", "exactly 20 every run", "req/s"]))
    save("booking", out)
    return out


if __name__ == "__main__":
    main()
