"""Single sign-on with OpenID Connect: the authorization code flow with PKCE, state and nonce.

The protocol work is Authlib's: its OAuth2Session builds the authorization URL (with the
S256 code challenge) and exchanges the code; its CodeIDToken checks the ID token's
claims, with joserfc (Authlib's JOSE library) checking the signature against the
provider's published keys. This module decides what to trust:

- the provider is found through its discovery document, whose `issuer` must be exactly
  OIDC_ISSUER (OpenID Connect Discovery 1.0, section 4.3); the document and the JWKS are
  kept for OIDC_DISCOVERY_CACHE_SECONDS, and the JWKS is read again once when a token
  names a key it does not hold (the provider rotated its keys);
- an ID token counts only when signed by one of those keys with an asymmetric algorithm
  the provider announces (never "none", never HS*: a client secret is no signing key),
  issued by OIDC_ISSUER, for OIDC_CLIENT_ID (aud, and azp when present), not expired
  (OIDC_CLOCK_SKEW_SECONDS of leeway), with the nonce of this very attempt;
- an attempt is a row of the gateway's own table, made by /auth/oidc/start and deleted
  by the one callback that uses it (the state names it; a replayed callback finds
  nothing), bound to the browser that began it by a cookie whose hash the row keeps
  (someone else's callback link signs nobody in), and forgotten after 10 minutes.

The provider is an outside party, so it is called with Authlib's requests session and a
timeout, not with shared/http_client: that client is for the platform's own services (it
adds a service token and probes /health), neither of which belongs at a provider.
"""
from __future__ import annotations

import hashlib
import logging
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from shared.config import ConfigError, Settings
from shared.database import Database

logger = logging.getLogger(__name__)

ATTEMPT_SECONDS = 600
# Pages a sign-in may continue to (the same rule as login.js: a page of this site).
NEXT_PAGE = re.compile(r"^/[a-z-]+\.html(\?[^\s#]*)?$")
DEFAULT_NEXT = "/dashboard.html"
ASYMMETRIC = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")


class SignInFailed(Exception):
    """A sign-in that cannot go on; `code` tells the sign-in page which message to show."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class OidcConfig:
    issuer: str
    client_id: str
    client_secret: str
    display_name: str
    scopes: str
    redirect_uri: str | None          # None: this gateway's /auth/oidc/callback as the browser reached it
    role_claim: str | None            # None: roles are not the provider's business (admins set them)
    admin_values: frozenset[str]
    faculty_values: frozenset[str]
    timeout: float
    clock_skew: int
    cache_seconds: int

    @classmethod
    def from_settings(cls, settings: Settings) -> "OidcConfig | None":
        """None unless OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all set."""
        env = settings.env
        issuer, client_id, secret = (env.str(name) for name in ("OIDC_ISSUER", "OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"))
        if not (issuer and client_id and secret):
            if issuer or client_id or secret:
                logger.warning("Single sign-on is off: it needs OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET")
            return None
        redirect_uri = env.str("OIDC_REDIRECT_URI")
        if settings.is_production:
            if not issuer.startswith("https://"):
                raise ConfigError(f"OIDC_ISSUER must be an https:// URL in production, got {issuer!r}")
            if not redirect_uri or not redirect_uri.startswith("https://"):
                raise ConfigError("OIDC_REDIRECT_URI must be set in production: the https:// address of "
                                  "/auth/oidc/callback as the university's browsers reach it")
        return cls(
            issuer=issuer.rstrip("/"), client_id=client_id, client_secret=secret,
            display_name=env.str("SSO_DISPLAY_NAME") or "single sign-on",
            scopes=env.str("OIDC_SCOPES") or "openid email profile",
            redirect_uri=redirect_uri,
            role_claim=env.str("OIDC_ROLE_CLAIM") or None,
            admin_values=frozenset(env.list("OIDC_ADMIN_VALUES", [])),
            faculty_values=frozenset(env.list("OIDC_FACULTY_VALUES", [])),
            timeout=env.float("OIDC_TIMEOUT_SECONDS", 10.0, minimum=0.1),
            clock_skew=env.int("OIDC_CLOCK_SKEW_SECONDS", 60, minimum=0, maximum=600),
            cache_seconds=env.int("OIDC_DISCOVERY_CACHE_SECONDS", 300, minimum=0),
        )


def map_role(config: OidcConfig, claims: dict[str, Any]) -> str | None:
    """The platform role the provider's claim gives: admin if any value is among
    OIDC_ADMIN_VALUES, else faculty if any is among OIDC_FACULTY_VALUES, else student.
    None when no OIDC_ROLE_CLAIM is configured. The claim may be a string or a list,
    and may be nested ("realm_access.roles", as Keycloak sends realm roles)."""
    if not config.role_claim:
        return None
    value: Any = claims.get(config.role_claim)
    if value is None and "." in config.role_claim:
        value = claims
        for part in config.role_claim.split("."):
            value = value.get(part) if isinstance(value, dict) else None
    values = {value} if isinstance(value, str) else {v for v in value if isinstance(v, str)} \
        if isinstance(value, list) else set()
    if values & config.admin_values:
        return "admin"
    if values & config.faculty_values:
        return "faculty"
    return "student"


def person(config: OidcConfig, claims: dict[str, Any]) -> dict[str, Any]:
    """What user-management needs to find or create the account, from verified claims."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        # Microsoft Entra ID often sends the address only as the user principal name.
        email = claims.get("preferred_username") if "@" in str(claims.get("preferred_username", "")) else None
    if not email:
        raise SignInFailed("no_email", "the ID token carries no email address (is the 'email' scope granted?)")
    name = claims.get("name") or " ".join(str(claims[k]) for k in ("given_name", "family_name") if claims.get(k))
    verified = claims.get("email_verified")
    return {"issuer": config.issuer, "subject": str(claims["sub"]), "email": email.strip(),
            "name": (str(name).strip() or email.split("@")[0])[:100], "role": map_role(config, claims),
            "email_verified": verified if isinstance(verified, bool) else None}


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def safe_next(page: str | None) -> str:
    return page if page and NEXT_PAGE.match(page) else DEFAULT_NEXT


