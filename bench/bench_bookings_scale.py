"""Booking reads at scale: 1,000,000 bookings over two years (a year back, a year ahead),
12 rooms, 20,000 users; p50/p95 of the four reads a campus makes all day, on SQLite and on
PostgreSQL, against a real booking service (its production server, two workers).

    .venv/bin/python bench/bench_bookings_scale.py [--rows 1000000] [--requests 300]

The rows are written with one bulk INSERT ... SELECT per database (a recursive CTE on
SQLite, generate_series on PostgreSQL), straight into the service's own tables, after the
service has created them: 12 rooms x 10 slots x 730 days = 87,600 slots, each held by one
confirmed booking (pending for 5% of the later ones) and about ten cancelled, released or
rejected ones, so every slot has the history a busy campus gives it. Past bookings are
checked in (a no-show would have been released), so the reads measure the reads.

Measured one request at a time, each from a random user, room or day:
  room day     GET /bookings/available?room_id&date          (the page's one-room view)
  grid         GET /grid?date                                (every room, every slot of a day)
  my upcoming  GET /bookings                                 (a user's upcoming, by start, page 1)
  admin page   GET /bookings?room_id&from&to&status          (an admin's month of one room)
  admin all    GET /bookings (admin, no filter)              (every upcoming booking: the count is the cost)
"""
from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import time
from datetime import date, timedelta
from pathlib import Path

import requests
from common import RESULTS, create_pg_database, drop_pg_database, percentile, save, start_stack, table

from shared.auth import issue_token
from shared.config import load_settings
from tests.harness import TEST_SECRET

SLOTS_PER_DAY, ROOMS, DAYS, USERS = 10, 12, 730, 20_000
SLOT_CELLS = SLOTS_PER_DAY * ROOMS * DAYS            # 87,600 slots in two years
LABELS = ["08:00 AM - 09:00 AM", "09:00 AM - 10:00 AM", "10:00 AM - 11:00 AM", "11:00 AM - 12:00 PM",
          "12:00 PM - 01:00 PM", "01:00 PM - 02:00 PM", "02:00 PM - 03:00 PM", "03:00 PM - 04:00 PM",
          "04:00 PM - 05:00 PM", "05:00 PM - 06:00 PM"]
COLUMNS = ("room_id, booking_date, time_slot, start_at, end_at, checkin_deadline, user_id, user_name, user_email, "
           "status, checked_in, created_at, updated_at")

# n -> slot cell c = n % SLOT_CELLS (day d, room r, hour h) and copy k = n / SLOT_CELLS:
# copy 0 holds the slot (confirmed; pending for 5% of those 3+ days ahead), the others are history.
SQLITE_SEED = f"""
WITH RECURSIVE seq(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM seq WHERE n < :rows - 1),
cell AS (SELECT n, (n % {SLOT_CELLS}) / {SLOTS_PER_DAY * ROOMS} AS d,
                ((n % {SLOT_CELLS}) / {SLOTS_PER_DAY}) % {ROOMS} AS r, n % {SLOTS_PER_DAY} AS h,
                n / {SLOT_CELLS} AS k FROM seq)
INSERT INTO bookings ({COLUMNS})
SELECT r + 1, date(:first, d || ' days'), l.label,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :first, d || ' days', '+' || (h + 8) || ' hours'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :first, d || ' days', '+' || (h + 9) || ' hours'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :first, d || ' days', '+' || (h + 8) || ' hours', '+15 minutes'),
       'bench-user-' || ((n * 7919) % {USERS}), 'Bench User', 'bench@example.com',
       CASE WHEN k > 0 THEN (CASE k % 3 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'released' ELSE 'rejected' END)
            WHEN d >= :today_index + 3 AND n % 20 = 0 THEN 'pending' ELSE 'confirmed' END,
       CASE WHEN k = 0 AND d < :today_index THEN 1 ELSE 0 END,
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :first, (d - 7) || ' days', '+' || (n % 86400) || ' seconds'),
       strftime('%Y-%m-%dT%H:%M:%S.000000Z', :first, (d - 7) || ' days')
FROM cell JOIN bench_labels l ON l.hour = cell.h
"""
PG_SEED = (f"""
INSERT INTO bookings ({COLUMNS})
SELECT r + 1, to_char(day, 'YYYY-MM-DD'), l.label,
       to_char(day + (h + 8) * interval '1 hour', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       to_char(day + (h + 9) * interval '1 hour', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       to_char(day + (h + 8) * interval '1 hour' + interval '15 minutes', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       'bench-user-' || ((n * 7919) % {USERS}), 'Bench User', 'bench@example.com',
       CASE WHEN k > 0 THEN (CASE k % 3 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'released' ELSE 'rejected' END)
            WHEN d >= %(today_index)s + 3 AND n % 20 = 0 THEN 'pending' ELSE 'confirmed' END,
       k = 0 AND d < %(today_index)s,
       to_char(day - interval '7 days' + (n % 86400) * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       to_char(day - interval '7 days', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
FROM (SELECT n, (n % {SLOT_CELLS}) / {SLOTS_PER_DAY * ROOMS} AS d,
             ((n % {SLOT_CELLS}) / {SLOTS_PER_DAY}) % {ROOMS} AS r, n % {SLOTS_PER_DAY} AS h,
             n / {SLOT_CELLS} AS k, %(first)s::timestamp + ((n % {SLOT_CELLS}) / {SLOTS_PER_DAY * ROOMS}) * interval '1 day' AS day
      FROM generate_series(0::bigint, %(rows)s - 1) AS n) AS cell
JOIN (SELECT * FROM unnest(%(hours)s::int[], %(labels)s::text[]) AS t(hour, label)) AS l ON l.hour = cell.h
""").replace(" % ", " %% ")   # psycopg2's parameters are %(name)s: a modulo is written %%


