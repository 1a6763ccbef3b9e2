"""The gateway's one routing table and the roles it enforces at the edge.

/api/<prefix>/<rest> goes to <service><upstream_prefix>/<rest>. Each service checks
the token and roles again itself; the edge rules only stop what is plainly not allowed.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from shared.auth import Principal


@dataclass(frozen=True)
class Route:
    prefix: str            # public path under /api
    service: str           # name in shared.config.SERVICES
    upstream_prefix: str   # path prefix on the service


ROUTES = (
    Route("users", "user-management", "/users"),
    Route("booking", "booking", ""),
    Route("gpa", "gpa-calculator", ""),
    Route("notifications", "notification", "/notifications"),
    Route("maintenance", "maintenance", ""),
)
ROUTE_BY_PREFIX = {r.prefix: r for r in ROUTES}


@dataclass(frozen=True)
class EdgeRule:
    prefix: str
    methods: frozenset[str]
    path: re.Pattern          # matched against the rest of the path, after /api/<prefix>
    allows: Callable[[Principal, str], bool]
    reason: str


def _admin(principal: Principal, rest: str) -> bool:
    return principal.is_admin


def _admin_or_self(principal: Principal, rest: str) -> bool:
    return principal.is_admin or rest.strip("/") == principal.id


def _admin_or_own_sessions(principal: Principal, rest: str) -> bool:
    return principal.is_admin or rest.strip("/").split("/")[0] == principal.id


ALL = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE"})
EDGE_RULES = (
    # Users: admins only, except that a user may read and edit their own record.
    EdgeRule("users", frozenset({"GET", "PUT"}), re.compile(r"^/[^/]+/?$"), _admin_or_self,
             "Only admins may manage other users."),
    EdgeRule("users", frozenset({"POST"}), re.compile(r"^/[^/]+/sessions/revoke/?$"), _admin_or_own_sessions,
             "Only admins may sign other users out."),
    EdgeRule("users", ALL, re.compile(r".*"), _admin, "Only admins may manage users."),
    # Tickets: only admins change status, category or department.
    EdgeRule("maintenance", frozenset({"PUT", "PATCH"}), re.compile(r"^/tickets/[^/]+/?$"), _admin,
             "Only admins may change a ticket."),
)


# Routes that take one file (multipart/form-data): their bodies may reach
# shared.server_limits.MAX_UPLOAD_BODY; every other body stays within MAX_CONTENT_LENGTH.
UPLOAD_ROUTES = (
    ("maintenance", "POST", re.compile(r"^/tickets/[^/]+/attachments/?$")),   # a ticket's photos
    ("users", "POST", re.compile(r"^/(import/check|imports)/?$")),            # a CSV of up to 50,000 users
)


def takes_upload(prefix: str, method: str, rest: str) -> bool:
    return any(p == prefix and m == method and path.match(rest or "/") for p, m, path in UPLOAD_ROUTES)


# Routes that need no token at the edge: their secret is in the URL, for clients that
# cannot send a Bearer token (calendar apps subscribing to a booking feed). The service
# checks the secret; nothing else under its prefix is let through.
TOKENLESS_ROUTES = (
    ("booking", "GET", re.compile(r"^/bookings/feed/[A-Za-z0-9_-]{20,100}\.ics$")),
)


def tokenless(prefix: str, method: str, rest: str) -> bool:
    method = "GET" if method == "HEAD" else method
    return any(p == prefix and m == method and path.match(rest or "/") for p, m, path in TOKENLESS_ROUTES)


def ambiguous_path(rest: str) -> bool:
    """True when the rest of the path (decoded, as Flask gives it) has a "." or ".."
    segment or an empty one ("a//b"): an HTTP client, a proxy or the service could read
    it as another path than the edge rules do, so such a path is refused, never resolved.
    One trailing slash is no ambiguity."""
    segments = rest.split("/")
    if segments and segments[-1] == "":
        segments.pop()
    return any(segment in ("", ".", "..") for segment in segments)


def edge_check(prefix: str, method: str, rest: str, principal: Principal) -> str | None:
    """None when allowed at the edge, else the reason for a 403 (first matching rule wins).
    HEAD is the GET of the same resource and is checked as one."""
    method = "GET" if method == "HEAD" else method
    for rule in EDGE_RULES:
        if rule.prefix == prefix and method in rule.methods and rule.path.match(rest or "/"):
            return None if rule.allows(principal, rest) else rule.reason
    return None
