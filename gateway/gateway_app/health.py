"""GET /health (the gateway itself) and GET /health/services (every service)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import requests
from flask import Blueprint, current_app, jsonify

from shared.config import SERVICES

blueprint = Blueprint("health", __name__)


def _probe(url: str, timeout: float) -> dict:
    started = time.perf_counter()
    try:
        response = requests.get(f"{url}/health", timeout=timeout)
        body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        status = body.get("status", "unhealthy") if response.ok else "unhealthy"
    except (requests.RequestException, ValueError):
        status, body = "unreachable", {}
    result = {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    if isinstance(body, dict) and isinstance(body.get("outbox"), dict):
        result["outbox"] = body["outbox"]      # notifications waiting, and given up (dead-lettered)
    return result


@blueprint.get("/health/services")
def services_health():
    settings = current_app.config["SETTINGS"]
    targets = [(name, url) for name in SERVICES if name != "gateway" for url in settings.service_urls(name)]
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        results = list(pool.map(lambda t: _probe(t[1], 2.0), targets))
    services = {"gateway": {"status": "healthy", "latency_ms": 0.0}}
    for (name, _url), result in zip(targets, results):
        if name in services and services[name]["status"] == "healthy":
            continue  # one healthy instance is enough for the service to be up
        services[name] = result
    up = sum(1 for s in services.values() if s["status"] == "healthy")
    overall = "healthy" if up == len(services) else ("down" if up <= 1 else "degraded")
    return jsonify({"status": overall, "services": services}), 200
