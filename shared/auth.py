"""The platform's only JWT implementation and role checks (DESIGN decision 2).

Tokens are HS256 only, expire after JWT_EXPIRY_HOURS (24), and carry sub, email, name,
role, iat, exp and jti; iat has millisecond precision (RFC 7519 allows a non-integer
NumericDate), so a session ended at 10:00:00.400 does not spare a token issued at
10:00:00.200 nor refuse one issued at 10:00:00.600. Every service verifies tokens itself
and refuses ended sessions (shared/revocation.py: logouts and per-user "not before"
times). Service-to-service calls use short-lived tokens with role "service". Use
`require_auth` on Flask views and `fastapi_auth` in FastAPI routes.
"""
from __future__ import annotations

import functools
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Iterable, Literal

import jwt

from shared.config import Settings
from shared.errors import Forbidden, Unauthorized
from shared.revocation import SessionRevocations, session_revocations

ALGORITHM = "HS256"
# The platform's roles: the one definition (docs/DEVELOPING.md, "Where is the rule for X").
# Pydantic models use Role, the schemas' CHECK constraints are generated from ROLES, and
# the pages ask user-management (GET /users/roles).
ROLES = ("admin", "faculty", "student")
DEFAULT_ROLE = "student"   # a new account's role unless an admin chooses another
Role = Literal[ROLES]
SERVICE_ROLE = "service"
REQUIRED_CLAIMS = ["sub", "role", "iat", "exp", "jti"]


@dataclass(frozen=True)
class Principal:
    """Who is calling, as the token says."""

    id: str
    email: str
    name: str
    role: str
    jti: str
    exp: int
    iat: float = 0.0

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"

    @property
    def is_service(self) -> bool:
        return self.role == SERVICE_ROLE

    @property
    def is_privileged(self) -> bool:
        """Admins and other services may act on anyone's records."""
        return self.role in ("admin", SERVICE_ROLE)


