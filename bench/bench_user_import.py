"""Users in bulk: a 50,000-row CSV through the gateway, as the users page sends it: the dry
run (POST /api/users/import/check), the import (POST /api/users/imports, 1,000 rows a
transaction, polled until done), the same file imported again (nothing created), a search
among the 50,000 and the export. On SQLite and on PostgreSQL.

    .venv/bin/python bench/bench_user_import.py [--rows 50000]
"""
from __future__ import annotations

import argparse
import time

import requests
from common import create_pg_database, drop_pg_database, save, start_stack, table


def csv_text(rows: int) -> str:
    roles = ("student",) * 8 + ("faculty",)
    lines = ["email,name,role"] + [f"person{i:05d}@students.example.edu,Person Number {i:05d},{roles[i % 9]}"
                                   for i in range(rows)]
    return "\n".join(lines) + "\n"


def timed(call):
    started = time.perf_counter()
    result = call()
    return result, time.perf_counter() - started


def run_import(session: requests.Session, base: str, text: str) -> tuple[dict, float, int]:
    started = time.perf_counter()
    job = session.post(f"{base}/api/users/imports", json={"csv": text}, timeout=300).json()
    polls = 0
    while job["status"] == "running":
        time.sleep(0.2)
        polls += 1
        job = session.get(f"{base}/api/users/imports/{job['id']}", timeout=60).json()
    return job, time.perf_counter() - started, polls


def bench(backend: str, rows: int) -> dict:
    pg = create_pg_database() if backend == "postgresql" else None
    stack = start_stack(["gateway", "user-management"], backend, pg_database=pg)
    try:
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {stack.token('admin')}"
        base = stack.url()
        text = csv_text(rows)
        report, check_s = timed(lambda: session.post(f"{base}/api/users/import/check", json={"csv": text},
                                                     timeout=300).json())
        assert report["new"] == rows, report
        job, import_s, polls = run_import(session, base, text)
        assert job["status"] == "done" and job["created"] == rows, job
        again, again_s, _ = run_import(session, base, text)
        assert again["created"] == 0, again
        found, search_s = timed(lambda: session.get(f"{base}/api/users", params={"q": "number 04242"},
                                                    timeout=60).json())
        assert found["total"] == 1, found
        export, export_s = timed(lambda: session.get(f"{base}/api/users/export", timeout=300))
        assert export.text.count("\n") >= rows + 1
    finally:
        stack.stop()
        if pg:
            drop_pg_database(pg)
    return {"backend": backend, "rows": rows, "csv_bytes": len(text.encode()), "check_s": check_s,
            "import_s": import_s, "import_rows_per_s": rows / import_s, "progress_polls": polls,
            "reimport_s": again_s, "search_s": search_s, "export_s": export_s}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=50_000)
    args = parser.parse_args()
    out = {b: bench(b, args.rows) for b in ("sqlite", "postgresql")}
    print(table([[b, r["rows"], r["csv_bytes"], r["check_s"], r["import_s"], r["import_rows_per_s"], r["reimport_s"],
                  r["search_s"], r["export_s"]] for b, r in out.items()],
                ["backend", "rows", "CSV bytes", "dry run s", "import s", "rows/s", "again s", "search s", "export s"]))
    save("user_import", out)
    return out


if __name__ == "__main__":
    main()
