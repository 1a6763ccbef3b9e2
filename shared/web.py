"""What every service's app has in common, for Flask and for FastAPI.

`create_flask_app` / `create_fastapi_app` give an app that already has: logging with
correlation IDs, the error envelope, a request-size limit, one log line per request,
X-Correlation-ID on every response, GET /health (alive) and GET /ready (the database
answers). Services add their own routes and nothing of this.
"""
from __future__ import annotations

import logging
import time
from typing import Any, Callable, TypeVar

from pydantic import BaseModel, ValidationError

from shared import metrics
from shared.config import Settings, service_info
from shared.errors import (
    ApiError,
    BadRequest,
    HeadersTooLarge,
    PayloadTooLarge,
    UnsupportedMediaType,
    UriTooLong,
    ValidationFailed,
    pydantic_details,
    register_fastapi,
    register_flask,
)
from shared.log import CORRELATION_HEADER, get_correlation_id, set_correlation_id, setup_logging
from shared.revocation import session_revocations

Model = TypeVar("Model", bound=BaseModel)
request_logger = logging.getLogger("http")

SECURITY_HEADERS = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}


def _ready_payload(service: str, checks: dict[str, Callable[[], Any]]) -> tuple[dict, int]:
    results, ok = {}, True
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:  # noqa: BLE001 - readiness reports, never raises
            ok = False
            results[name] = f"failing: {exc.__class__.__name__}"
    return {"status": "ready" if ok else "not_ready", "service": service, "checks": results}, (200 if ok else 503)


# ----------------------------------------------------------------------------- Flask
def create_flask_app(service: str, settings: Settings, *, readiness: dict[str, Callable[[], Any]] | None = None,
                     health: Callable[[], dict] | None = None, openapi: bool = True):
    from flask import Flask, g, jsonify, request

    info = service_info(service)
    setup_logging(info.name, info.log_name, settings.log_dir, settings.log_level)
    app = Flask(info.name, static_folder=None)
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_content_length
    app.json.sort_keys = False
    register_flask(app)
    checks = dict(readiness or {})

    @app.before_request
    def _start():
        set_correlation_id(request.headers.get(CORRELATION_HEADER))
        g.started = time.perf_counter()

    @app.after_request
    def _finish(response):
        response.headers[CORRELATION_HEADER] = get_correlation_id()
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        if request.path not in ("/health", "/metrics"):
            request_logger.info("%s %s -> %s (%.1f ms)", request.method, request.path,
                                response.status_code, elapsed)
            route = request.url_rule.rule if request.url_rule is not None else "unmatched"
            metrics.observe(info.name, request.method, route, response.status_code, elapsed / 1000)
        return response

    app.config["METRIC_GAUGES"] = []      # callables adding to /metrics, e.g. breaker_gauge(http)
    app.config["HEALTH_EXTRAS"] = []      # callables adding to /health, e.g. the outbox summary
    scrape_policy = metrics.ScrapePolicy.from_settings(settings)

    @app.get("/metrics")
    def _metrics():
        from flask import Response

        scrape_policy.check(request.remote_addr, request.headers.get("Authorization"))
        body, content_type = metrics.render(app.config["METRIC_GAUGES"])
        return Response(body, content_type=content_type)

    @app.get("/health")
    def _health():
        body = {"status": "healthy", "service": info.name,
                "sessions": (app.config.get("SESSIONS") or session_revocations(settings)).status()}
        if health is not None:
            body.update(health())
        for extra in app.config["HEALTH_EXTRAS"]:
            body.update(extra())
        return jsonify(body)

    @app.get("/ready")
    def _ready():
        body, status = _ready_payload(info.name, checks)
        return jsonify(body), status

    if openapi:
        @app.get("/openapi.json")
        def _openapi():
            from shared.openapi import flask_openapi

            return jsonify(flask_openapi(app, f"{info.name} API"))

    return app


def app_db():
    """The current Flask app's Database: create_app keeps it in app.extensions["db"]."""
    from flask import current_app

    return current_app.extensions["db"]


def request_bytes() -> bytes:
    """The request body, 413 when it is larger than MAX_CONTENT_LENGTH. Werkzeug refuses
    a too long Content-Length itself, but a chunked body (no Content-Length) it silently
    cuts at the limit; one more byte read past the cut tells whether there was more."""
    from flask import request

    limit = request.max_content_length
    if request.content_length and limit is not None and request.content_length > limit:
        raise PayloadTooLarge()
    raw = request.get_data(cache=True)
    if limit is not None and request.content_length is None and len(raw) >= limit \
            and request.environ["wsgi.input"].read(1):
        raise PayloadTooLarge()
    return raw


def json_body(model: type[Model] | None = None) -> Any:
    """The request's JSON body (a dict), validated against `model` when given."""
    from flask import request

    raw = request_bytes()
    if not raw:
        raise BadRequest("The request needs a JSON body.", code="missing_body")
    mimetype = request.mimetype or ""
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as JSON with Content-Type: application/json.")
    import json

    try:
        data = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("The request body is not valid JSON.", code="malformed_json") from None
    except RecursionError:   # thousands of nested [ or {: the C decoder gives up cleanly
        raise BadRequest("The request body is nested too deeply.", code="malformed_json") from None
    if not isinstance(data, dict):
        raise BadRequest("The request body must be a JSON object.", code="malformed_json")
    if model is None:
        return data
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise ValidationFailed(details=pydantic_details(exc.errors(include_url=False))) from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def query_int(name: str, default: int, *, minimum: int = 1, maximum: int = 10_000) -> int:
    from flask import request

    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be an integer.", details=[{"field": name, "message": "must be an integer"}]) from None
    if not minimum <= value <= maximum:
        raise ValidationFailed(f"{name} must be between {minimum} and {maximum}.",
                               details=[{"field": name, "message": f"must be between {minimum} and {maximum}"}])
    return value