def issue_token(settings: Settings, *, user_id: str, email: str, name: str, role: str,
                lifetime: timedelta | None = None) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    now = time.time()
    seconds = lifetime.total_seconds() if lifetime is not None else settings.jwt_expiry_hours * 3600
    claims = {
        "sub": str(user_id), "email": email, "name": name, "role": role,
        "iat": round(now, 3), "exp": int(now + seconds), "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, settings.jwt_secret_key, algorithm=ALGORITHM)


def issue_service_token(settings: Settings, service: str) -> str:
    now = datetime.now(timezone.utc)
    claims = {"sub": f"service:{service}", "email": "", "name": service, "role": SERVICE_ROLE,
              "iat": now, "exp": now + timedelta(seconds=settings.service_token_seconds),
              "jti": uuid.uuid4().hex}
    return jwt.encode(claims, settings.jwt_secret_key, algorithm=ALGORITHM)


# Tokens already verified, so a client's next request skips the signature check (about a
# third of a millisecond per request, on every hop). Keyed by secret and token; a hit is
# still checked for expiry, and revocation is checked by the caller on every request.
_VERIFIED_MAX = 4096
_verified: dict[tuple[str, str], "Principal"] = {}
_verified_lock = threading.Lock()


def verify_token(settings: Settings, token: str) -> Principal:
    """Decode and check a token; any problem is Unauthorized with a reason a person can read."""
    key = (settings.jwt_secret_key, token)
    cached = _verified.get(key)
    if cached is not None:
        if cached.exp > time.time():
            return cached
        with _verified_lock:
            _verified.pop(key, None)
        raise Unauthorized("The token has expired; log in again.", code="token_expired")
    principal = _verify_uncached(settings, token)
    with _verified_lock:
        if len(_verified) >= _VERIFIED_MAX:
            _verified.clear()
        _verified[key] = principal
    return principal


def _verify_uncached(settings: Settings, token: str) -> Principal:
    if not token or token.count(".") != 2:
        raise Unauthorized("The token is malformed.", code="invalid_token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise Unauthorized("The token is malformed.", code="invalid_token") from None
    if header.get("alg") != ALGORITHM:
        raise Unauthorized("The token's algorithm is not accepted.", code="invalid_token")
    try:
        claims = jwt.decode(token, settings.jwt_secret_key, algorithms=[ALGORITHM],
                            options={"require": REQUIRED_CLAIMS})
    except jwt.ExpiredSignatureError:
        raise Unauthorized("The token has expired; log in again.", code="token_expired") from None
    except jwt.ImmatureSignatureError:
        raise Unauthorized("The token is not valid yet.", code="invalid_token") from None
    except jwt.PyJWTError:
        raise Unauthorized("The token is invalid.", code="invalid_token") from None
    role = claims.get("role")
    if role not in ROLES and role != SERVICE_ROLE:
        raise Unauthorized("The token carries an unknown role.", code="invalid_token")
    return Principal(id=str(claims["sub"]), email=str(claims.get("email") or ""),
                     name=str(claims.get("name") or ""), role=role, jti=str(claims["jti"]),
                     exp=int(claims["exp"]), iat=float(claims["iat"]))


def bearer_token(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def authenticate(settings: Settings, authorization: str | None,
                 sessions: SessionRevocations | None = None) -> Principal:
    """The caller of a request: a valid token whose session has not ended.

    sessions: the process's set of ended sessions (user-management passes its own,
    read from its database); by default the one fed from user-management."""
    token = bearer_token(authorization)
    if token is None:
        raise Unauthorized("Send a token: Authorization: Bearer <token>.", code="missing_token")
    principal = verify_token(settings, token)
    (sessions or session_revocations(settings)).check(principal)
    return principal


def check_roles(principal: Principal, roles: Iterable[str]) -> None:
    allowed = set(roles)
    if allowed and principal.role not in allowed:
        raise Forbidden(f"This needs the role {' or '.join(sorted(allowed))}.")


# ----------------------------------------------------------------------------- Flask
def require_auth(*roles: str):
    """Flask view decorator: authenticate, then (if roles given) check the role.

    The app must hold its Settings in app.config["SETTINGS"]; the principal is left in
    flask.g.user. An app may set app.config["SESSIONS"] to its own SessionRevocations.
    """
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            from flask import current_app, g, request

            principal = authenticate(current_app.config["SETTINGS"],
                                     request.headers.get("Authorization"),
                                     current_app.config.get("SESSIONS"))
            check_roles(principal, roles)
            g.user = principal
            return view(*args, **kwargs)
        wrapper.__openapi_roles__ = roles   # the OpenAPI document marks it protected (shared/openapi.py)
        return wrapper
    return decorator


def current_user() -> Principal:
    from flask import g

    return g.user


# --------------------------------------------------------------------------- FastAPI
def fastapi_auth(*roles: str):
    """A FastAPI dependency returning the Principal (roles checked when given). The
    settings are the app's (`app.state.settings`, set by shared.web.create_fastapi_app),
    so routes can live in module-level routers and tests can override the dependency.

    Declared with HTTPBearer so Swagger UI offers an Authorize button. FastAPI is
    imported here lazily (the Flask services' images do not install it), so the
    dependency's annotations are set to the classes themselves, not resolved from names."""
    from fastapi import Depends, Request
    from fastapi.security import HTTPBearer

    # Named as every document of the platform names it (shared/openapi.py), so the gateway's
    # merged document has one scheme and Authorize applies to booking's operations too.
    scheme = HTTPBearer(auto_error=False, scheme_name="bearerAuth",
                        description="The token from POST /auth/login on the gateway.")

    def dependency(request, credentials=Depends(scheme)):
        header = f"Bearer {credentials.credentials}" if credentials is not None else None
        principal = authenticate(request.app.state.settings, header)
        check_roles(principal, roles)
        return principal
    dependency.__annotations__ = {"request": Request, "return": Principal}
    return dependency
