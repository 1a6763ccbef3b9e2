"""Calls from the gateway to the services: instance choice and error mapping."""
from __future__ import annotations

import itertools
import threading
from typing import Any, Callable, TypeVar

import requests
from flask import current_app

from shared.errors import ApiError, BadGateway, ServiceUnavailable
from shared.http_client import Forwarded

T = TypeVar("T")

_counters: dict[str, itertools.count] = {}
_lock = threading.Lock()


def instances(service: str) -> list[str]:
    """The service's instances, rotated so that requests spread across them."""
    urls = current_app.config["SETTINGS"].service_urls(service)
    if len(urls) == 1:
        return urls
    with _lock:
        start = next(_counters.setdefault(service, itertools.count())) % len(urls)
    return urls[start:] + urls[:start]


def call(service: str, method: str, path: str, **kwargs: Any) -> requests.Response:
    """Send to the first instance that answers. An instance that cannot be reached (or
    whose circuit is open) is skipped: the request never arrived there, so trying the
    next one is safe even for a POST. A timeout is not retried elsewhere."""
    http = current_app.extensions["http"]
    return _first_that_answers(service, lambda base: http.request(method, f"{base}{path}", **kwargs))


def forward(service: str, method: str, path: str, **kwargs: Any) -> Forwarded:
    """`call` for the /api proxy: HttpClient.forward, the lean path (same policy)."""
    http = current_app.extensions["http"]
    return _first_that_answers(service, lambda base: http.forward(method, f"{base}{path}", **kwargs))


def _first_that_answers(service: str, send: Callable[[str], T]) -> T:
    last: ApiError | None = None
    for base in instances(service):
        try:
            return send(base)
        except ServiceUnavailable as exc:
            last = exc
            continue
    raise ServiceUnavailable(f"The {service} service is unavailable; try again shortly.",
                             code="upstream_unavailable") from last


def json_or_error(response: requests.Response) -> dict[str, Any]:
    """The JSON body of a 2xx answer; an error answer is re-raised in our envelope."""
    try:
        body = response.json()
    except ValueError:
        raise BadGateway("An upstream service sent an unreadable answer.") from None
    if response.status_code >= 400:
        error = ApiError(body.get("error") if isinstance(body, dict) else None,
                         code=body.get("code") if isinstance(body, dict) else None,
                         details=body.get("details") if isinstance(body, dict) else None)
        error.status = response.status_code if response.status_code < 500 or response.status_code in (503, 504) else 502
        raise error
    return body
