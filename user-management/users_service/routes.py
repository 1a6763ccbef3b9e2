"""HTTP routes of user-management: thin; the rules live in users.py."""
from __future__ import annotations

from flask import Blueprint, Response, current_app, jsonify, request, stream_with_context

from shared.auth import DEFAULT_ROLE, ROLES, current_user, require_auth
from shared.errors import Forbidden, NotFound
from shared.openapi import accepts, answers
from shared.server_limits import MAX_UPLOAD_BODY
from shared.web import app_db, json_body, query_int

from . import bulk, identities, password_reset, sessions, users
from .models import (
    Credentials,
    EndedToken,
    IdentitySignIn,
    ImportJob,
    ImportReport,
    PasswordChange,
    PasswordResetConfirm,
    PasswordResetRequest,
    ResetAccepted,
    RevocationFeed,
    RoleList,
    SessionsEnded,
    TokenEnded,
    UserCreate,
    UserDeleted,
    UserImportBody,
    UserPage,
    UserPublic,
    UserUpdate,
)

blueprint = Blueprint("users", __name__)


def _after_commit():
    current_app.extensions["outbox"].wake()
    sessions.committed(current_app.config["SESSIONS"], current_app.config["SETTINGS"], app_db())


def _still_admin() -> None:
    """An admin action by a person: their role is read again from the table, so a token
    whose admin was demoted a moment ago cannot act even before it is refused everywhere."""
    principal = current_user()
    if principal.is_admin and users.current_role(app_db(), principal.id) != "admin":
        raise Forbidden("You are no longer an admin; log in again.", code="role_changed")


def _self_or_admin(user_id: str) -> None:
    principal = current_user()
    if not principal.is_privileged and principal.id != user_id:
        raise Forbidden("You may only see and change your own account.")


@blueprint.get("/users")
@require_auth("admin", "service")
@answers(200, UserPage, errors=(404,))
def list_users():
    """List users, paginated (admin); ?q= searches names and e-mails"""
    role = request.args.get("role")
    if role is not None and role not in ROLES:
        raise NotFound(f"Unknown role {role!r}.")
    search = " ".join((request.args.get("q") or "").split())[:100] or None
    return jsonify(users.list_users(app_db(), query_int("page", 1), query_int("per_page", 20, maximum=100), role,
                                    search))


@blueprint.get("/users/roles")
@require_auth("admin", "service")
@answers(200, RoleList)
def roles():
    """The platform's roles (shared.auth.ROLES) and a new account's default, for the pages"""
    return jsonify(RoleList(roles=list(ROLES), default=DEFAULT_ROLE).model_dump())


@blueprint.get("/users/by-role/<role>")
@require_auth("admin", "service")
@answers(200, UserPage)
def users_by_role(role: str):
    if role not in ROLES:
        raise NotFound(f"Unknown role {role!r}; roles are {', '.join(ROLES)}.")
    return jsonify(users.list_users(app_db(), query_int("page", 1), query_int("per_page", 100, maximum=1000), role))


@blueprint.post("/users")
@require_auth("admin", "service")
@accepts(UserCreate)
@answers(201, UserPublic, errors=(409,))
def create_user():
    """Create a user (admin)"""
    _still_admin()
    user = users.create_user(app_db(), json_body(UserCreate))
    _after_commit()
    return jsonify(user), 201


@blueprint.get("/users/<user_id>")
@require_auth()
@answers(200, UserPublic)
def get_user(user_id: str):
    _self_or_admin(user_id)
    return jsonify(users.get_user(app_db(), user_id))


@blueprint.put("/users/<user_id>")
@require_auth()
@accepts(UserUpdate)
@answers(200, UserPublic, errors=(409,))
def update_user(user_id: str):
    """Update a user (admin; or yourself: name and password)"""
    _self_or_admin(user_id)
    _still_admin()
    user = users.update_user(app_db(), user_id, json_body(UserUpdate), current_user())
    _after_commit()
    return jsonify(user)


@blueprint.delete("/users/<user_id>")
@require_auth("admin", "service")
@answers(200, UserDeleted, errors=(409,))
def delete_user(user_id: str):
    _still_admin()
    users.delete_user(app_db(), user_id)
    _after_commit()
    return jsonify(UserDeleted(deleted=user_id).model_dump())


@blueprint.post("/users/<user_id>/sessions/revoke")
@require_auth()
@answers(200, SessionsEnded)
def sign_out_everywhere(user_id: str):
    """Sign a user out everywhere (admin, or yourself): every earlier token stops working"""
    _self_or_admin(user_id)
    _still_admin()
    result = users.end_all_sessions(app_db(), user_id)
    _after_commit()
    return jsonify(result)


