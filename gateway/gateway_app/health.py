"""GET /health (the gateway itself) and GET /health/services (every service)."""
from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Literal, Optional

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, Field

from shared.config import SERVICES
from shared.errors import ApiError
from shared.http_client import HttpClient
from shared.openapi import answers

blueprint = Blueprint("health", __name__)


class ServiceHealth(BaseModel):
    status: str = Field(description="healthy, or unhealthy, unreachable, or what the service's /health said")
    latency_ms: float
    outbox: Optional[dict[str, Any]] = Field(
        default=None, description="Notifications waiting and given up (dead-lettered); services with an outbox")


class PlatformHealth(BaseModel):
    status: Literal["healthy", "degraded", "down"]
    services: dict[str, ServiceHealth] = Field(description="By service name; the gateway is one of them")


def _probe(http: HttpClient, url: str, timeout: float) -> dict:
    started = time.perf_counter()
    try:
        # One attempt, no service token, and outside the circuit breaker: the answer is
        # this moment's state, and a service that is down must not open the proxy's circuit.
        response = http.request("GET", f"{url}/health", timeout=timeout, retries=1,
                                service_auth=False, breaker=False)
        body = response.json() if response.headers.get("Content-Type", "").startswith("application/json") else {}
        status = body.get("status", "unhealthy") if response.ok else "unhealthy"
    except (ApiError, ValueError):
        status, body = "unreachable", {}
    result = {"status": status, "latency_ms": round((time.perf_counter() - started) * 1000, 1)}
    if isinstance(body, dict) and isinstance(body.get("outbox"), dict):
        result["outbox"] = body["outbox"]      # notifications waiting, and given up (dead-lettered)
    return result


@blueprint.get("/health/services")
@answers(200, PlatformHealth)
def services_health():
    settings = current_app.config["SETTINGS"]
    http = current_app.extensions["http"]
    targets = [(name, url) for name in SERVICES if name != "gateway" for url in settings.service_urls(name)]
    with ThreadPoolExecutor(max_workers=len(targets)) as pool:
        results = list(pool.map(lambda t: _probe(http, t[1], 2.0), targets))
    services = {"gateway": {"status": "healthy", "latency_ms": 0.0}}
    for (name, _url), result in zip(targets, results):
        if name in services and services[name]["status"] == "healthy":
            continue  # one healthy instance is enough for the service to be up
        services[name] = result
    up = sum(1 for s in services.values() if s["status"] == "healthy")
    overall = "healthy" if up == len(services) else ("down" if up <= 1 else "degraded")
    return jsonify(PlatformHealth(status=overall, services=services).model_dump(exclude_none=True)), 200
