"""What the booking routes depend on, as Annotated types (the pattern of FastAPI's
full-stack template, api/deps.py): the database, the booking configuration, the outbox
and the caller. Each comes from the app (`app.state`, set once by create_app), so a
route reads alone and a test can replace any of them with `app.dependency_overrides`."""
from __future__ import annotations

from typing import Annotated, Any, Callable, Optional
from urllib.parse import quote

from fastapi import Depends, Request

from shared import idempotency
from shared.auth import ROLES, Principal, fastapi_auth
from shared.database import Database
from shared.errors import BadGateway, NotFound
from shared.outbox import OutboxDispatcher

from ..timeslots import BookingConfig


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_config(request: Request) -> BookingConfig:
    return request.app.state.booking_config


def get_outbox(request: Request) -> OutboxDispatcher:
    return request.app.state.outbox


def get_directory(request: Request) -> Callable[[str], dict[str, Any]]:
    """Looks a person up at user-management (the owner of users) with a service token:
    {"id", "name", "email", "role"}; 404 user_not_found for an unknown id."""
    app = request.app

    def lookup(user_id: str) -> dict[str, Any]:
        base = app.state.settings.service_url("user-management")
        response = app.state.http.get(f"{base}/users/{quote(user_id, safe='')}")
        if response.status_code == 404:
            raise NotFound(f"No user with id {user_id}.", code="user_not_found",
                           details=[{"field": "user_id", "message": "no such user"}])
        if response.status_code != 200:
            raise BadGateway("The user directory did not answer; try again.", code="users_unavailable")
        return response.json()
    return lookup


def get_feed_settings(request: Request) -> tuple[str, str]:
    """(the secret feed tokens are made with, the public base URL of the platform)."""
    settings = request.app.state.settings
    base = settings.env.str("BOOKING_FEED_BASE_URL") or settings.service_url("gateway")
    return settings.jwt_secret_key, base.rstrip("/")


# Any valid token (people and services) / people only: a service token may read, not book.
anyone = fastapi_auth()
person = fastapi_auth(*ROLES)
admin = fastapi_auth("admin")   # room administration, closures, approvals

DbDep = Annotated[Database, Depends(get_db)]
ConfigDep = Annotated[BookingConfig, Depends(get_config)]
OutboxDep = Annotated[OutboxDispatcher, Depends(get_outbox)]
Caller = Annotated[Principal, Depends(anyone)]
Person = Annotated[Principal, Depends(person)]
Admin = Annotated[Principal, Depends(admin)]
DirectoryDep = Annotated[Callable[[str], dict[str, Any]], Depends(get_directory)]
FeedSettings = Annotated[tuple[str, str], Depends(get_feed_settings)]
IdempotencyKey = Annotated[Optional[str], idempotency.fastapi_header()]
