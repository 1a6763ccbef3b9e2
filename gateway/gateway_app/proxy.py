"""/api/<prefix>/... -> the service in the routing table, with the caller's token."""
from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, request

from shared.errors import BadRequest, Forbidden, NotFound
from shared.server_limits import MAX_UPLOAD_BODY
from shared.web import request_bytes

from .auth_routes import principal_from_request
from .routing import ROUTE_BY_PREFIX, ambiguous_path, edge_check, takes_upload, tokenless
from .upstream import forward

blueprint = Blueprint("proxy", __name__)

FORWARD_REQUEST_HEADERS = ("Authorization", "Content-Type", "Accept", "Idempotency-Key")
FORWARD_RESPONSE_HEADERS = ("Content-Type", "Content-Disposition", "Retry-After", "Location", "Allow",
                            "Idempotent-Replayed")
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]
UPLOAD_TIMEOUT = 60.0   # seconds: the service decodes and re-encodes a photo of up to 10 MB


# merge_slashes=False: no redirect from "a//b" to "a/b"; ambiguous_path refuses it instead.
@blueprint.route("/api/<prefix>", methods=METHODS, defaults={"rest": ""}, merge_slashes=False)
@blueprint.route("/api/<prefix>/<path:rest>", methods=METHODS, merge_slashes=False)
def proxy(prefix: str, rest: str):
    route = ROUTE_BY_PREFIX.get(prefix)
    if route is None:
        raise NotFound(f"No API at /api/{prefix}.")
    if tokenless(prefix, request.method, "/" + rest) and not ambiguous_path(rest):
        return _tokenless(route, rest)
    principal = principal_from_request()
    if ambiguous_path(rest):
        raise BadRequest("The path has an empty, \".\" or \"..\" segment; send the path it means.",
                         code="ambiguous_path")
    # Flask decoded the path; encode it again so "#", "?" or spaces stay part of it upstream.
    # Without dot segments, the HTTP client sends exactly this path: the one checked below.
    rest = "/" + quote(rest, safe="/:@!$&'()*+,;=-._~") if rest else ""
    reason = edge_check(prefix, request.method, rest, principal)
    if reason:
        raise Forbidden(reason)
    headers = {k: request.headers[k] for k in FORWARD_REQUEST_HEADERS if k in request.headers}
    upload = takes_upload(prefix, request.method, rest)
    if upload:
        request.max_content_length = MAX_UPLOAD_BODY   # a photo; passed on byte for byte
    body = request_bytes() if request.method in ("POST", "PUT", "PATCH", "DELETE") else None
    query = request.query_string.decode("latin-1")     # as the client encoded it
    upstream = forward(route.service, request.method,
                       f"{route.upstream_prefix}{rest}" + (f"?{query}" if query else ""), body=body, headers=headers,
                       timeout=UPLOAD_TIMEOUT if upload else None)
    return _answer(upstream)


def _tokenless(route, rest: str):
    """A route of routing.TOKENLESS_ROUTES: passed on without any Authorization or query."""
    upstream = forward(route.service, request.method, f"{route.upstream_prefix}/{quote(rest, safe='/.-_')}",
                       body=None, headers={"Accept": request.headers.get("Accept", "*/*")})
    return _answer(upstream)


def _answer(upstream):
    response = Response(upstream.content, status=upstream.status_code)
    for name in FORWARD_RESPONSE_HEADERS:
        if name in upstream.headers:
            response.headers[name] = upstream.headers[name]
    return response
