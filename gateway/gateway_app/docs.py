"""GET /docs: one Swagger UI over one OpenAPI document for the whole platform.

The document is the gateway's own auth routes (described from their code, like every
Flask service's: shared/openapi.py) plus every service's document, with each service's
paths moved under its /api prefix (the routing table in routing.py) and its schemas
under components. One security scheme, bearerAuth, covers every /api operation. A
service that is down is left out of the document until it is back.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, send_from_directory

from shared.errors import NotFound
from shared.openapi import (
    ERROR_COMPONENT,
    ERROR_STATUSES,
    OTHER_ERRORS,
    SECURITY,
    SWAGGER_INIT_JS,
    error_response,
    flask_openapi,
    swagger_ui_html,
)

from .routing import ROUTES

blueprint = Blueprint("docs", __name__)
# Swagger UI 5 (OpenAPI 3.1, which the documents are), from npm into gateway/node_modules.
SWAGGER_UI_DIST = Path(__file__).resolve().parent.parent / "node_modules" / "swagger-ui-dist"
_cache: dict = {"at": 0.0, "doc": None}
_lock = threading.Lock()


def _service_doc(service: str) -> dict | None:
    http = current_app.extensions["http"]
    for base in current_app.config["SETTINGS"].service_urls(service):
        try:
            response = http.get(f"{base}/openapi.json", timeout=3, retries=1)
        except Exception:  # noqa: BLE001 - a service that is down is simply not documented
            continue
        if response.status_code == 200:
            return response.json()
    return None


def _documented_here(rule) -> bool:
    """The gateway's own API: sign-in and the platform's health (not its pages or the proxy)."""
    return rule.rule.startswith("/auth/") or rule.rule == "/health/services"


def build_document() -> dict:
    doc = flask_openapi(current_app, "Campus Services Hub API", include=_documented_here)
    doc["info"]["description"] = ("Log in with POST /auth/login, press Authorize and paste the token; "
                                  "every /api operation then sends it.")
    schemas = doc["components"]["schemas"]
    for route in ROUTES:
        service_doc = _service_doc(route.service)
        if not service_doc:
            continue
        service_schemas = service_doc.get("components", {}).get("schemas", {})
        # Two services may name different shapes alike: the later one gets a prefixed name.
        renames = {name: f"{route.prefix}_{name}" for name, schema in service_schemas.items()
                   if name in schemas and schemas[name] != schema and name != ERROR_COMPONENT}
        if renames:
            service_doc = _renamed(service_doc, renames)
            service_schemas = service_doc.get("components", {}).get("schemas", {})
        for name, schema in service_schemas.items():
            schemas.setdefault(name, schema)
        for path, operations in service_doc.get("paths", {}).items():
            if path in ("/health", "/ready") or not path.startswith(route.upstream_prefix):
                continue
            public = f"/api/{route.prefix}{path[len(route.upstream_prefix):]}"
            for method, operation in operations.items():
                if method in ("get", "put", "post", "delete", "patch") and isinstance(operation, dict):
                    _proxied(operation, route.prefix)
            doc["paths"][public.rstrip("/") or public] = operations
    return doc


def _proxied(operation: dict, prefix: str) -> None:
    """An operation as the gateway serves it: every /api route needs a token (the gateway
    checks it and the edge roles before forwarding), whatever the service alone requires."""
    operation["tags"] = [prefix]
    operation["security"] = SECURITY
    if "operationId" in operation:
        operation["operationId"] = f"{prefix}_{operation['operationId']}"
    responses = operation.setdefault("responses", {})
    for status in ("400", "401", "403"):
        responses.setdefault(status, error_response(ERROR_STATUSES[status]))
    responses.setdefault("default", error_response(OTHER_ERRORS))


def _renamed(node, renames: dict):
    """A copy of a document with component schemas renamed, and every $ref to them."""
    if isinstance(node, list):
        return [_renamed(item, renames) for item in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key == "$ref" and isinstance(value, str) and value.startswith("#/components/schemas/"):
            name = value.rsplit("/", 1)[1]
            out[key] = f"#/components/schemas/{renames.get(name, name)}"
        else:
            out[key] = _renamed(value, renames)
    schemas = out.get("components", {}).get("schemas") if "components" in out and "paths" in out else None
    if schemas:
        out["components"]["schemas"] = {renames.get(name, name): schema for name, schema in schemas.items()}
    return out


@blueprint.get("/openapi.json")
def openapi():
    with _lock:
        if _cache["doc"] is None or time.monotonic() - _cache["at"] > 30:
            _cache["doc"], _cache["at"] = build_document(), time.monotonic()
        return jsonify(_cache["doc"])


@blueprint.get("/docs")
def docs():
    return Response(swagger_ui_html("/openapi.json", "/docs/assets", "Campus Services Hub API"), mimetype="text/html")


@blueprint.get("/docs/assets/<path:name>")
def docs_asset(name: str):
    if name == "docs-init.js":
        return Response(SWAGGER_INIT_JS, mimetype="application/javascript")
    if name not in ("swagger-ui.css", "swagger-ui-bundle.js"):
        raise NotFound()
    if not (SWAGGER_UI_DIST / name).is_file():
        raise NotFound("Swagger UI is not installed; run `npm ci --prefix gateway`.")
    return send_from_directory(SWAGGER_UI_DIST, name, max_age=3600)
