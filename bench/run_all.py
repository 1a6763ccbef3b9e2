"""Run every benchmark and write docs/benchmarks.md from their results.

    .venv/bin/python bench/run_all.py          # all (about 10 minutes on 2 cores)
    .venv/bin/python bench/run_all.py --write  # only rewrite docs/benchmarks.md from bench/results/
"""
from __future__ import annotations

import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
BENCHES = ["bench_gateway.py", "bench_sessions.py", "bench_breaker.py", "bench_slow_clients.py", "bench_restart.py",
           "bench_login.py", "bench_booking.py", "bench_socketio.py", "bench_classifier.py"]


def load(name: str) -> dict | None:
    path = RESULTS / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def f(value, digits=2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def write_report() -> Path:
    lines = ["# Benchmarks", "",
             f"Latest run: {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC on {platform.machine()}, "
             f"{subprocess.run(['nproc'], capture_output=True, text=True).stdout.strip()} cores, Python "
             f"{platform.python_version()}. Produced by `.venv/bin/python bench/run_all.py` (each script can "
             "run alone); services run under their production servers on loopback, load from a separate "
             "process; figures are medians over the runs shown. Raw JSON in bench/results/.", ""]
    gw = load("gateway")
    if gw and "nginx_c1" in gw:
        lines += ["## Gateway cost (POST /calculate: direct, through nginx, through the gateway; wrk)", "",
                  "| path | concurrency | p50 ms | p99 ms | req/s | failures |", "|---|---|---|---|---|---|"]
        for c in (1, 16):
            for path in ("direct", "nginx", "gateway"):
                r = gw[f"{path}_c{c}"]
                lines.append(f"| {path} | {c} | {f(r['p50_ms'])} | {f(r['p99_ms'])} | {f(r['rps'], 0)} | "
                             f"{int(r['failures'])} |")
        lines.append("")
        for c in (1, 16):
            for path in ("nginx", "gateway"):
                o = gw[f"{path}_overhead_c{c}"]
                lines.append(f"- concurrency {c}: {path} adds {f(o['p50_added_ms'])} ms at p50 and passes "
                             f"{f(o['throughput_ratio'])} of the direct throughput")
        lines += ["", "Targets for the gateway: <= 0.5 ms added at p50 at concurrency 1; >= 0.5 of direct at 16.", ""]
    sessions = load("sessions")
    if sessions:
        lines += ["## Ended sessions refused everywhere (target: within 1 s)", "",
                  "Seconds from the answer that ended a session to the old token refused by every worker of "
                  "every service called directly and by the gateway.", "",
                  "| backend | propagation | session ended by | trials | p50 s | p95 s | max s |",
                  "|---|---|---|---|---|---|---|"]
        for r in sessions["rows"]:
            lines.append(f"| {r['backend']} | {r['push']} | {r['how']} | {r['trials']} | {f(r['p50_s'])} | "
                         f"{f(r['p95_s'])} | {f(r['max_s'])} |")
        lines.append("")
    breaker = load("breaker")
    if breaker:
        lines += ["## Circuit breaker recovery (booking stopped and started under ~50 req/s; target <= 2 s)", "",
                  "| rounds | healthy -> served again p50 s | max s | failed after healthy | requests after healthy |",
                  "|---|---|---|---|---|",
                  f"| {breaker['rounds']} | {f(breaker['seconds_to_served_p50'])} | "
                  f"{f(breaker['seconds_to_served_max'])} | {breaker['failed_after_healthy_total']} | "
                  f"{breaker['requests_after_healthy_total']} |", ""]
    for name, title in (("slow_clients", "Slow clients"), ("restart", "Rolling restarts")):
        data = load(name)
        if data and isinstance(data.get("rows"), list) and data["rows"]:
            keys = list(data["rows"][0])
            lines += [f"## {title}", "", "| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
            for r in data["rows"]:
                lines.append("| " + " | ".join(f(v) if isinstance(v, float) else str(v) for v in r.values()) + " |")
            lines.append("")
    login = load("login")
    if login:
        lines += ["## Login (100 requests, concurrency 10)", "",
                  "| failures | p50 ms | p99 ms | req/s | one password check (ms) |", "|---|---|---|---|---|",
                  f"| {int(login['failures'])} | {f(login['p50_ms'])} | {f(login['p99_ms'])} | {f(login['rps'], 0)} | "
                  f"{f(login['hash_check_ms'])} |", "",
                  "Werkzeug's scrypt check dominates a login; with 2 cores the service can verify only about "
                  "2 / check-time logins per second, which is the ceiling seen here.", ""]
    booking = load("booking")
    if booking:
        lines += ["## Booking contention (200 parallel requests over 20 slots)", "",
                  "| backend | created per run | exactly 20 every run | req/s (median) |", "|---|---|---|---|"]
        for backend, r in booking.items():
            lines.append(f"| {backend} | {', '.join(str(x['created']) for x in r['runs'])} | "
                         f"{r['exactly_20_each_run']} | {f(r['median_rps'], 0)} |")
        lines.append("")
    sio = load("socketio")
    if sio:
        lines += ["## Socket.IO fan-out", "",
                  "| clients | rounds | complete | every client has it p50 ms | p95 ms | one delivery p50 ms | p95 ms |",
                  "|---|---|---|---|---|---|---|",
                  f"| {sio['clients']} | {sio['rounds']} | {sio['complete_rounds']} | {f(sio['all_clients_p50_ms'])} | "
                  f"{f(sio['all_clients_p95_ms'])} | {f(sio['delivery_p50_ms'])} | {f(sio['delivery_p95_ms'])} |", ""]
    clf = load("classifier")
    if clf:
        t = clf["targets"]
        lines += ["## Ticket classifier (one ticket of ~30 tokens; batches of 32 and 64; tokenization included)", "",
                  f"Targets: p50 <= {t['p50_ms']} ms, >= {t['throughput_per_s']:.0f} tickets/s, cold start <= "
                  f"{t['cold_start_s']} s, held-out accuracy within {t['max_accuracy_drop'] * 100:.0f} point of fp32. "
                  f"Held-out set: {clf['n_test']} tickets. Load average during the run: "
                  f"{clf['machine']['loadavg_before'][0]:.1f} -> {clf['machine']['loadavg_after'][0]:.1f}.", "",
                  "| runtime | p50 ms | p95 ms | batch 32 /s | batch 64 /s | cold start s | accuracy | targets met |",
                  "|---|---|---|---|---|---|---|---|"]
        for r in clf["results"]:
            met = [name for name, ok in r["meets_targets"].items() if ok]
            lines.append(f"| {r['runtime']} | {f(r['p50_ms'])} | {f(r['p95_ms'])} | {f(r['throughput_per_s_bs32'], 0)} | "
                         f"{f(r['throughput_per_s_bs64'], 0)} | {f(r['cold_start_s'])} | {f(r['accuracy'], 4)} | "
                         f"{', '.join(met) or 'none'} |")
        lines += ["", "The service runs onnx-int8 by default (MAINTENANCE_MODEL_RUNTIME).", ""]
    out = ROOT / "docs" / "benchmarks.md"
    kept = kept_sections(out.read_text() if out.exists() else "", lines)
    out.write_text("\n".join(lines + kept))
    return out


def _section_key(heading: str) -> str:
    return heading[3:].split(" (")[0].strip()


def kept_sections(existing: str, generated: list[str]) -> list[str]:
    """The sections of the existing page that this script does not write (other bench
    scripts' figures, written by hand from their output), kept after the generated ones."""
    ours = {_section_key(line) for line in generated if line.startswith("## ")}
    kept: list[str] = []
    keep = False
    for line in existing.splitlines():
        if line.startswith("## "):
            keep = _section_key(line) not in ours
        elif line.startswith("# "):
            keep = False
        if keep:
            kept.append(line)
    return kept


def main() -> int:
    if "--write" not in sys.argv:
        for bench in BENCHES:
            if not (HERE / bench).exists():
                continue
            print(f"\n=== {bench}", flush=True)
            result = subprocess.run([sys.executable, str(HERE / bench)], cwd=ROOT)
            if result.returncode != 0:
                print(f"{bench} failed with {result.returncode}", file=sys.stderr)
    print(f"wrote {write_report().relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
