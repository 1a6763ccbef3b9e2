"""Seconds from "upstream healthy again" to "the gateway serves it again" (target <= 2 s).

A steady load of about 50 GET /api/booking/rooms per second goes through the gateway
while booking is stopped for `--down` seconds (long enough for the gateway's circuit to
open) and started again. The script polls booking's own /health every 20 ms to know the
moment it is healthy, and records the first 200 through the gateway after that moment;
also the requests that failed once booking was healthy. Several rounds; the median.

    .venv/bin/python bench/bench_breaker.py [--rounds 5] [--down 4]
"""
from __future__ import annotations

import argparse
import statistics
import threading
import time

import requests
from common import save, start_stack, table


def round_trip(stack, token: str, down: float) -> dict:
    results: list[tuple[float, int]] = []
    stop = threading.Event()

    def load():
        session = requests.Session()
        while not stop.is_set():
            started = time.monotonic()
            try:
                status = session.get(f"{stack.url()}/api/booking/rooms", headers={"Authorization": f"Bearer {token}"},
                                     timeout=10).status_code
            except requests.RequestException:
                status = 0
            results.append((time.monotonic(), status))
            time.sleep(max(0.0, 0.02 - (time.monotonic() - started)))

    threads = [threading.Thread(target=load, daemon=True)]
    for thread in threads:
        thread.start()
    time.sleep(1.0)
    booking = stack.services["booking"]
    booking.stop()
    time.sleep(down)
    booking.start(wait=False)
    healthy_at = None
    while healthy_at is None:
        try:
            if requests.get(f"{booking.url}/health", timeout=0.5).status_code == 200:
                healthy_at = time.monotonic()
        except requests.RequestException:
            time.sleep(0.02)
    deadline = healthy_at + 30
    while time.monotonic() < deadline and not any(t > healthy_at and s == 200 for t, s in list(results)):
        time.sleep(0.01)
    time.sleep(2.0)
    stop.set()
    for thread in threads:
        thread.join(5)
    served = next((t for t, s in results if t > healthy_at and s == 200), None)
    after = [s for t, s in results if t > healthy_at]
    return {"seconds_to_served": (served - healthy_at) if served else float("inf"),
            "failed_after_healthy": sum(1 for s in after if s != 200), "requests_after_healthy": len(after)}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--down", type=float, default=4.0)
    args = parser.parse_args()
    stack = start_stack(["gateway", "user-management", "booking"], extra_env={"CIRCUIT_RESET_SECONDS": "60"})
    try:
        token = stack.token("student")
        rounds = [round_trip(stack, token, args.down) for _ in range(args.rounds)]
    finally:
        stack.stop()
    result = {"rounds": len(rounds),
              "seconds_to_served_p50": statistics.median(r["seconds_to_served"] for r in rounds),
              "seconds_to_served_max": max(r["seconds_to_served"] for r in rounds),
              "failed_after_healthy_total": sum(r["failed_after_healthy"] for r in rounds),
              "requests_after_healthy_total": sum(r["requests_after_healthy"] for r in rounds)}
    print(table([[result["rounds"], result["seconds_to_served_p50"], result["seconds_to_served_max"],
                  result["failed_after_healthy_total"], result["requests_after_healthy_total"]]],
                ["rounds", "healthy -> served p50 s", "max s", "failed after healthy", "requests after healthy"]))
    save("breaker", result)
    return result


if __name__ == "__main__":
    main()
