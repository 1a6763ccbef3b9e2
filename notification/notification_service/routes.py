"""HTTP routes of the notification service: thin; the rules live in notifications.py.

Identity and role come from the token only. Sending is for admins and service tokens.
"""
from __future__ import annotations

from typing import Union

from flask import Blueprint, current_app, jsonify, request

from shared import idempotency
from shared.auth import ROLES, current_user, require_auth
from shared.errors import Forbidden, ValidationFailed
from shared.openapi import accepts, answers
from shared.web import app_db, json_body, query_int

from . import notifications, preferences
from .models import (
    DELETE_SCOPES,
    TYPE_PATTERN,
    AllRead,
    NotificationCreate,
    NotificationDeleted,
    NotificationFeed,
    NotificationPublic,
    PreferencesAnswer,
    PreferencesUpdate,
    ReadUpdate,
    SentPage,
    UnreadCount,
)

blueprint = Blueprint("notifications", __name__)

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off", "")


def _flag(name: str) -> bool:
    raw = request.args.get(name)
    if raw is None:
        return False
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValidationFailed(f"{name} must be true or false.", details=[{"field": name, "message": "must be true or false"}])


def _type_filter() -> str | None:
    import re

    value = request.args.get("type")
    if value is None or value == "":
        return None
    if not re.match(TYPE_PATTERN, value):
        raise ValidationFailed("type must be a lower-case word such as info or booking.",
                               details=[{"field": "type", "message": "invalid type"}])
    return value


def _paging() -> tuple[int, int]:
    return query_int("page", 1), query_int("per_page", 20, maximum=100)


@blueprint.post("/notifications")
@require_auth("admin", "service")
@accepts(NotificationCreate)
@answers(201, NotificationPublic, errors=(409,))
def create_notification():
    data = json_body(NotificationCreate)
    key = notifications.idempotency_key(request.headers.get(idempotency.KEY_HEADER), data.idempotency_key)
    # The key may come in the body instead of the header: it is no part of what is asked.
    asked = data.model_dump(mode="json", exclude={"idempotency_key"})
    once = idempotency.keyed_request(notifications.IDEMPOTENCY, current_user().id, key, "POST /notifications", asked)
    delivery = current_app.extensions["email"]
    created = notifications.create(app_db(), data, once, current_user(), email=delivery is not None)
    if delivery is not None:
        delivery.wake()
    current_app.extensions["live"].notification_created(created)
    return jsonify(created), 201


def _preferences_answer(chosen: dict[str, str]):
    delivery = current_app.extensions["email"]
    settings = current_app.config["SETTINGS"]
    return jsonify(PreferencesAnswer(
        preferences=chosen, email_enabled=delivery is not None,
        digest_hour=delivery.digest_hour if delivery else settings.env.int("DIGEST_HOUR", 7, minimum=0, maximum=23),
        timezone=delivery.zone.key if delivery else settings.env.str("BOOKING_TIMEZONE", "UTC")).model_dump())


@blueprint.get("/notifications/preferences")
@require_auth()
@answers(200, PreferencesAnswer)
def get_preferences():
    """Which notifications you get by e-mail: per kind, in_app, email or digest"""
    return _preferences_answer(preferences.of_user(app_db(), current_user().id))


@blueprint.put("/notifications/preferences")
@require_auth()
@accepts(PreferencesUpdate)
@answers(200, PreferencesAnswer)
def put_preferences():
    """Choose per kind: in_app, email or digest (the kinds not sent stay as they are)"""
    changes = json_body(PreferencesUpdate).model_dump(exclude_none=True)
    return _preferences_answer(preferences.update(app_db(), current_user().id, changes))


@blueprint.get("/notifications")
@require_auth()
@answers(200, Union[NotificationFeed, SentPage],
         description="A page of your feed (NotificationFeed); with all=true (admins) every notification sent "
                     "(SentPage)")
def list_notifications():
    principal = current_user()
    page, per_page = _paging()
    if _flag("all"):
        if not principal.is_privileged:
            raise Forbidden("Only admins may list every notification sent.")
        return jsonify(notifications.list_sent(app_db(), page=page, per_page=per_page,
                                               include_deleted=_flag("include_deleted"),
                                               type_=_type_filter(), viewer_id=principal.id))
    return jsonify(notifications.feed(app_db(), principal.id, principal.role, page=page, per_page=per_page,
                                      unread_only=_flag("unread"), type_=_type_filter()))


@blueprint.get("/notifications/unread-count")
@require_auth()
@answers(200, UnreadCount)
def unread_count():
    principal = current_user()
    return jsonify(UnreadCount(unread=notifications.unread_count(app_db(), principal.id, principal.role)).model_dump())


@blueprint.get("/notifications/user/<user_id>")
@require_auth()
@answers(200, NotificationFeed)
def user_notifications(user_id: str):
    """A user's feed. Their own: everything addressed to them. An admin or a service looking
    at someone else's: notices sent to that user and to everyone, plus those sent to a role
    when ?role= names it (the token of the caller does not say the other user's role)."""
    principal = current_user()
    page, per_page = _paging()
    if principal.id == user_id:
        role = principal.role
    elif principal.is_privileged:
        role = request.args.get("role") or None
        if role is not None and role not in ROLES:
            raise ValidationFailed(f"role must be one of {', '.join(ROLES)}.",
                                   details=[{"field": "role", "message": "unknown role"}])
    else:
        raise Forbidden("You may only see your own notifications.")
    return jsonify(notifications.feed(app_db(), user_id, role, page=page, per_page=per_page,
                                      unread_only=_flag("unread"), type_=_type_filter()))


@blueprint.post("/notifications/read-all")
@require_auth()
@answers(200, AllRead)
def read_all():
    principal = current_user()
    marked = notifications.read_all(app_db(), principal)
    unread = notifications.unread_count(app_db(), principal.id, principal.role)
    return jsonify(AllRead(marked=marked, unread=unread).model_dump())


@blueprint.get("/notifications/<int:notification_id>")
@require_auth()
@answers(200, NotificationPublic)
def get_notification(notification_id: int):
    return jsonify(notifications.get(app_db(), notification_id, current_user()))


@blueprint.put("/notifications/<int:notification_id>")
@require_auth()
@accepts(ReadUpdate)
@answers(200, NotificationPublic)
def mark_read(notification_id: int):
    read = json_body(ReadUpdate).read if request.get_data(cache=True) else True
    return jsonify(notifications.set_read(app_db(), notification_id, current_user(), read))


@blueprint.delete("/notifications/<int:notification_id>")
@require_auth()
@answers(200, NotificationDeleted, description="Deleted: from your feed (scope=me), or for everyone (scope=all)")
def delete_notification(notification_id: int):
    scope = (request.args.get("scope") or "me").strip().lower()
    if scope not in DELETE_SCOPES:
        raise ValidationFailed("scope must be me or all.", details=[{"field": "scope", "message": "must be me or all"}])
    return jsonify(notifications.delete(app_db(), notification_id, current_user(), scope))