@blueprint.get("/internal/revocations")
@require_auth("service")
@answers(200, RevocationFeed)
def revocation_feed():
    """Ended sessions after a cursor, for every service's in-memory set (shared/revocation.py)"""
    after = request.args.get("after", "0")
    if not after.isdigit():
        raise NotFound("after must be a non-negative integer.")
    return jsonify(sessions.feed(app_db(), int(after)))


@blueprint.post("/internal/sessions/end-token")
@require_auth("service")
@accepts(EndedToken)
@answers(200, TokenEnded)
def end_token():
    """The gateway's logout: this one token stops working at every service"""
    body = json_body(EndedToken)
    with app_db().connection() as conn:
        sessions.end_token(conn, body.user_id, body.jti, body.expires_at)
    _after_commit()
    return jsonify(TokenEnded(ended=body.jti).model_dump())


@blueprint.post("/internal/verify-credentials")
@require_auth("service")
@accepts(Credentials)
@answers(200, UserPublic, errors=(401, 403))
def verify_credentials():
    """The gateway's login asks here; passwords never leave this service."""
    body = json_body(Credentials)
    return jsonify(users.verify_credentials(app_db(), body.email, body.password))


@blueprint.post("/internal/change-password")
@require_auth("service")
@accepts(PasswordChange)
@answers(200, UserPublic, errors=(401,))
def change_password():
    """The gateway's /auth/change-password: a new password for someone proving the current
    one without a token (a one-time password must be replaced before signing in)."""
    user = users.change_password(app_db(), json_body(PasswordChange))
    _after_commit()
    return jsonify(user)


@blueprint.post("/internal/identity-sign-in")
@require_auth("service")
@accepts(IdentitySignIn)
@answers(200, UserPublic, errors=(409,))
def identity_sign_in():
    """The gateway's single sign-on: the account of a verified provider identity, found,
    linked or created, its role brought up to date (identities.py)"""
    user = identities.sign_in(app_db(), json_body(IdentitySignIn), current_user())
    _after_commit()
    return jsonify(user)


RESET_ANSWER = "If an account has this address, a link to choose a new password is on its way."


@blueprint.post("/internal/password-reset")
@require_auth("service")
@accepts(PasswordResetRequest)
@answers(202, ResetAccepted)
def request_password_reset():
    """The gateway's POST /auth/password-reset: e-mail a single-use link (the same answer
    whether or not the address has an account)"""
    found = password_reset.request_reset(app_db(), json_body(PasswordResetRequest).email)
    if found is not None:
        current_app.extensions["reset_mailer"].send_link(*found)
    return jsonify(ResetAccepted(message=RESET_ANSWER).model_dump()), 202


@blueprint.post("/internal/password-reset/confirm")
@require_auth("service")
@accepts(PasswordResetConfirm)
@answers(200, UserPublic)
def password_reset_confirm():
    """The gateway's POST /auth/password-reset/confirm: a new password from a reset link;
    every earlier session of the user ends"""
    body = json_body(PasswordResetConfirm)
    user_id = password_reset.confirm(app_db(), body.token, body.password)
    _after_commit()
    return jsonify(users.get_user(app_db(), user_id))


def _import_body() -> str:
    """The CSV of an import: a body of up to MAX_UPLOAD_BODY (the gateway's UPLOAD_ROUTES too),
    beyond the usual MAX_CONTENT_LENGTH."""
    request.max_content_length = MAX_UPLOAD_BODY
    return json_body(UserImportBody).csv


@blueprint.post("/users/import/check")
@require_auth("admin", "service")
@accepts(UserImportBody)
@answers(200, ImportReport, errors=(413,))
def check_import():
    """Dry run of a CSV import (admin): each bad row by line, with the reason; nothing is written"""
    _still_admin()
    return jsonify(bulk.check(app_db(), _import_body()))


@blueprint.post("/users/imports")
@require_auth("admin", "service")
@accepts(UserImportBody)
@answers(202, ImportJob, errors=(413,))
def start_import():
    """Import users from CSV (admin): in the background, 1,000 rows per transaction; poll the job for progress"""
    _still_admin()
    return jsonify(bulk.start_import(app_db(), _import_body(), current_user())), 202


@blueprint.get("/users/imports/<job_id>")
@require_auth("admin", "service")
@answers(200, ImportJob)
def import_progress(job_id: str):
    """An import's progress (admin)"""
    return jsonify(bulk.get_job(app_db(), job_id))


@blueprint.get("/users/export")
@require_auth("admin", "service")
@answers(200, media_type="text/csv", description="Every user as CSV: email, name, role, created_at")
def export_users():
    """Export every user as CSV (admin)"""
    response = Response(stream_with_context(bulk.export(app_db())), mimetype="text/csv")
    response.headers["Content-Disposition"] = 'attachment; filename="users.csv"'
    return response
