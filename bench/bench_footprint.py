"""What one instance of each service costs, to size Kubernetes requests and limits
(deploy/k8s, README "Deploy on Kubernetes").

Starts the platform on PostgreSQL under its production servers (two workers per service,
as in the images), drives each service through the gateway with `--requests` calls at
concurrency 8, and reads /proc for every process of each service's process group:
CPU seconds spent per request (user + system, master and workers) and memory, as PSS
(proportional set size: pages shared between the master and its forked workers counted
once, which is what the container's memory cgroup is charged) and RSS, idle after
start and again after the load. Writes bench/results/footprint.json.

    .venv/bin/python bench/bench_footprint.py [--requests 400]
"""
from __future__ import annotations

import argparse
import os

from common import create_pg_database, drop_pg_database, run_load, save, start_stack, table

from shared.process import group_members
from tests.harness import GPA_BODY

TICKET = {"title": "Leaking tap in the kitchen", "description": "The tap in the second floor kitchen "
          "of the library has been dripping since Monday and the sink is filling up.", "location": "Library 2F"}
# What the load asks for, per service, through the gateway (and which token).
ROUTES = {
    "user-management": ("GET", "/api/users/{user_id}", None, "admin"),
    "booking": ("GET", "/api/booking/rooms", None, "student"),
    "gpa-calculator": ("POST", "/api/gpa/calculate", GPA_BODY, "student"),
    "notification": ("GET", "/api/notifications", None, "student"),
    "maintenance": ("POST", "/api/maintenance/tickets", TICKET, "student"),   # the classifier runs
}
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pids: set[int]) -> float:
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])      # utime, stime (fields 14, 15)
    return total / TICKS


def _memory_mib(pids: set[int]) -> dict:
    pss = rss = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as fh:
                for line in fh:
                    key, value = line.split(":", 1)
                    if key == "Pss":
                        pss += int(value.split()[0])
                    elif key == "Rss":
                        rss += int(value.split()[0])
        except OSError:
            continue
    return {"pss_mib": pss / 1024, "rss_mib": rss / 1024, "processes": len(pids)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=400)
    args = parser.parse_args()
    database = create_pg_database()
    stack = start_stack([], backend="postgresql", pg_database=database)
    try:
        groups = {name: proc.proc.pid for name, proc in stack.services.items()}
        idle = {name: _memory_mib(group_members(pgid)) for name, pgid in groups.items()}
        tokens = {role: stack.token(role) for role in ("admin", "student")}
        user_id = stack.api("GET", "/auth/me", tokens["admin"]).json()["id"]
        results = {}
        for service, (method, path, body, role) in ROUTES.items():
            url = stack.url() + path.format(user_id=user_id)
            headers = {"Authorization": f"Bearer {tokens[role]}"}
            before = {name: _cpu_seconds(group_members(groups[name])) for name in (service, "gateway")}
            load = run_load(lambda s, method=method, url=url, body=body, headers=headers:
                            s.request(method, url, json=body, headers=headers, timeout=60).status_code,
                            args.requests, 8)
            spent = {name: _cpu_seconds(group_members(groups[name])) - before[name] for name in before}
            results[service] = {**load, "cpu_ms_per_request": spent[service] * 1000 / args.requests,
                                "gateway_cpu_ms_per_request": spent["gateway"] * 1000 / args.requests}
        loaded = {name: _memory_mib(group_members(pgid)) for name, pgid in groups.items()}
    finally:
        stack.stop()
        drop_pg_database(database)
    rows = []
    for name in groups:
        work = results.get(name, {})
        gateway_cpu = [r["gateway_cpu_ms_per_request"] for r in results.values()]
        cpu = work.get("cpu_ms_per_request", sum(gateway_cpu) / len(gateway_cpu))
        rows.append([name, idle[name]["pss_mib"], loaded[name]["pss_mib"], loaded[name]["rss_mib"],
                     loaded[name]["processes"], cpu, work.get("rps", float("nan"))])
    print(table(rows, ["service", "idle PSS MiB", "loaded PSS MiB", "loaded RSS MiB", "processes",
                       "CPU ms / request", "req/s (c=8)"]))
    print("gateway: CPU ms per proxied request, averaged over the five loads")
    path = save("footprint", {"idle": idle, "loaded": loaded, "load": results, "requests": args.requests})
    print(f"raw: {path}")


if __name__ == "__main__":
    main()
