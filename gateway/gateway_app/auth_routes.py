"""Login, registration, logout and "who am I". Passwords are checked by user-management."""
from __future__ import annotations

from typing import Literal, Optional

from flask import Blueprint, current_app, jsonify, request
from pydantic import BaseModel, ConfigDict, Field

from shared.accounts import break_glass_email, normalize_email
from shared.auth import DEFAULT_ROLE, authenticate, issue_service_token, issue_token
from shared.errors import Forbidden, TooManyRequests, Unauthorized
from shared.openapi import accepts, answers
from shared.revocation import session_revocations
from shared.web import json_body

from .client_address import client_address
from .upstream import call, json_or_error

blueprint = Blueprint("auth", __name__)


class LoginBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    email: str = Field(min_length=1, max_length=254, examples=["student@example.com"])
    password: str = Field(min_length=1, max_length=128, examples=["student123"])


class RegisterBody(BaseModel):
    """The shape only: user-management owns the rules for emails and passwords."""
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=100)
    email: str = Field(min_length=3, max_length=254)
    password: str = Field(max_length=128)
    role: Optional[str] = None


class PasswordChangeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    email: str = Field(min_length=1, max_length=254)
    current_password: str = Field(min_length=1, max_length=128)
    password: str = Field(max_length=128)


class PublicUser(BaseModel):
    id: str
    email: str
    name: str
    role: str


class TokenAnswer(BaseModel):
    """What login, registration and a password change answer."""
    token: str = Field(description="Send it as Authorization: Bearer <token>.")
    token_type: Literal["Bearer"] = "Bearer"
    expires_in: int = Field(description="Seconds until the token expires.")
    user: PublicUser


class Me(PublicUser):
    """The user's record at user-management, plus when this token expires."""
    token_expires_at: int = Field(description="Unix time.")


class LoggedOut(BaseModel):
    message: str


def _service_headers() -> dict[str, str]:
    settings = current_app.config["SETTINGS"]
    return {"Authorization": f"Bearer {issue_service_token(settings, 'gateway')}"}


def token_answer(user: dict) -> TokenAnswer:
    """The platform's token for a user (password login and single sign-on alike)."""
    settings = current_app.config["SETTINGS"]
    token = issue_token(settings, user_id=user["id"], email=user["email"], name=user["name"], role=user["role"])
    return TokenAnswer(token=token, expires_in=settings.jwt_expiry_hours * 3600,
                       user=PublicUser(**{k: user[k] for k in PublicUser.model_fields}))


def _token_response(user: dict, status: int = 200):
    return jsonify(token_answer(user).model_dump()), status


def principal_from_request():
    return authenticate(current_app.config["SETTINGS"], request.headers.get("Authorization"))


def _client_address() -> str:
    return client_address(request.remote_addr, request.headers.get("X-Forwarded-For"),
                          current_app.config["TRUSTED_PROXIES"])


def _checked_password(email: str, path: str, body: dict) -> dict:
    """Ask user-management to check a password, counted by the login throttle: the
    attempt is reserved first, a right password gives the reservation back."""
    break_glass = _break_glass_only(email)
    throttle = current_app.extensions["throttle"]
    address = _client_address()
    wait = throttle.reserve(email, address)
    if wait:
        raise TooManyRequests(f"Too many failed sign-ins for this account from your address; try again in "
                              f"{wait} seconds.", code="login_throttled", headers={"Retry-After": str(wait)})
    try:
        response = call("user-management", "POST", path, json=body, headers=_service_headers())
    except Exception:
        throttle.not_checked(email, address)
        raise
    if response.status_code == 401:
        raise Unauthorized("Invalid email or password.", code="invalid_credentials")
    if response.status_code >= 500 or response.status_code in (400, 429):
        throttle.not_checked(email, address)
    else:   # 2xx, or 403 password_change_required: the password was right
        throttle.succeeded(email, address)
    user = json_or_error(response)
    if break_glass and user.get("role") != "admin":
        raise Forbidden("Sign-in with a password is turned off here; use single sign-on.",
                        code="local_login_disabled")
    return user


def _break_glass_only(email: str) -> bool:
    """LOCAL_LOGIN_ENABLED=false: a password signs in only the break-glass admin (True
    then: the caller checks the account is an admin); anyone else is refused unchecked."""
    if current_app.config["LOCAL_LOGIN_ENABLED"]:
        return False
    if normalize_email(email) != break_glass_email(current_app.config["SETTINGS"]):
        raise Forbidden("Sign-in with a password is turned off here; use single sign-on.",
                        code="local_login_disabled")
    return True


@blueprint.post("/auth/login")
@accepts(LoginBody)
@answers(200, TokenAnswer, errors=(401, 403, 429))
def login():
    """Log in; returns a token and the user (403 password_change_required: see /auth/change-password)"""
    body = json_body(LoginBody)
    user = _checked_password(body.email, "/internal/verify-credentials",
                             {"email": body.email, "password": body.password})
    return _token_response(user)


@blueprint.post("/auth/change-password")
@accepts(PasswordChangeBody)
@answers(200, TokenAnswer, errors=(401, 403, 429))
def change_password():
    """Replace a password without a token, proving the current one: how an account whose
    password was for one sign-in only (the first admin's) continues. Answers like login."""
    body = json_body(PasswordChangeBody)
    user = _checked_password(body.email, "/internal/change-password", body.model_dump())
    return _token_response(user)


@blueprint.post("/auth/register")
@accepts(RegisterBody)
@answers(201, TokenAnswer, errors=(403, 409))
def register():
    """Create a student account and log in (403 registration_disabled when REGISTRATION_ENABLED is off)"""
    if not current_app.config["REGISTRATION_ENABLED"]:
        raise Forbidden("Self-registration is turned off here; ask an administrator for an account.",
                        code="registration_disabled")
    body = json_body(RegisterBody)
    if body.role not in (None, DEFAULT_ROLE):
        raise Forbidden(f"New accounts are {DEFAULT_ROLE}s; an admin can change the role later.",
                        code="role_not_allowed")
    response = call("user-management", "POST", "/users",
                    json={"name": body.name, "email": body.email, "password": body.password, "role": DEFAULT_ROLE},
                    headers=_service_headers())
    return _token_response(json_or_error(response), 201)


@blueprint.get("/auth/me")
@answers(200, Me, bearer=True)
def me():
    """The signed-in user"""
    principal = principal_from_request()
    response = call("user-management", "GET", f"/users/{principal.id}", headers=_service_headers())
    if response.status_code == 404:
        raise Unauthorized("This account no longer exists.", code="account_gone")
    user = json_or_error(response)
    return jsonify({**user, "token_expires_at": principal.exp})


@blueprint.post("/auth/logout")
@answers(200, LoggedOut, bearer=True)
def logout():
    """Log out: this token stops working at every service"""
    principal = principal_from_request()
    # The record lives with the users (user-management), where every service reads it.
    response = call("user-management", "POST", "/internal/sessions/end-token",
                    json={"user_id": principal.id, "jti": principal.jti, "expires_at": principal.exp},
                    headers={**_service_headers(), "Idempotency-Key": f"logout:{principal.jti}"})
    json_or_error(response)
    session_revocations(current_app.config["SETTINGS"]).sync()
    return jsonify({"message": "Logged out; this token no longer works."})