def seed(stack, backend: str, rows: int, first: date, today_index: int) -> float:
    started = time.perf_counter()
    if backend == "sqlite":
        conn = sqlite3.connect(Path(stack.env["DATA_DIR"]) / "bookings.db", timeout=60)
        conn.execute("CREATE TEMP TABLE bench_labels (hour INTEGER, label TEXT)")
        conn.executemany("INSERT INTO bench_labels VALUES (?, ?)", list(enumerate(LABELS)))
        with conn:
            conn.execute(SQLITE_SEED, {"rows": rows, "first": first.isoformat(), "today_index": today_index})
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")     # steady state: the load is on disk
        conn.close()
    else:
        import psycopg2

        conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname=stack.env["DB_NAME"])
        with conn, conn.cursor() as cur:
            cur.execute(PG_SEED, {"rows": rows, "first": first.isoformat(), "today_index": today_index,
                                  "hours": list(range(SLOTS_PER_DAY)), "labels": LABELS})
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute("VACUUM ANALYZE bookings")
            cur.execute("CHECKPOINT")      # steady state: the bulk load's dirty pages are written out
        conn.close()
    return time.perf_counter() - started


def token(role: str, user_id: str) -> str:
    settings = load_settings({"JWT_SECRET_KEY": TEST_SECRET, "FLASK_ENV": "testing"})
    return issue_token(settings, user_id=user_id, email=f"{user_id}@example.com", name=user_id, role=role)


def measure(base: str, requests_per_read: int) -> dict:
    today = date.today()
    admin = {"Authorization": f"Bearer {token('admin', 'bench-admin')}"}
    people = [{"Authorization": f"Bearer {token('student', f'bench-user-{i}')}"} for i in range(200)]
    session = requests.Session()
    rng = random.Random(15)

    def some_day() -> str:
        return (today + timedelta(days=rng.randint(-300, 300))).isoformat()

    def month() -> dict:
        start = today + timedelta(days=rng.randint(-300, 300))
        return {"from": start.isoformat(), "to": (start + timedelta(days=30)).isoformat()}

    reads = {
        "room day": lambda: ("/bookings/available", {"room_id": rng.randint(1, ROOMS), "date": some_day()},
                             rng.choice(people)),
        "grid": lambda: ("/grid", {"date": some_day()}, rng.choice(people)),
        "my upcoming": lambda: ("/bookings", {}, rng.choice(people)),
        "admin page": lambda: ("/bookings", {"room_id": rng.randint(1, ROOMS), "status": "confirmed", **month()},
                               admin),
        "admin all": lambda: ("/bookings", {}, admin),
    }
    out = {}
    for name, make in reads.items():
        for _ in range(10):                       # warm the pools and caches
            path, params, headers = make()
            session.get(base + path, params=params, headers=headers, timeout=60)
        latencies, failures, sizes = [], 0, []
        for _ in range(requests_per_read):
            path, params, headers = make()
            started = time.perf_counter()
            response = session.get(base + path, params=params, headers=headers, timeout=60)
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code != 200
            body = response.json()
            sizes.append(body.get("total", len(body.get("rooms", body.get("slots", [])))))
        out[name] = {"p50_ms": percentile(latencies, 50), "p95_ms": percentile(latencies, 95),
                     "failures": failures, "median_size": sorted(sizes)[len(sizes) // 2]}
    return out


def bench(backend: str, rows: int, requests_per_read: int) -> dict:
    pg = create_pg_database() if backend == "postgresql" else None
    stack = start_stack(["user-management", "booking"], backend, pg_database=pg)
    try:
        today = date.today()
        first = today - timedelta(days=DAYS // 2)
        seconds = seed(stack, backend, rows, first, (today - first).days)
        time.sleep(5)      # let the service's pools settle after the load (no measurement runs meanwhile)
        result = {"backend": backend, "rows": rows, "seed_seconds": seconds,
                  "reads": measure(stack.url("booking"), requests_per_read)}
    finally:
        stack.stop()
        shutil.rmtree(Path(stack.env["DATA_DIR"]).parent, ignore_errors=True)   # a million rows: gigabytes
        if pg:
            drop_pg_database(pg)
    return result


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    backends = ("sqlite", "postgresql") if args.backend == "both" else (args.backend,)
    out = {}
    for b in backends:
        out[b] = bench(b, args.rows, args.requests)
        print(json.dumps(out[b]), flush=True)
    print(table([[b, name, r["p50_ms"], r["p95_ms"], r["failures"], r["median_size"]]
                 for b, res in out.items() for name, r in res["reads"].items()],
                ["backend", "read", "p50 ms", "p95 ms", "failures", "median rows/total"]))
    for b, res in out.items():
        print(f"{b}: seeded {res['rows']:,} bookings in {res['seed_seconds']:.1f} s")
    earlier = RESULTS / "bookings_scale.json"      # a run of one backend keeps the other's figures
    kept = json.loads(earlier.read_text()) if earlier.is_file() else {}
    save("bookings_scale", {**kept, **out})
    return out


if __name__ == "__main__":
    main()
