"""Gateway overhead: POST /calculate on gpa-calculator directly vs POST /api/gpa/calculate
through the gateway, at concurrency 1 and 16 (p50/p99 latency, requests per second).

    .venv/bin/python bench/bench_gateway.py [--runs 3]
"""
from __future__ import annotations

import argparse

from common import median_of, run_load, save, start_stack, table

BODY = {"courses": [{"grade": "A", "credits": 3}, {"grade": "B", "credits": 4}, {"grade": "A", "credits": 3}]}


def main() -> dict:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    stack = start_stack(["gateway", "user-management", "gpa-calculator"])
    try:
        token = stack.token("student")
        headers = {"Authorization": f"Bearer {token}"}
        targets = {"direct": f"{stack.url('gpa-calculator')}/calculate",
                   "gateway": f"{stack.url()}/api/gpa/calculate"}
        results = {}
        for concurrency, total in ((1, 400), (16, 1600)):
            for label, url in targets.items():
                def call(session, url=url):
                    return session.post(url, json=BODY, headers=headers, timeout=30).status_code
                run_load(call, 50, concurrency)  # warm-up
                results[f"{label}_c{concurrency}"] = median_of([run_load(call, total, concurrency)
                                                                for _ in range(args.runs)])
        for c in (1, 16):
            d, g = results[f"direct_c{c}"], results[f"gateway_c{c}"]
            results[f"overhead_c{c}"] = {"p50_added_ms": g["p50_ms"] - d["p50_ms"],
                                         "throughput_ratio": g["rps"] / d["rps"]}
    finally:
        stack.stop()
    rows = [[k, v["concurrency"], v["requests"], v["failures"], v["p50_ms"], v["p99_ms"], v["rps"]]
            for k, v in results.items() if "concurrency" in v]
    print(table(rows, ["path", "conc", "requests", "failures", "p50 ms", "p99 ms", "req/s"]))
    for c in (1, 16):
        o = results[f"overhead_c{c}"]
        print(f"concurrency {c}: gateway adds {o['p50_added_ms']:.2f} ms at p50; "
              f"throughput ratio gateway/direct {o['throughput_ratio']:.2f}")
    save("gateway", results)
    return results


if __name__ == "__main__":
    main()
