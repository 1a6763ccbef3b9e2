"""Prometheus metrics for every service (GET /metrics), with prometheus-client.

Request counts and latency histograms by route and status are recorded by the web
scaffolding. Under gunicorn or uvicorn with several workers, shared/serve.py points
PROMETHEUS_MULTIPROC_DIR at a fresh folder per service instance, so a scrape of any
worker reports the whole instance. A service adds its own gauges (circuit-breaker
state, outbox backlog, ...) as callbacks evaluated at scrape time. ScrapePolicy says
who may read them (METRICS_TOKEN).
"""
from __future__ import annotations

import hmac
import ipaddress
import os
from dataclasses import dataclass
from typing import Callable, Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily

REQUESTS = Counter("http_requests_total", "HTTP requests handled", ["service", "method", "route", "status"])
LATENCY = Histogram("http_request_duration_seconds", "HTTP request latency", ["service", "method", "route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10))

# A gauge callback returns (name, help, [(labels dict, value), ...]).
GaugeCallback = Callable[[], tuple[str, str, Iterable[tuple[dict[str, str], float]]]]


@dataclass(frozen=True)
class ScrapePolicy:
    """Who may read GET /metrics (route names, traffic and breaker states are not for the
    public, and the gateway's port is public):
    - METRICS_TOKEN set: whoever sends `Authorization: Bearer <METRICS_TOKEN>` (else 401);
    - unset, FLASK_ENV=production: nobody (404, as if there were no metrics);
    - unset, otherwise: this machine only, i.e. loopback clients (else 403)."""

    token: str | None
    production: bool

    @classmethod
    def from_settings(cls, settings) -> "ScrapePolicy":
        return cls(settings.env.str("METRICS_TOKEN") or None, settings.is_production)

    def check(self, client_address: str | None, authorization: str | None) -> None:
        from shared.errors import Forbidden, NotFound, Unauthorized

        if self.token:
            scheme, _, credentials = (authorization or "").partition(" ")
            if scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self.token.encode()):
                return
            raise Unauthorized("Metrics need Authorization: Bearer <METRICS_TOKEN>.", code="metrics_token_required")
        if self.production:
            raise NotFound()
        if not _is_loopback(client_address):
            raise Forbidden("Metrics are served to this machine only; set METRICS_TOKEN to scrape from elsewhere.",
                            code="metrics_local_only")


def _is_loopback(address: str | None) -> bool:
    try:
        ip = ipaddress.ip_address((address or "").split("%")[0])
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)   # ::ffff:127.0.0.1 on a dual-stack socket
    return (mapped or ip).is_loopback


def observe(service: str, method: str, route: str, status: int, seconds: float) -> None:
    REQUESTS.labels(service, method, route, str(status)).inc()
    LATENCY.labels(service, method, route).observe(seconds)


class _Callbacks:
    def __init__(self, callbacks: list[GaugeCallback]):
        self.callbacks = callbacks

    def collect(self):
        for callback in self.callbacks:
            try:
                name, help_text, samples = callback()
            except Exception:  # noqa: BLE001 - a failing gauge must not break the scrape
                continue
            samples = list(samples)
            labels = sorted(samples[0][0]) if samples else []
            family = GaugeMetricFamily(name, help_text, labels=labels)
            for sample_labels, value in samples:
                family.add_metric([sample_labels[k] for k in labels], value)
            yield family


def render(callbacks: list[GaugeCallback] | None = None) -> tuple[bytes, str]:
    """The exposition text for this instance (all workers) plus the service's gauges."""
    registry = CollectorRegistry()
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        from prometheus_client import REGISTRY

        registry = REGISTRY
    if callbacks:
        extra = CollectorRegistry()
        extra.register(_Callbacks(callbacks))
        return generate_latest(registry) + generate_latest(extra), CONTENT_TYPE_LATEST
    return generate_latest(registry), CONTENT_TYPE_LATEST


def breaker_gauge(http_client) -> GaugeCallback:
    states = {"closed": 0, "half_open": 1, "open": 2}

    def callback():
        return ("circuit_breaker_state", "Circuit breaker per upstream: 0 closed, 1 half-open, 2 open",
                [({"upstream": upstream}, states[state]) for upstream, state in http_client.breaker_states().items()])
    return callback


def outbox_gauge(dispatcher) -> GaugeCallback:
    def callback():
        return ("outbox_backlog", "Notifications written but not yet delivered",
                [({"table": dispatcher.table}, dispatcher.backlog())])
    return callback
