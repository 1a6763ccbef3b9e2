"""Login, registration, logout and "who am I". Passwords are checked by user-management."""
from __future__ import annotations

from typing import Optional

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from shared.auth import authenticate, issue_service_token, issue_token
from shared.errors import Forbidden, TooManyRequests, Unauthorized
from shared.web import json_body

from .upstream import call, json_or_error

blueprint = Blueprint("auth", __name__)


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=128)


class RegisterBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(min_length=8, max_length=128)
    role: Optional[str] = None


def _service_headers() -> dict[str, str]:
    settings = current_app.config["SETTINGS"]
    return {"Authorization": f"Bearer {issue_service_token(settings, 'gateway')}"}


def _token_response(user: dict, status: int = 200):
    settings = current_app.config["SETTINGS"]
    token = issue_token(settings, user_id=user["id"], email=user["email"], name=user["name"], role=user["role"])
    public = {k: user[k] for k in ("id", "email", "name", "role")}
    return jsonify({"token": token, "token_type": "Bearer",
                    "expires_in": settings.jwt_expiry_hours * 3600, "user": public}), status


def principal_from_request():
    return authenticate(current_app.config["SETTINGS"], request.headers.get("Authorization"),
                        current_app.config["IS_REVOKED"])


@blueprint.post("/auth/login")
def login():
    body = json_body(LoginBody)
    throttle = current_app.extensions["throttle"]
    wait = throttle.retry_after(body.email)
    if wait:
        raise TooManyRequests(f"Too many failed logins for this account; try again in {wait} seconds.",
                              code="login_throttled", headers={"Retry-After": str(wait)})
    response = call("user-management", "POST", "/internal/verify-credentials",
                    json={"email": body.email, "password": body.password}, headers=_service_headers())
    if response.status_code == 401:
        throttle.record_failure(body.email)
        raise Unauthorized("Invalid email or password.", code="invalid_credentials")
    user = json_or_error(response)
    throttle.reset(body.email)
    return _token_response(user)


@blueprint.post("/auth/register")
def register():
    body = json_body(RegisterBody)
    if body.role not in (None, "student"):
        raise Forbidden("New accounts are students; an admin can change the role later.", code="role_not_allowed")
    response = call("user-management", "POST", "/users",
                    json={"name": body.name, "email": body.email, "password": body.password, "role": "student"},
                    headers=_service_headers())
    return _token_response(json_or_error(response), 201)


@blueprint.get("/auth/me")
def me():
    principal = principal_from_request()
    response = call("user-management", "GET", f"/users/{principal.id}", headers=_service_headers())
    if response.status_code == 404:
        raise Unauthorized("This account no longer exists.", code="account_gone")
    user = json_or_error(response)
    return jsonify({**user, "token_expires_at": principal.exp})


@blueprint.post("/auth/logout")
def logout():
    principal = principal_from_request()
    current_app.extensions["tokens"].revoke(principal.jti, principal.id, principal.exp)
    return jsonify({"message": "Logged out; this token no longer works."})
