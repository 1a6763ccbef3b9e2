"""Ticket analytics and the admins' queue at 200,000 tickets, on SQLite and PostgreSQL.

The maintenance service runs as a real process (it creates its tables and indexes at
start-up); the tickets are then written straight into its database in bulk (executemany
on SQLite, execute_values on PostgreSQL, followed by VACUUM ANALYZE as after any bulk
load), each with a 384-float embedding like the model's, so rows are as wide as real ones.
Then GET /tickets/analytics, the queue's first page and a text search are timed from a
separate process: warm-up requests, then sequential requests; p50 and p95 in ms.
Target (issue 14): analytics p95 <= 100 ms on both databases.

    .venv/bin/python bench/bench_ticket_analytics.py [--tickets 200000] [--requests 40]
"""
from __future__ import annotations

import argparse
import json
import random
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import enhanced_model
import requests
from common import create_pg_database, drop_pg_database, percentile, save, start_stack, table

COLUMNS = ("title", "description", "location", "location_key", "category", "confidence", "classification_method",
           "needs_review", "priority", "impact", "sla_hours", "sla_due_at", "department", "status",
           "possible_duplicate_of", "user_id", "user_name", "user_email", "embedding", "created_at", "updated_at",
           "resolved_at", "closed_at", "assignee_id", "assignee_name", "first_response_at", "first_response_hours",
           "resolution_hours", "sla_met")
WORDS = ("projector", "radiator", "leak", "door", "window", "socket", "light", "toilet", "wifi", "lock", "ceiling",
         "heater", "printer", "cable", "smoke", "water", "chair", "desk", "alarm", "bin")
STATUSES = ("open",) * 2 + ("in_progress",) + ("resolved",) * 4 + ("closed",) * 3


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def tickets(count: int, seed: int = 14):
    """Deterministic tickets over the last year, 15 % urgent: three in ten still open (filed in the
    last four weeks, so some are past due), the rest resolved or closed."""
    rng = random.Random(seed)
    now = datetime.now(timezone.utc)
    embedding = json.dumps([round(rng.uniform(-0.2, 0.2), 6) for _ in range(384)])
    for i in range(count):
        category = rng.choice(enhanced_model.CATEGORIES)
        priority = "urgent" if rng.random() < 0.15 else "standard"
        hours = 4 if priority == "urgent" else 72
        status = rng.choice(STATUSES)
        done = status in ("resolved", "closed")
        created = now - timedelta(minutes=rng.randrange((365 if done else 28) * 24 * 60))
        resolved = created + timedelta(hours=rng.expovariate(1 / (hours * 0.6))) if done else None
        responded = created + timedelta(hours=rng.uniform(0.1, hours * 0.3)) if status != "open" else None
        a, b = rng.choice(WORDS), rng.choice(WORDS)
        location = f"Building {i % 40} room {i % 300}"
        yield (f"{a.title()} problem {i}", f"The {a} near the {b} is broken and needs a look", location,
               location.lower(), category, round(rng.uniform(0.3, 1.0), 4), "model", rng.random() < 0.1, priority,
               "room", hours, _iso(created + timedelta(hours=hours)), enhanced_model.DEPARTMENT_BY_CATEGORY[category],
               status, None, f"user-{i % 5000}", f"User {i % 5000}", f"user{i % 5000}@example.com", embedding,
               _iso(created), _iso(resolved or created), _iso(resolved) if resolved else None,
               _iso(resolved) if status == "closed" else None, "admin-1" if rng.random() < 0.5 else None,
               None, _iso(responded) if responded else None,
               (responded - created).total_seconds() / 3600 if responded else None,
               (resolved - created).total_seconds() / 3600 if resolved else None,
               resolved <= created + timedelta(hours=hours) if resolved else None)


def seed(stack, count: int) -> float:
    started = time.perf_counter()
    insert = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"
    if stack.backend == "sqlite":
        conn = sqlite3.connect(Path(stack.env["DATA_DIR"]) / "tickets.db", timeout=60)
        with conn:
            conn.executemany(insert, tickets(count))
        conn.execute("ANALYZE")
        conn.close()
    else:
        import psycopg2
        from psycopg2.extras import execute_values

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=stack.env["DB_NAME"])
        rows = list(tickets(count))
        # One transaction per 2,000 tickets, as a bulk load would: the statistics trigger updates
        # the same few ticket_stats rows for every ticket, and PostgreSQL keeps every version a
        # transaction writes until it ends.
        for start in range(0, len(rows), 2000):
            with conn, conn.cursor() as cur:
                execute_values(cur, f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES %s", rows[start:start + 2000],
                               page_size=2000)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE tickets")
        conn.close()
    return time.perf_counter() - started


def timed(session: requests.Session, url: str, headers: dict, params: dict, warmup: int, count: int) -> dict:
    for _ in range(warmup):
        assert session.get(url, headers=headers, params=params, timeout=120).status_code == 200
    latencies = []
    for _ in range(count):
        started = time.perf_counter()
        response = session.get(url, headers=headers, params=params, timeout=120)
        latencies.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text[:300]
    return {"p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95), "requests": count}


def bench(backend: str, count: int, requests_per_case: int) -> dict:
    pg = create_pg_database() if backend == "postgresql" else None
    stack = start_stack(["gateway", "user-management", "maintenance"], backend, pg_database=pg,
                        extra_env={"MAINTENANCE_ESCALATION_SECONDS": "3600"})
    try:
        seconds = seed(stack, count)
        headers = {"Authorization": f"Bearer {stack.token('admin')}"}
        session = requests.Session()
        base = stack.url("maintenance")
        stats = session.get(f"{base}/tickets/analytics", headers=headers, timeout=120).json()
        assert stats["total"] == count, stats["total"]
        cases = {"analytics": ("/tickets/analytics", {}),
                 "queue page 1": ("/tickets", {"per_page": 50}),
                 "queue, open + search": ("/tickets", {"per_page": 50, "status": "open,in_progress",
                                                       "q": "radiator leak"})}
        results = {name: timed(session, f"{base}{path}", headers, params, 3, requests_per_case)
                   for name, (path, params) in cases.items()}
        return {"backend": backend, "tickets": count, "seed_seconds": round(seconds, 1), "cases": results}
    finally:
        stack.stop()
        if pg:
            drop_pg_database(pg)


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=200_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    out = {b: bench(b, args.tickets, args.requests) for b in args.backends.split(",")}
    rows = [[b, r["tickets"], name, c["p50_ms"], c["p95_ms"]] for b, r in out.items()
            for name, c in r["cases"].items()]
    print(table(rows, ["backend", "tickets", "request", "p50 ms", "p95 ms"]))
    save("ticket_analytics", out)
    return out


if __name__ == "__main__":
    main()
