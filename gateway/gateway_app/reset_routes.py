"""Forgotten passwords: ask for a link by e-mail, then choose a new password with it.

user-management owns the links and the password rule (users_service/password_reset.py);
the gateway throttles the asking like login (the same counters, per address and account,
so nobody can flood an inbox or probe addresses quickly) and signs the person in once the
new password is set.
"""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from pydantic import BaseModel, ConfigDict, Field

from shared.errors import Forbidden, TooManyRequests
from shared.openapi import accepts, answers
from shared.web import json_body

from .auth_routes import TokenAnswer, _client_address, _service_headers, _token_response
from .upstream import call, json_or_error

blueprint = Blueprint("password_reset", __name__)
THROTTLE_KEY = "password-reset:"   # its own per-account counter, beside the login's


class ResetRequestBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=1, max_length=254, examples=["student@example.com"])


class ResetConfirmBody(BaseModel):
    """The shape only: user-management owns the password rule."""
    model_config = ConfigDict(extra="forbid")
    token: str = Field(min_length=1, max_length=200, description="From the e-mailed link (reset.html#token=...)")
    password: str = Field(max_length=128)


class ResetAccepted(BaseModel):
    message: str


def _local_passwords_only() -> None:
    if not current_app.config.get("LOCAL_LOGIN_ENABLED", True):
        raise Forbidden("Passwords are not used here: sign in with your university account.",
                        code="local_login_disabled")


@blueprint.post("/auth/password-reset")
@accepts(ResetRequestBody)
@answers(202, ResetAccepted, errors=(403, 429))
def request_reset():
    """E-mail a single-use link to choose a new password (the same 202 whether or not the address has an account)"""
    _local_passwords_only()
    body = json_body(ResetRequestBody)
    throttle = current_app.extensions["throttle"]
    address = _client_address()
    wait = throttle.reserve(THROTTLE_KEY + body.email, address)
    if wait:
        raise TooManyRequests(f"Too many password reset requests from your address; try again in {wait} seconds.",
                              code="reset_throttled", headers={"Retry-After": str(wait)})
    response = call("user-management", "POST", "/internal/password-reset", json={"email": body.email},
                    headers=_service_headers())
    if response.status_code == 400:     # not an address at all: the same answer, nothing sent
        return jsonify(ResetAccepted(message="If an account has this address, a link to choose a new password "
                                             "is on its way.").model_dump()), 202
    return jsonify(ResetAccepted(**json_or_error(response)).model_dump()), 202


@blueprint.post("/auth/password-reset/confirm")
@accepts(ResetConfirmBody)
@answers(200, TokenAnswer, errors=(403,))
def confirm_reset():
    """Set a new password with the e-mailed link; every other session of the account ends, and you are signed in"""
    _local_passwords_only()
    body = json_body(ResetConfirmBody)
    response = call("user-management", "POST", "/internal/password-reset/confirm", json=body.model_dump(),
                    headers=_service_headers())
    return _token_response(json_or_error(response))
