"""GET /docs: one Swagger UI over one OpenAPI document for the whole platform.

The document is the gateway's own auth routes plus every service's document, with
each service's paths moved under its /api prefix (the routing table in routing.py).
A service that is down is left out of the document until it is back.
"""
from __future__ import annotations

import threading
import time
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, send_from_directory

from shared.errors import NotFound
from shared.openapi import ERROR_SCHEMA, SWAGGER_INIT_JS, swagger_ui_html

from .routing import ROUTES

blueprint = Blueprint("docs", __name__)
_cache: dict = {"at": 0.0, "doc": None}
_lock = threading.Lock()

AUTH_PATHS = {
    "/auth/login": {"post": {"summary": "Log in; returns a token and the user", "tags": ["auth"],
                             "requestBody": {"required": True, "content": {"application/json": {"schema": {
                                 "type": "object", "required": ["email", "password"],
                                 "properties": {"email": {"type": "string", "example": "student@example.com"},
                                                "password": {"type": "string", "example": "student123"}}}}}},
                             "responses": {"200": {"description": "token and user"}}}},
    "/auth/register": {"post": {"summary": "Create a student account and log in (403 registration_disabled "
                                           "when REGISTRATION_ENABLED is off)", "tags": ["auth"],
                                "requestBody": {"required": True, "content": {"application/json": {"schema": {
                                    "type": "object", "required": ["name", "email", "password"],
                                    "properties": {"name": {"type": "string"}, "email": {"type": "string"},
                                                   "password": {"type": "string", "minLength": 8}}}}}},
                                "responses": {"201": {"description": "token and user"}}}},
    "/auth/change-password": {"post": {
        "summary": "Replace a password, proving the current one (no token needed); returns a token and the user",
        "description": "Required when login answers 403 password_change_required (a one-time password).",
        "tags": ["auth"],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {
            "type": "object", "required": ["email", "current_password", "password"],
            "properties": {"email": {"type": "string"}, "current_password": {"type": "string"},
                           "password": {"type": "string", "minLength": 8}}}}}},
        "responses": {"200": {"description": "token and user"}}}},
    "/auth/me": {"get": {"summary": "The signed-in user", "tags": ["auth"], "security": [{"bearerAuth": []}],
                         "responses": {"200": {"description": "the user"}}}},
    "/auth/logout": {"post": {"summary": "Revoke this token", "tags": ["auth"], "security": [{"bearerAuth": []}],
                              "responses": {"200": {"description": "revoked"}}}},
    "/health/services": {"get": {"summary": "Health of every service", "tags": ["health"],
                                 "responses": {"200": {"description": "per-service status"}}}},
}


ERROR_RESPONSE = {"description": "Error in the platform's envelope",
                  "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
for _operations in AUTH_PATHS.values():
    for _operation in _operations.values():
        _operation["responses"]["default"] = ERROR_RESPONSE


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


def build_document() -> dict:
    doc = {"openapi": "3.0.3",
           "info": {"title": "Campus Services Hub API", "version": "1.0.0",
                    "description": "Log in with POST /auth/login, press Authorize and paste the token."},
           "paths": dict(AUTH_PATHS),
           "components": {"schemas": {"Error": ERROR_SCHEMA},
                          "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer",
                                                             "bearerFormat": "JWT"}}}}
    for route in ROUTES:
        service_doc = _service_doc(route.service)
        if not service_doc:
            continue
        for path, operations in service_doc.get("paths", {}).items():
            if path in ("/health", "/ready") or not path.startswith(route.upstream_prefix):
                continue
            public = f"/api/{route.prefix}{path[len(route.upstream_prefix):]}"
            for operation in operations.values():
                if isinstance(operation, dict):
                    operation["tags"] = [route.prefix]
                    operation.setdefault("security", [{"bearerAuth": []}])
                    if "operationId" in operation:
                        operation["operationId"] = f"{route.prefix}_{operation['operationId']}"
            doc["paths"][public.rstrip("/") or public] = operations
        for name, schema in service_doc.get("components", {}).get("schemas", {}).items():
            doc["components"]["schemas"].setdefault(name, schema)
    return doc


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
    try:
        import swagger_ui_bundle
    except ImportError:
        raise NotFound("Swagger UI is not installed.") from None
    if name not in ("swagger-ui.css", "swagger-ui-bundle.js"):
        raise NotFound()
    return send_from_directory(Path(swagger_ui_bundle.swagger_ui_path), name, max_age=3600)
