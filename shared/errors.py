"""The one JSON error envelope of the platform, for Flask and FastAPI alike.

Every error a client sees is `{"error": <message>, "code": <machine code>,
"correlation_id": <id>}` plus `"details"` for field errors. Code raises the typed
exceptions below; one handler per framework turns them, unknown routes and unexpected
exceptions into that shape. A stack trace never reaches a client; it goes to the log.
"""
from __future__ import annotations

import logging
from typing import Any

from shared.log import CORRELATION_HEADER, get_correlation_id

logger = logging.getLogger(__name__)


class ApiError(Exception):
    status = 500
    code = "internal_error"
    message = "Something went wrong on our side."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: Any = None, headers: dict[str, str] | None = None):
        super().__init__(message or self.message)
        self.message = message or self.message
        if code:
            self.code = code
        self.details = details
        self.headers = headers or {}


class BadRequest(ApiError):
    status, code, message = 400, "bad_request", "The request is not valid."


class ValidationFailed(ApiError):
    status, code, message = 400, "validation_error", "Some fields are not valid."


class Unauthorized(ApiError):
    status, code, message = 401, "unauthorized", "Authentication is required."


class Forbidden(ApiError):
    status, code, message = 403, "forbidden", "You are not allowed to do this."


class NotFound(ApiError):
    status, code, message = 404, "not_found", "Not found."


class MethodNotAllowed(ApiError):
    status, code, message = 405, "method_not_allowed", "This method is not allowed here."


class Conflict(ApiError):
    status, code, message = 409, "conflict", "This conflicts with the current state."


class PayloadTooLarge(ApiError):
    status, code, message = 413, "payload_too_large", "The request body is too large."


class UriTooLong(ApiError):
    status, code, message = 414, "uri_too_long", "The request URI is too long."


class HeadersTooLarge(ApiError):
    status, code, message = 431, "headers_too_large", "The request headers are too large."


class UnsupportedMediaType(ApiError):
    status, code, message = 415, "unsupported_media_type", "Send the body as application/json."


class TooManyRequests(ApiError):
    status, code, message = 429, "too_many_requests", "Too many requests; try again later."


class BadGateway(ApiError):
    status, code, message = 502, "bad_gateway", "An upstream service answered with an error."


class ServiceUnavailable(ApiError):
    status, code, message = 503, "service_unavailable", "The service is temporarily unavailable."


class GatewayTimeout(ApiError):
    status, code, message = 504, "gateway_timeout", "An upstream service did not answer in time."


_STATUS_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
                 405: "method_not_allowed", 408: "request_timeout", 409: "conflict", 413: "payload_too_large",
                 414: "uri_too_long", 415: "unsupported_media_type", 417: "expectation_failed",
                 422: "validation_error", 429: "too_many_requests", 431: "headers_too_large",
                 500: "internal_error", 501: "not_implemented", 502: "bad_gateway",
                 503: "service_unavailable", 504: "gateway_timeout"}


def error_body(message: str, code: str, details: Any = None) -> dict[str, Any]:
    body: dict[str, Any] = {"error": message, "code": code, "correlation_id": get_correlation_id()}
    if details is not None:
        body["details"] = details
    return body


def pydantic_details(errors: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Field errors of a pydantic ValidationError as [{"field": "a.b", "message": "..."}]."""
    out = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("body", "query", "path")]
        out.append({"field": ".".join(loc) or "body", "message": str(err.get("msg", "invalid"))})
    return out


# ----------------------------------------------------------------------------- Flask
def register_flask(app) -> None:
    from flask import jsonify
    from pydantic import ValidationError
    from werkzeug.exceptions import HTTPException

    def respond(status: int, message: str, code: str, details: Any = None, headers=None):
        response = jsonify(error_body(message, code, details))
        response.status_code = status
        for key, value in (headers or {}).items():
            response.headers[key] = value
        response.headers[CORRELATION_HEADER] = get_correlation_id()
        return response

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        return respond(exc.status, exc.message, exc.code, exc.details, exc.headers)

    @app.errorhandler(ValidationError)
    def _validation_error(exc: ValidationError):
        return respond(400, "Some fields are not valid.", "validation_error",
                       pydantic_details(exc.errors(include_url=False)))

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        status = exc.code or 500
        messages = {404: "Not found.", 405: "This method is not allowed here.",
                    413: "The request body is too large.",
                    400: "The request is not valid."}
        headers = {}
        valid_methods = getattr(exc, "valid_methods", None)
        if status == 405 and valid_methods:
            headers["Allow"] = ", ".join(valid_methods)
        return respond(status, messages.get(status, exc.description or "Request failed."),
                       _STATUS_CODES.get(status, "error"), headers=headers)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        logger.exception("unhandled error")
        return respond(500, ApiError.message, "internal_error")


# --------------------------------------------------------------------------- FastAPI
def register_fastapi(app) -> None:
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from starlette.exceptions import HTTPException as StarletteHTTPException

    def respond(status: int, message: str, code: str, details: Any = None, headers=None):
        all_headers = {CORRELATION_HEADER: get_correlation_id(), **(headers or {})}
        return JSONResponse(error_body(message, code, details), status_code=status, headers=all_headers)

    @app.exception_handler(ApiError)
    async def _api_error(request, exc: ApiError):
        return respond(exc.status, exc.message, exc.code, exc.details, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request, exc: RequestValidationError):
        return respond(400, "Some fields are not valid.", "validation_error",
                       pydantic_details(list(exc.errors())))

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request, exc: StarletteHTTPException):
        status = exc.status_code
        messages = {404: "Not found.", 405: "This method is not allowed here."}
        message = messages.get(status) or (exc.detail if isinstance(exc.detail, str) else "Request failed.")
        return respond(status, message, _STATUS_CODES.get(status, "error"))

    @app.exception_handler(Exception)
    async def _unexpected(request, exc: Exception):
        logger.exception("unhandled error")
        return respond(500, ApiError.message, "internal_error")
