"""Single sign-on routes: which sign-in methods the page offers, and the OpenID Connect
round trip (oidc.py does the protocol). The two browser redirects are not API operations
and stay out of the OpenAPI document.

After the callback the browser holds the platform's own token exactly as after a
password login: the callback answers a small page (never cached, no token in any URL)
whose script stores token and user the way login.js does and goes on to the page the
person wanted. Anything that goes wrong sends the browser back to the sign-in page with
`?sso_error=<code>`, which the page turns into a sentence; the details go to the log.
"""
from __future__ import annotations

import html
import json
import logging
from typing import Optional
from urllib.parse import urlencode

from flask import Blueprint, Response, current_app, redirect, request, url_for
from pydantic import BaseModel, Field

from shared.errors import ApiError, NotFound
from shared.openapi import answers, undocumented

from .auth_routes import _service_headers, token_answer
from .oidc import OidcClient, SignInFailed
from .upstream import call, json_or_error

logger = logging.getLogger(__name__)
blueprint = Blueprint("oidc", __name__)
COOKIE = "campus_sso_attempt"
COOKIE_PATH = "/auth/oidc"


class SingleSignOn(BaseModel):
    display_name: str = Field(description="SSO_DISPLAY_NAME: the button reads 'Sign in with <display_name>'")
    start_url: str = Field(description="Where the button goes (a browser redirect to the identity provider)")


class SignInMethods(BaseModel):
    """What the sign-in page offers."""
    password: bool = Field(description="Local passwords; false when LOCAL_LOGIN_ENABLED=false (then only the "
                                       "break-glass admin signs in with one)")
    registration: bool = Field(description="Self-registration at POST /auth/register")
    sso: Optional[SingleSignOn] = Field(description="Single sign-on with OpenID Connect; null when not configured")


def _client() -> OidcClient:
    client = current_app.extensions.get("oidc")
    if client is None:
        raise NotFound("Single sign-on is not configured here.", code="sso_not_configured")
    return client


def _back_to_sign_in(code: str, detail: str):
    logger.warning("single sign-on failed (%s): %s", code, detail)
    response = redirect(f"/?{urlencode({'sso_error': code})}", code=303)
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


@blueprint.get("/auth/methods")
@answers(200, SignInMethods)
def methods():
    """The ways to sign in here (the sign-in page asks)"""
    client = current_app.extensions.get("oidc")
    sso = (SingleSignOn(display_name=client.config.display_name, start_url=url_for("oidc.start"))
           if client is not None else None)
    return SignInMethods(password=current_app.config["LOCAL_LOGIN_ENABLED"],
                         registration=current_app.config["REGISTRATION_ENABLED"], sso=sso).model_dump()


@blueprint.get("/auth/oidc/start")
@undocumented
def start():
    """Begin: a redirect to the identity provider, and a cookie that ties the attempt to this browser."""
    client = _client()
    try:
        url, browser = client.begin(url_for("oidc.callback", _external=True), request.args.get("next"))
    except SignInFailed as failed:
        return _back_to_sign_in(failed.code, failed.detail)
    response = redirect(url, code=303)
    response.set_cookie(COOKIE, browser, max_age=600, path=COOKIE_PATH, httponly=True, samesite="Lax",
                        secure=request.is_secure or current_app.config["SETTINGS"].is_production)
    return response


@blueprint.get("/auth/oidc/callback")
@undocumented
def callback():
    """The identity provider sends the browser back here with a code (or an error)."""
    client = _client()
    try:
        claims, next_page = client.finish(request.args.to_dict(), request.cookies.get(COOKIE))
    except SignInFailed as failed:
        return _back_to_sign_in(failed.code, failed.detail)
    try:
        user = json_or_error(call("user-management", "POST", "/internal/identity-sign-in", json=claims,
                                  headers=_service_headers()))
    except ApiError as error:
        code = error.code if error.status == 409 else "service_unavailable" if error.status >= 500 else "refused"
        return _back_to_sign_in(code, f"user-management answered {error.status} {error.code}: {error.message}")
    answer = token_answer(user)
    logger.info("single sign-on: user %s (%s) signed in as %s", user["id"], claims["subject"], user["role"])
    response = Response(_completion_page(answer.model_dump(), next_page), mimetype="text/html")
    response.delete_cookie(COOKIE, path=COOKIE_PATH)
    return response


def _completion_page(answer: dict, next_page: str) -> str:
    """The page that hands the token to the browser: data attributes (escaped) read by a
    script of this site; no inline script, which the Content-Security-Policy refuses."""
    def attr(value: str) -> str:
        return html.escape(value, quote=True)

    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>Signing in · Campus Services Hub</title>
<link rel="stylesheet" href="/static/css/app.css">
</head>
<body>
<main class="auth-wrap">
  <div class="auth-card" id="sso-session" data-token="{attr(answer['token'])}"
       data-user="{attr(json.dumps(answer['user']))}" data-next="{attr(next_page)}">
    <h1>Campus Services Hub</h1>
    <p class="muted" role="status">Signing you in…</p>
  </div>
</main>
<script type="module" src="/static/js/sso-complete.js"></script>
</body>
</html>
"""
