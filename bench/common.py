"""Shared pieces of the benchmarks: start a real platform, drive load, summarise.

The services run as real processes under their production servers (tests.harness.Stack,
the same entry points start_all.sh uses); the load comes from this separate process
over loopback. Figures are medians over several runs.
"""
from __future__ import annotations

import json
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.harness import Stack  # noqa: E402

RESULTS = ROOT / "bench" / "results"


def start_stack(services: list[str], backend: str = "sqlite", extra_env: dict | None = None,
                pg_database: str | None = None) -> Stack:
    workdir = Path(tempfile.mkdtemp(prefix="campus-bench-"))
    env = {"LOG_LEVEL": "WARNING", **(extra_env or {})}
    stack = Stack(workdir, backend, pg_database, env)
    stack.start(services)
    return stack


def create_pg_database() -> str:
    import uuid

    import psycopg2

    name = f"campus_bench_{uuid.uuid4().hex[:10]}"
    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()
    return name


def drop_pg_database(name: str) -> None:
    import psycopg2

    conn = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    conn.close()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def run_load(call: Callable[[requests.Session], int], total: int, concurrency: int,
             ok: Callable[[int], bool] = lambda s: 200 <= s < 300) -> dict:
    """`total` calls spread over `concurrency` threads, each with its own keep-alive session."""
    latencies: list[float] = []
    failures = 0
    lock = threading.Lock()
    per_thread = [total // concurrency + (1 if i < total % concurrency else 0) for i in range(concurrency)]

    def worker(count: int):
        nonlocal failures
        session = requests.Session()
        local, bad = [], 0
        for _ in range(count):
            started = time.perf_counter()
            status = call(session)
            local.append(time.perf_counter() - started)
            if not ok(status):
                bad += 1
        with lock:
            latencies.extend(local)
            failures += bad

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        list(pool.map(worker, per_thread))
    wall = time.perf_counter() - started
    return {"requests": total, "concurrency": concurrency, "failures": failures,
            "p50_ms": percentile(latencies, 50) * 1000, "p99_ms": percentile(latencies, 99) * 1000,
            "rps": total / wall}


def median_of(runs: list[dict]) -> dict:
    keys = [k for k, v in runs[0].items() if isinstance(v, (int, float))]
    out = {k: statistics.median(r[k] for r in runs) for k in keys}
    out["runs"] = len(runs)
    return out


def save(name: str, data: dict) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, default=str))
    return path


def table(rows: list[list], headers: list[str]) -> str:
    widths = [max(len(str(h)), *(len(_fmt(r[i])) for r in rows)) for i, h in enumerate(headers)]
    line = "| " + " | ".join(str(h).ljust(w) for h, w in zip(headers, widths)) + " |"
    sep = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(_fmt(c).ljust(w) for c, w in zip(r, widths)) + " |" for r in rows]
    return "\n".join([line, sep, *body])


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)
