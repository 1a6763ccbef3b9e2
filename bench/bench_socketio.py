"""Socket.IO fan-out: 100 connected admin clients, then ticket updates; how long until
every client has each update (p50/p95 over rounds) and per-delivery latency.

    .venv/bin/python bench/bench_socketio.py [--clients 100] [--rounds 20]
"""
from __future__ import annotations

import argparse
import threading
import time

import socketio
from common import percentile, save, start_stack, table

STATUSES = ["in_progress", "resolved", "open"]


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    stack = start_stack(["gateway", "user-management", "notification", "maintenance"],
                        extra_env={"MAINTENANCE_THREADS": str(args.clients * 2 + 32)})
    clients: list[socketio.Client] = []
    try:
        admin = stack.token("admin")
        ticket = stack.api("POST", "/api/maintenance/tickets", admin, json={
            "title": "Flickering light in room 101", "description": "The ceiling light flickers all day",
            "location": "Science Building 101"}).json()
        received: dict[int, dict[int, float]] = {}
        lock = threading.Lock()
        current = {"round": -1}

        def make_handler(index: int):
            def on_update(data):
                if str(data.get("id")) != str(ticket["id"]):
                    return
                now = time.perf_counter()
                with lock:
                    received.setdefault(current["round"], {}).setdefault(index, now)
            return on_update

        for i in range(args.clients):
            client = socketio.Client(reconnection=False)
            client.on("ticket_updated", make_handler(i))
            client.connect(stack.url("maintenance"), auth={"token": admin}, transports=["websocket"], wait_timeout=20)
            clients.append(client)
        all_in, per_delivery = [], []
        for r in range(args.rounds):
            with lock:
                current["round"] = r
            started = time.perf_counter()
            status = STATUSES[r % len(STATUSES)]
            response = stack.api("PUT", f"/api/maintenance/tickets/{ticket['id']}", admin, json={"status": status})
            assert response.status_code == 200, response.text
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with lock:
                    if len(received.get(r, {})) == args.clients:
                        break
                time.sleep(0.001)
            times = received.get(r, {})
            if len(times) == args.clients:
                all_in.append((max(times.values()) - started) * 1000)
            per_delivery.extend((t - started) * 1000 for t in times.values())
        result = {"clients": args.clients, "rounds": args.rounds, "complete_rounds": len(all_in),
                  "all_clients_p50_ms": percentile(all_in, 50), "all_clients_p95_ms": percentile(all_in, 95),
                  "delivery_p50_ms": percentile(per_delivery, 50), "delivery_p95_ms": percentile(per_delivery, 95)}
    finally:
        for client in clients:
            try:
                client.disconnect()
            except Exception:  # noqa: BLE001
                pass
        stack.stop()
    print(table([[result["clients"], result["rounds"], result["complete_rounds"], result["all_clients_p50_ms"],
                  result["all_clients_p95_ms"], result["delivery_p50_ms"], result["delivery_p95_ms"]]],
                ["clients", "rounds", "complete", "all p50 ms", "all p95 ms", "each p50 ms", "each p95 ms"]))
    save("socketio", result)
    return result


if __name__ == "__main__":
    main()
