"""GET /metrics on every service: Prometheus text with request counts and latency."""
from __future__ import annotations

import requests
from prometheus_client.parser import text_string_to_metric_families

# One request per service, called directly, and the route label it is counted under.
PROBES = {
    "gateway": ("GET", "/api/users", "/api/<prefix>"),
    "user-management": ("GET", "/users", "/users"),
    "booking": ("GET", "/rooms", "/rooms"),
    "gpa-calculator": ("POST", "/calculate", "/calculate"),
    "notification": ("GET", "/notifications", "/notifications"),
    "maintenance": ("GET", "/tickets", "/tickets"),
}
GPA_BODY = {"courses": [{"grade": "A", "credits": 3}]}


def scrape(stack, service: str) -> str:
    response = requests.get(f"{stack.url(service)}/metrics", timeout=10)
    assert response.status_code == 200, service
    assert response.headers["Content-Type"].startswith("text/plain"), service
    return response.text


def sample_value(text: str, sample_name: str, **labels: str) -> float:
    """The value of one sample (0 when it is not there yet)."""
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == sample_name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0


def test_every_service_counts_and_times_its_requests(stack, tokens):
    assert "gateway" in stack.services
    for service in stack.services:
        method, path, route = PROBES[service]      # a service without a probe fails here
        before = scrape(stack, service)
        answer = stack.api(method, path, tokens["admin"], service=service,
                           json=GPA_BODY if method == "POST" else None)
        assert answer.status_code == 200, (service, answer.text[:300])
        after = scrape(stack, service)
        labels = {"service": service, "method": method, "route": route}
        counted = (sample_value(after, "http_requests_total", **labels, status="200")
                   - sample_value(before, "http_requests_total", **labels, status="200"))
        timed = (sample_value(after, "http_request_duration_seconds_count", **labels)
                 - sample_value(before, "http_request_duration_seconds_count", **labels))
        assert (counted, timed) == (1, 1), f"{service}: {method} {path} counted {counted}, timed {timed}"
        assert sample_value(after, "http_request_duration_seconds_bucket", **labels, le="+Inf") >= 1, service


def test_services_report_their_own_gauges(stack, tokens):
    gateway = scrape(stack, "gateway")
    assert "circuit_breaker_state" in gateway
    users = scrape(stack, "user-management")
    assert 'outbox_backlog{table="user_outbox"}' in users