class OidcClient:
    """The relying party: one per gateway process (the cache is per process)."""

    def __init__(self, config: OidcConfig, db: Database):
        self.config = config
        self.db = db
        self._lock = threading.Lock()
        self._metadata: dict[str, Any] | None = None
        self._jwks: dict[str, Any] | None = None
        self._fetched_at = 0.0

    # ------------------------------------------------------------------ the provider
    def _session(self, redirect_uri: str | None = None) -> OAuth2Session:
        return OAuth2Session(self.config.client_id, self.config.client_secret, scope=self.config.scopes,
                             redirect_uri=redirect_uri, code_challenge_method="S256")

    def _get_json(self, url: str, what: str) -> dict[str, Any]:
        try:
            with self._session() as session:
                response = session.get(url, timeout=self.config.timeout, withhold_token=True)
        except requests.RequestException as exc:
            raise SignInFailed("provider_unavailable", f"{what} at {url}: {exc.__class__.__name__}") from None
        if response.status_code != 200:
            raise SignInFailed("provider_unavailable", f"{what} at {url} answered {response.status_code}")
        try:
            body = response.json()
        except ValueError:
            raise SignInFailed("provider_unavailable", f"{what} at {url} is not JSON") from None
        if not isinstance(body, dict):
            raise SignInFailed("provider_unavailable", f"{what} at {url} is not a JSON object")
        return body

    def metadata(self) -> dict[str, Any]:
        with self._lock:
            if self._metadata is not None and time.monotonic() - self._fetched_at < self.config.cache_seconds:
                return self._metadata
        found = self._get_json(f"{self.config.issuer}/.well-known/openid-configuration", "the discovery document")
        # The same issuer, save a trailing slash; ID tokens must then carry it exactly as here.
        if str(found.get("issuer", "")).rstrip("/") != self.config.issuer:
            raise SignInFailed("provider_misconfigured",
                               f"the discovery document names issuer {found.get('issuer')!r}, not OIDC_ISSUER")
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not found.get(k)]
        if missing:
            raise SignInFailed("provider_misconfigured", f"the discovery document lacks {', '.join(missing)}")
        with self._lock:
            self._metadata, self._jwks, self._fetched_at = found, None, time.monotonic()
        return found

    def _key_set(self, metadata: dict[str, Any], refresh: bool = False) -> KeySet:
        with self._lock:
            jwks = None if refresh else self._jwks
        if jwks is None:
            jwks = self._get_json(metadata["jwks_uri"], "the provider's keys (JWKS)")
            with self._lock:
                self._jwks = jwks
        try:
            return KeySet.import_key_set(jwks)
        except (JoseError, ValueError, TypeError, KeyError) as exc:
            raise SignInFailed("provider_misconfigured", f"the JWKS cannot be read: {exc}") from None

    # ------------------------------------------------------------------ the flow
    def begin(self, callback_url: str, next_page: str | None) -> tuple[str, str]:
        """Start an attempt: (the provider's authorization URL, the browser's binding cookie)."""
        metadata = self.metadata()
        state, nonce, browser = (secrets.token_urlsafe(32) for _ in range(3))
        verifier = secrets.token_urlsafe(64)        # 86 characters: RFC 7636 asks for 43-128
        redirect_uri = self.config.redirect_uri or callback_url
        with self._session(redirect_uri) as session:
            url, _ = session.create_authorization_url(metadata["authorization_endpoint"], state=state,
                                                      code_verifier=verifier, nonce=nonce)
        now_ms = int(time.time() * 1000)
        with self.db.connection() as conn:
            conn.execute("DELETE FROM oidc_sign_in_attempts WHERE created_ms < ?", (now_ms - ATTEMPT_SECONDS * 1000,))
            conn.execute("INSERT INTO oidc_sign_in_attempts (state_hash, browser_hash, nonce, code_verifier, "
                         "redirect_uri, next_page, created_ms) VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (_hash(state), _hash(browser), nonce, verifier, redirect_uri, safe_next(next_page), now_ms))
        return url, browser

    def _take_attempt(self, state: str, browser: str | None) -> dict[str, Any]:
        """The attempt this callback answers, deleted as it is read: a state works once."""
        with self.db.connection() as conn:
            row = conn.execute("DELETE FROM oidc_sign_in_attempts WHERE state_hash = ? RETURNING *",
                               (_hash(state),)).fetchone()
        if row is None:
            raise SignInFailed("invalid_state", "no sign-in attempt has this state (unknown, used or expired)")
        if not browser or not secrets.compare_digest(_hash(browser), row["browser_hash"]):
            raise SignInFailed("invalid_state", "the attempt was begun in another browser")
        if int(row["created_ms"]) < int(time.time() * 1000) - ATTEMPT_SECONDS * 1000:
            raise SignInFailed("invalid_state", "the attempt is older than 10 minutes")
        return row

    def finish(self, params: dict[str, str], browser: str | None) -> tuple[dict[str, Any], str]:
        """The callback: (the person as the verified ID token says, the page to go on to)."""
        if params.get("error"):
            # The state still names the attempt; spend it so it cannot be used later.
            if params.get("state"):
                try:
                    self._take_attempt(params["state"], browser)
                except SignInFailed:
                    pass
            code = "denied" if params["error"] == "access_denied" else "provider_error"
            raise SignInFailed(code, f"the provider answered {params['error']}: {params.get('error_description', '')}")
        if not params.get("state") or not params.get("code"):
            raise SignInFailed("invalid_state", "the callback carries no state or no code")
        attempt = self._take_attempt(params["state"], browser)
        metadata = self.metadata()
        with self._session(attempt["redirect_uri"]) as session:
            try:
                token = session.fetch_token(metadata["token_endpoint"], grant_type="authorization_code",
                                            code=params["code"], code_verifier=attempt["code_verifier"],
                                            timeout=self.config.timeout)
            except OAuthError as exc:
                raise SignInFailed("code_rejected", f"the token endpoint refused the code: {exc.error}") from None
            except requests.RequestException as exc:
                raise SignInFailed("provider_unavailable", f"the token endpoint: {exc.__class__.__name__}") from None
            except ValueError as exc:        # a body that is not JSON
                raise SignInFailed("provider_error", f"the token endpoint's answer: {exc}") from None
        if not token.get("id_token"):
            raise SignInFailed("provider_error", "the token endpoint sent no ID token (is 'openid' among the scopes?)")
        claims = self.verify_id_token(token["id_token"], metadata, attempt["nonce"], token.get("access_token"))
        return person(self.config, claims), attempt["next_page"]

    def verify_id_token(self, id_token: str, metadata: dict[str, Any], nonce: str,
                        access_token: str | None) -> dict[str, Any]:
        algorithms = [a for a in metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
                      if a in ASYMMETRIC]
        registry = JWSRegistry(algorithms=algorithms or ["RS256"])
        try:
            try:
                decoded = jwt.decode(id_token, self._key_set(metadata), registry=registry)
            except (InvalidKeyIdError, BadSignatureError):
                # Perhaps a key the provider rotated in since the JWKS was read (a token
                # without a kid is checked against the only key held): read it once more.
                decoded = jwt.decode(id_token, self._key_set(metadata, refresh=True), registry=registry)
        except (InvalidKeyIdError, BadSignatureError) as exc:
            raise SignInFailed("id_token_signature", f"the ID token's signature: {exc}") from None
        except (JoseError, ValueError) as exc:
            raise SignInFailed("id_token_invalid", f"the ID token cannot be read: {exc}") from None
        params = {"nonce": nonce, "client_id": self.config.client_id}
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(decoded.claims, decoded.header,
                             {"iss": {"essential": True, "value": metadata["issuer"]},
                              "aud": {"essential": True, "value": self.config.client_id}}, params)
        try:
            claims.validate(leeway=self.config.clock_skew)
        except ExpiredTokenError as exc:
            raise SignInFailed("id_token_expired", f"the ID token has expired: {exc}") from None
        except (InvalidClaimError, MissingClaimError) as exc:
            claim = getattr(exc, "claim", "")
            code = {"aud": "id_token_audience", "azp": "id_token_audience", "iss": "id_token_issuer",
                    "nonce": "id_token_nonce"}.get(claim, "id_token_invalid")
            raise SignInFailed(code, f"the ID token's {claim or 'claims'}: {exc}") from None
        except JoseError as exc:
            raise SignInFailed("id_token_invalid", f"the ID token: {exc}") from None
        return dict(claims)