# --------------------------------------------------------------------------- FastAPI
def create_fastapi_app(service: str, settings: Settings, *, readiness: dict[str, Callable[[], Any]] | None = None,
                       **fastapi_kwargs: Any):
    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse

    info = service_info(service)
    setup_logging(info.name, info.log_name, settings.log_dir, settings.log_level)
    # No 307 to a slash-less URL: behind the gateway it would point at an internal host.
    fastapi_kwargs.setdefault("redirect_slashes", False)
    app = FastAPI(**fastapi_kwargs)
    app.state.settings = settings
    register_fastapi(app)
    checks = dict(readiness or {})
    # Added first, so it runs inside _context (which sets the correlation ID and logs).
    app.add_middleware(RequestLimits, max_body=settings.max_content_length)

    @app.middleware("http")
    async def _context(request: Request, call_next):
        set_correlation_id(request.headers.get(CORRELATION_HEADER))
        started = time.perf_counter()
        response = await call_next(request)
        response.headers[CORRELATION_HEADER] = get_correlation_id()
        for key, value in SECURITY_HEADERS.items():
            response.headers.setdefault(key, value)
        if request.url.path not in ("/health", "/metrics"):
            elapsed = time.perf_counter() - started
            request_logger.info("%s %s -> %s (%.1f ms)", request.method, request.url.path,
                                response.status_code, elapsed * 1000)
            route = getattr(request.scope.get("route"), "path", "unmatched")
            metrics.observe(info.name, request.method, route, response.status_code, elapsed)
        return response

    app.state.metric_gauges = []
    app.state.health_extras = []
    scrape_policy = metrics.ScrapePolicy.from_settings(settings)

    def _metrics(request):   # a plain Starlette route: it is handed the request
        from fastapi import Response

        scrape_policy.check(request.client.host if request.client else None, request.headers.get("authorization"))
        body, content_type = metrics.render(app.state.metric_gauges)
        return Response(body, media_type=content_type)

    app.add_route("/metrics", _metrics, methods=["GET"], include_in_schema=False)

    @app.get("/health", include_in_schema=False)
    def _health():
        body = {"status": "healthy", "service": info.name, "sessions": session_revocations(settings).status()}
        for extra in app.state.health_extras:
            body.update(extra())
        return body

    @app.get("/ready", include_in_schema=False)
    def _ready():
        body, status = _ready_payload(info.name, checks)
        return JSONResponse(body, status_code=status)

    return app


class RequestLimits:
    """ASGI middleware of the FastAPI services: the limits gunicorn applies to the Flask
    services (shared/server_limits.py; h11 alone would allow a 16 KiB head) and
    MAX_CONTENT_LENGTH counted on the bytes that arrive, so a chunked body (no
    Content-Length) is held to it too. Refusals are envelopes: 413, 414, 431."""

    def __init__(self, app, max_body: int):
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        error = self._head_error(scope)
        length = dict(scope["headers"]).get(b"content-length")
        if error is None and length is not None:
            if length.isdigit() and int(length) > self.max_body:
                error = PayloadTooLarge
        elif error is None:
            messages, error = await self._read_body(receive)
            receive = self._replay(messages, receive)
        if error is None:
            await self.app(scope, receive, send)
            return
        from fastapi.responses import JSONResponse

        from shared.errors import error_body

        await JSONResponse(error_body(error.message, error.code), status_code=error.status)(scope, receive, send)

    @staticmethod
    def _head_error(scope) -> type[ApiError] | None:
        from shared.server_limits import MAX_HEADER_FIELD_SIZE, MAX_HEADER_FIELDS, MAX_REQUEST_LINE

        target = len(scope.get("raw_path") or scope["path"].encode()) + \
            (len(scope["query_string"]) + 1 if scope.get("query_string") else 0)
        if len(scope["method"]) + target + len(" HTTP/1.1") + 1 > MAX_REQUEST_LINE:
            return UriTooLong
        headers = scope["headers"]
        if len(headers) > MAX_HEADER_FIELDS or any(len(k) + len(v) + 2 > MAX_HEADER_FIELD_SIZE for k, v in headers):
            return HeadersTooLarge
        return None

    async def _read_body(self, receive) -> tuple[list[dict], type[ApiError] | None]:
        """Read a body of unknown length, at most max_body bytes. Past the limit, read on
        (discarding, up to as much again) so the client can finish sending and read the 413."""
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return [message], None
            size += len(message.get("body", b""))
            if size <= self.max_body:
                chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
            if size > 2 * self.max_body:
                break
        if size > self.max_body:
            return [], PayloadTooLarge
        return [{"type": "http.request", "body": b"".join(chunks), "more_body": False}], None

    @staticmethod
    def _replay(messages: list[dict], receive):
        async def replay():
            return messages.pop(0) if messages else await receive()
        return replay
