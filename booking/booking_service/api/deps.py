"""What the booking routes depend on, as Annotated types (the pattern of FastAPI's
full-stack template, api/deps.py): the database, the booking configuration, the outbox
and the caller. Each comes from the app (`app.state`, set once by create_app), so a
route reads alone and a test can replace any of them with `app.dependency_overrides`."""
from __future__ import annotations

from typing import Annotated, Optional

from fastapi import Depends, Request

from shared import idempotency
from shared.auth import ROLES, Principal, fastapi_auth
from shared.database import Database
from shared.outbox import OutboxDispatcher

from ..timeslots import BookingConfig


def get_db(request: Request) -> Database:
    return request.app.state.db


def get_config(request: Request) -> BookingConfig:
    return request.app.state.booking_config


def get_outbox(request: Request) -> OutboxDispatcher:
    return request.app.state.outbox


# Any valid token (people and services) / people only: a service token may read, not book.
anyone = fastapi_auth()
person = fastapi_auth(*ROLES)

DbDep = Annotated[Database, Depends(get_db)]
ConfigDep = Annotated[BookingConfig, Depends(get_config)]
OutboxDep = Annotated[OutboxDispatcher, Depends(get_outbox)]
Caller = Annotated[Principal, Depends(anyone)]
Person = Annotated[Principal, Depends(person)]
IdempotencyKey = Annotated[Optional[str], idempotency.fastapi_header()]
