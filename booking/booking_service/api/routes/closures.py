"""Closures of a room, a building or the whole campus: admins declare and remove them;
everyone may list them (the rules live in closures.py)."""
from __future__ import annotations

from fastapi import APIRouter, Query

from ... import closures
from ...models import Closure, ClosureCreate, ClosureCreated
from ..deps import Admin, Caller, ConfigDep, DbDep, OutboxDep

router = APIRouter(prefix="/closures", tags=["closures"])


@router.get("", response_model=list[Closure])
def list_closures(db: DbDep, cfg: ConfigDep, _: Caller,
                  include_past: bool = Query(False, description="Also closures that have ended.")):
    return closures.list_closures(db, cfg, include_past)


@router.post("", response_model=ClosureCreated, status_code=201)
def create_closure(body: ClosureCreate, db: DbDep, cfg: ConfigDep, outbox: OutboxDep, principal: Admin):
    """Close a room (room_id), a building, or the whole campus (neither) for start_date..end_date.
    Over existing bookings: 409 closure_has_bookings listing them, unless confirm is true, which
    cancels them and tells their holders."""
    result = closures.create_closure(db, cfg, principal, body.model_dump())
    outbox.wake()
    return result


@router.delete("/{closure_id}", response_model=Closure)
def delete_closure(closure_id: int, db: DbDep, _: Admin):
    """Reopen: the closure goes (bookings it cancelled stay cancelled)."""
    return closures.delete_closure(db, closure_id)
