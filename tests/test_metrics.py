"""GET /metrics on every service: Prometheus text with request counts and latency."""
from __future__ import annotations

import requests


def test_every_service_exposes_prometheus_metrics(stack, tokens):
    stack.api("GET", "/api/users", tokens["admin"])
    for name in stack.services:
        response = requests.get(f"{stack.url(name)}/metrics", timeout=10)
        assert response.status_code == 200, name
        assert response.headers["Content-Type"].startswith("text/plain"), name
        assert "http_request_duration_seconds_bucket" in response.text or name != "gateway"
    gateway = requests.get(f"{stack.url()}/metrics", timeout=10).text
    assert 'http_requests_total{method="GET",route="/api/<prefix>/<path:rest>",service="gateway",status="200"}' in gateway \
        or 'route="/api/<prefix>",service="gateway",status="200"' in gateway, gateway[:2000]
    assert "circuit_breaker_state" in gateway
    users = requests.get(f"{stack.url('user-management')}/metrics", timeout=10).text
    assert 'outbox_backlog{table="user_outbox"}' in users
    assert 'route="/users",service="user-management",status="200"' in users
