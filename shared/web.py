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
    BadRequest,
    PayloadTooLarge,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
    pydantic_details,
    register_fastapi,
    register_flask,
)
from shared.log import CORRELATION_HEADER, get_correlation_id, set_correlation_id, setup_logging

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
                     health: Callable[[], dict] | None = None, static_folder: str | None = None,
                     openapi: bool = True, gauges: list | None = None):
    from flask import Flask, g, jsonify, request

    info = service_info(service)
    setup_logging(info.name, info.log_name, settings.log_dir, settings.log_level)
    app = Flask(info.name, static_folder=static_folder, static_url_path=None if static_folder else None)
    if static_folder is None:
        app.static_folder = None
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

    app.config["METRIC_GAUGES"] = list(gauges or [])

    @app.get("/metrics")
    def _metrics():
        from flask import Response

        body, content_type = metrics.render(app.config["METRIC_GAUGES"])
        return Response(body, content_type=content_type)

    @app.get("/health")
    def _health():
        body = {"status": "healthy", "service": info.name}
        if health is not None:
            body.update(health())
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


def json_body(model: type[Model] | None = None) -> Any:
    """The request's JSON body (a dict), validated against `model` when given."""
    from flask import request

    if request.content_length and request.content_length > (request.max_content_length or 1 << 62):
        raise PayloadTooLarge()
    raw = request.get_data(cache=True)
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
    limit = settings.max_content_length

    @app.middleware("http")
    async def _context(request: Request, call_next):
        set_correlation_id(request.headers.get(CORRELATION_HEADER))
        started = time.perf_counter()
        length = request.headers.get("content-length")
        if length and length.isdigit() and int(length) > limit:
            from shared.errors import error_body

            response = JSONResponse(error_body(PayloadTooLarge.message, PayloadTooLarge.code), status_code=413)
        else:
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

    @app.get("/metrics", include_in_schema=False)
    def _metrics():
        from fastapi import Response

        body, content_type = metrics.render(app.state.metric_gauges)
        return Response(body, media_type=content_type)

    @app.get("/health", include_in_schema=False)
    def _health():
        return {"status": "healthy", "service": info.name}

    @app.get("/ready", include_in_schema=False)
    def _ready():
        body, status = _ready_payload(info.name, checks)
        return JSONResponse(body, status_code=status)

    return app


def unavailable_if(condition: bool, message: str) -> None:
    if condition:
        raise ServiceUnavailable(message)
