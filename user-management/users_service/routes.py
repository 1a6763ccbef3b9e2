"""HTTP routes of user-management: thin; the rules live in users.py."""
from __future__ import annotations

from flask import Blueprint, current_app, jsonify

from shared.auth import ROLES, current_user, require_auth
from shared.errors import Forbidden, NotFound
from shared.openapi import accepts
from shared.web import json_body, query_int

from . import users
from .models import Credentials, UserCreate, UserUpdate

blueprint = Blueprint("users", __name__)


def _db():
    return current_app.extensions["db"]


def _after_commit():
    current_app.extensions["outbox"].wake()


def _self_or_admin(user_id: str) -> None:
    principal = current_user()
    if not principal.is_privileged and principal.id != user_id:
        raise Forbidden("You may only see and change your own account.")


@blueprint.get("/users")
@require_auth("admin", "service")
def list_users():
    """List users, paginated (admin)"""
    from flask import request

    role = request.args.get("role")
    if role is not None and role not in ROLES:
        raise NotFound(f"Unknown role {role!r}.")
    return jsonify(users.list_users(_db(), query_int("page", 1), query_int("per_page", 20, maximum=100), role))


@blueprint.get("/users/by-role/<role>")
@require_auth("admin", "service")
def users_by_role(role: str):
    if role not in ROLES:
        raise NotFound(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    return jsonify(users.list_users(_db(), query_int("page", 1), query_int("per_page", 100, maximum=1000), role))


@blueprint.post("/users")
@require_auth("admin", "service")
@accepts(UserCreate)
def create_user():
    """Create a user (admin)"""
    user = users.create_user(_db(), json_body(UserCreate))
    _after_commit()
    return jsonify(user), 201


@blueprint.get("/users/<user_id>")
@require_auth()
def get_user(user_id: str):
    _self_or_admin(user_id)
    return jsonify(users.get_user(_db(), user_id))


@blueprint.put("/users/<user_id>")
@require_auth()
@accepts(UserUpdate)
def update_user(user_id: str):
    """Update a user (admin; or yourself: name and password)"""
    _self_or_admin(user_id)
    user = users.update_user(_db(), user_id, json_body(UserUpdate), current_user())
    _after_commit()
    return jsonify(user)


@blueprint.delete("/users/<user_id>")
@require_auth("admin", "service")
def delete_user(user_id: str):
    users.delete_user(_db(), user_id)
    return jsonify({"deleted": user_id})


@blueprint.post("/internal/verify-credentials")
@require_auth("service")
@accepts(Credentials)
def verify_credentials():
    """The gateway's login asks here; passwords never leave this service."""
    body = json_body(Credentials)
    return jsonify(users.verify_credentials(_db(), body.email, body.password))
