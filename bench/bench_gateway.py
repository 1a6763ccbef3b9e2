"""The gateway's own cost, measured the way a deployer would: POST /calculate on the GPA
service directly, through nginx as a plain reverse proxy (the anchor), and through our
gateway (/api/gpa/calculate: token check, ended-session check, edge rules, proxy), in one
run, with wrk (a C load generator, so the client is never the bottleneck) at
concurrency 1 and 16. wrk and nginx come from Debian's packages, installed when missing.

    .venv/bin/python bench/bench_gateway.py [--seconds 8] [--runs 3]

Targets: the gateway adds <= 0.5 ms at p50 at concurrency 1, and passes >= 0.5 of the
direct throughput at concurrency 16.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import requests
from common import save, start_stack, table

from tests.harness import free_port

BODY = {"courses": [{"grade": "A", "credits": 3}, {"grade": "B", "credits": 4}, {"grade": "A", "credits": 3}]}


def ensure_tools() -> None:
    missing = [pkg for tool, pkg in (("wrk", "wrk"), ("nginx", "nginx-light")) if not shutil.which(tool)
               and not Path(f"/usr/sbin/{tool}").exists()]
    if missing:
        subprocess.run(["apt-get", "install", "-y", *missing], check=False, capture_output=True)
        if any(not shutil.which(t) and not Path(f"/usr/sbin/{t}").exists() for t in ("wrk", "nginx")):
            subprocess.run(["apt-get", "update"], check=False, capture_output=True)
            subprocess.run(["apt-get", "install", "-y", *missing], check=True, capture_output=True)


def start_nginx(upstream_port: int) -> tuple[subprocess.Popen, int, Path]:
    """nginx in the foreground as a reverse proxy with keep-alive to the upstream."""
    folder = Path(tempfile.mkdtemp(prefix="campus-nginx-"))
    port = free_port()
    (folder / "nginx.conf").write_text(f"""
worker_processes 2;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
daemon off;
events {{ worker_connections 1024; }}
http {{
  access_log off;
  client_body_temp_path {folder}/body;
  proxy_temp_path {folder}/proxy;
  fastcgi_temp_path {folder}/fastcgi;
  uwsgi_temp_path {folder}/uwsgi;
  scgi_temp_path {folder}/scgi;
  upstream gpa {{ server 127.0.0.1:{upstream_port}; keepalive 32; }}
  server {{
    listen 127.0.0.1:{port};
    location / {{
      proxy_pass http://gpa;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }}
  }}
}}
""")
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    proc = subprocess.Popen([nginx, "-c", str(folder / "nginx.conf"), "-p", str(folder)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/health", timeout=1).ok:
                return proc, port, folder
        except requests.RequestException:
            time.sleep(0.1)
    raise RuntimeError("nginx did not start")


def wrk(url: str, token: str, connections: int, seconds: int, folder: Path) -> dict:
    script = folder / "post.lua"
    script.write_text('wrk.method = "POST"\n'
                      f'wrk.body = {json.dumps(json.dumps(BODY))}\n'
                      'wrk.headers["Content-Type"] = "application/json"\n'
                      f'wrk.headers["Authorization"] = "Bearer {token}"\n'
                      'done = function(summary, latency, requests)\n'
                      '  io.write(string.format("RESULT %d %d %d %d %.1f %.1f %.1f\\n", summary.requests,\n'
                      '    summary.errors.status, summary.errors.connect + summary.errors.read + summary.errors.write,\n'
                      '    summary.errors.timeout, latency:percentile(50), latency:percentile(99), summary.duration))\n'
                      'end\n')
    threads = 1 if connections == 1 else 2
    out = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "-s", str(script),
                          url], capture_output=True, text=True, check=True).stdout
    match = re.search(r"RESULT (\d+) (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+) ([\d.]+)", out)
    total, status_errors, socket_errors, timeouts, p50_us, p99_us, duration_us = match.groups()
    return {"requests": int(total), "failures": int(status_errors) + int(socket_errors) + int(timeouts),
            "p50_ms": float(p50_us) / 1000, "p99_ms": float(p99_us) / 1000,
            "rps": int(total) / (float(duration_us) / 1e6)}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    ensure_tools()
    stack = start_stack(["gateway", "user-management", "gpa-calculator"])
    nginx, nginx_port, folder = start_nginx(stack.ports["gpa-calculator"])
    try:
        token = stack.token("student")
        targets = {"direct": f"{stack.url('gpa-calculator')}/calculate",
                   "nginx": f"http://127.0.0.1:{nginx_port}/calculate",
                   "gateway": f"{stack.url()}/api/gpa/calculate"}
        for url in targets.values():
            assert requests.post(url, json=BODY, headers={"Authorization": f"Bearer {token}"}).status_code == 200
        results: dict[str, dict] = {}
        for connections in (1, 16):
            for url in targets.values():
                wrk(url, token, connections, 2, folder)                 # warm-up
            # Interleaved runs, so a noisy moment of the machine hits every path alike.
            runs: dict[str, list[dict]] = {label: [] for label in targets}
            for _ in range(args.runs):
                for label, url in targets.items():
                    runs[label].append(wrk(url, token, connections, args.seconds, folder))
            for label, measured in runs.items():
                results[f"{label}_c{connections}"] = {
                    "path": label, "concurrency": connections, "runs": len(measured),
                    **{k: statistics.median(m[k] for m in measured) for k in ("requests", "failures", "p50_ms",
                                                                               "p99_ms", "rps")}}
        for c in (1, 16):
            d = results[f"direct_c{c}"]
            for label in ("nginx", "gateway"):
                r = results[f"{label}_c{c}"]
                results[f"{label}_overhead_c{c}"] = {"p50_added_ms": r["p50_ms"] - d["p50_ms"],
                                                     "throughput_ratio": r["rps"] / d["rps"]}
    finally:
        os.killpg(nginx.pid, 15)
        nginx.wait(10)
        stack.stop()
    rows = [[v["path"], v["concurrency"], v["requests"], v["failures"], v["p50_ms"], v["p99_ms"], v["rps"]]
            for v in results.values() if "path" in v]
    print(table(rows, ["path", "conc", "requests", "failures", "p50 ms", "p99 ms", "req/s"]))
    for c in (1, 16):
        for label in ("nginx", "gateway"):
            o = results[f"{label}_overhead_c{c}"]
            print(f"concurrency {c}: {label} adds {o['p50_added_ms']:.2f} ms at p50; "
                  f"throughput {label}/direct {o['throughput_ratio']:.2f}")
    save("gateway", results)
    return results


if __name__ == "__main__":
    main()
