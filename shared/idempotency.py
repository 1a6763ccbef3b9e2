"""Idempotency-Key: a create that a client may send again happens once (DESIGN decision 11).

A client that sends `Idempotency-Key: <a value of its own, e.g. a UUID>` with a create may
send the very same request again (after a timeout, a lost connection, a 503 while a
service restarted) without the thing being done twice. The service keeps, per caller and
key, a digest of the request and the answer it gave, for 24 hours, in a table of its own
database (`<service>_idempotency`, `idempotency_ddl`):

- the same key with the same request: the first answer again, same status and body, with
  `Idempotent-Replayed: true`; nothing new is created;
- the same key with another request (another body or route): 409 `idempotency_key_reused`;
- one caller's keys never meet another's: a key is scoped by the token's subject.

The key is taken in the create's own transaction, before anything else, and the answer
is stored in it too, so a crash leaves both or neither (never a booking without its
answer):

    with db.connection() as conn:
        idempotency.reserve(conn, once)        # raises Replayed, or 409 for another request
        ... the create ...
        idempotency.record(conn, once, result) # committed with the create

A duplicate that races the first waits on the key and then replays its answer: on
PostgreSQL its INSERT ... ON CONFLICT waits for the first transaction to end; on SQLite
write transactions are serialised (BEGIN IMMEDIATE). Only a success is kept: a refused
request (400, 409 slot taken, ...) rolls back with its key, so the client may correct it
and send it again under the same key. `install_flask` / `install_fastapi` register the
handler that turns `Replayed` into the stored answer; routes stay as they are.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable

from shared.database import Connection, Database
from shared.errors import Conflict, ValidationFailed

KEY_HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
KEEP = timedelta(hours=24)
MAX_KEY_LENGTH = 200

IDEMPOTENCY_DDL = """
CREATE TABLE IF NOT EXISTS {table} (
    caller_id TEXT NOT NULL,                 -- the token's sub: keys are per caller
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,              -- sha256 of the route and the canonical JSON body
    status INTEGER,                          -- the answer, written in the create's transaction
    response TEXT,                           -- its JSON body
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,                -- 24 h on; then the key may be used afresh
    PRIMARY KEY (caller_id, idempotency_key)
);
CREATE INDEX IF NOT EXISTS idx_{table}_expiry ON {table} (caller_id, expires_at);
"""


def idempotency_ddl(table: str) -> str:
    if not table.replace("_", "").isalnum():
        raise ValueError(f"bad idempotency table name {table!r}")
    return IDEMPOTENCY_DDL.format(table=table)


def _identity(result: Any) -> Any:
    return result


@dataclass(frozen=True)
class IdempotentRequest:
    """A create sent with a key: who sent it, the key, a digest of what it asked, the status
    a success answers with, and how the route shapes the create's result into its body."""

    table: str
    caller: str
    key: str
    digest: str
    status: int = 201
    render: Callable[[Any], Any] = field(default=_identity, compare=False)


class Replayed(Exception):
    """This request repeats one already answered: send `body` with `status` again."""

    def __init__(self, status: int, body: Any):
        super().__init__(f"replayed answer {status}")
        self.status = status
        self.body = body


def clean_key(raw: str | None) -> str | None:
    """The key as sent, or None when there is none (absent or blank)."""
    key = raw.strip() if raw is not None else ""
    if not key:
        return None
    if len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed(f"{KEY_HEADER} must be at most {MAX_KEY_LENGTH} characters.",
                               details=[{"field": KEY_HEADER, "message": "too long"}])
    return key


def keyed_request(table: str, caller: str, key: str | None, operation: str, body: Any, *,
                  status: int = 201, render: Callable[[Any], Any] = _identity) -> IdempotentRequest | None:
    """None without a key. `operation` names the route ("POST /bookings") and `body` is the
    validated request (a pydantic model or plain data): the same values in another order
    or spacing are the same request."""
    key = clean_key(key)
    if key is None:
        return None
    if hasattr(body, "model_dump"):
        body = body.model_dump(mode="json")
    canonical = json.dumps([operation, body], sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return IdempotentRequest(table, caller, key, hashlib.sha256(canonical.encode()).hexdigest(), status, render)


def from_flask(table: str, body: Any, *, key: str | None = None, status: int = 201,
               render: Callable[[Any], Any] = _identity) -> IdempotentRequest | None:
    """The current Flask request's key (the header, unless `key` is given), for the signed-in caller."""
    from flask import request

    from shared.auth import current_user

    raw = key if key is not None else request.headers.get(KEY_HEADER)
    return keyed_request(table, current_user().id, raw, f"{request.method} {request.path}", body,
                         status=status, render=render)


def fastapi_header():
    """The header as FastAPI parameter metadata:
    `key: Annotated[Optional[str], idempotency.fastapi_header()] = None`."""
    from fastapi import Header

    return Header(alias=KEY_HEADER, max_length=MAX_KEY_LENGTH,
                  description="Any unique value (a UUID) per create. Sending the same request again with the "
                              "same key within 24 hours returns the first answer instead of creating again "
                              f"(header {REPLAYED_HEADER}: true); the same key with another request is 409.")


# ----------------------------------------------------------------------------- storage
def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _answer(row: dict[str, Any], once: IdempotentRequest) -> None:
    """Raise what a request whose key is taken gets: the first answer, or 409."""
    if row["request_hash"] != once.digest:
        raise Conflict(f"This {KEY_HEADER} was already used for a different request; send a new key with a "
                       "new request.", code="idempotency_key_reused")
    if row["status"] is None:  # pragma: no cover - the answer is committed with the key
        raise Conflict("A request with this key is still being processed; try again.",
                       code="idempotency_key_in_use")
    raise Replayed(int(row["status"]), json.loads(row["response"]))


def answered(db: Database, once: IdempotentRequest | None) -> None:
    """A read-only look before expensive work (the classifier): raise Replayed or 409 when
    the key already has its answer. `reserve` still decides, inside the transaction."""
    if once is None:
        return
    with db.connection(readonly=True) as conn:
        row = conn.execute(f"SELECT request_hash, status, response FROM {once.table} WHERE caller_id = ? "
                           "AND idempotency_key = ? AND expires_at > ?",
                           (once.caller, once.key, _iso(datetime.now(timezone.utc)))).fetchone()
    if row is not None:
        _answer(row, once)


def reserve(conn: Connection, once: IdempotentRequest | None) -> None:
    """Take the key inside the create's transaction (first statement of it), or raise
    Replayed / 409 when it is taken. No key: nothing to do."""
    if once is None:
        return
    now = datetime.now(timezone.utc)
    # This caller's keys past their 24 hours go (this one's included): the table stays small
    # without a sweeper, and only the caller's own creates ever wait on these rows.
    conn.execute(f"DELETE FROM {once.table} WHERE caller_id = ? AND expires_at <= ?", (once.caller, _iso(now)))
    taken = conn.execute(
        f"INSERT INTO {once.table} (caller_id, idempotency_key, request_hash, created_at, expires_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (caller_id, idempotency_key) DO NOTHING RETURNING caller_id",
        (once.caller, once.key, once.digest, _iso(now), _iso(now + KEEP))).fetchone()
    if taken is not None:
        return
    row = conn.execute(f"SELECT request_hash, status, response FROM {once.table} "
                       "WHERE caller_id = ? AND idempotency_key = ?", (once.caller, once.key)).fetchone()
    _answer(row, once)


def record(conn: Connection, once: IdempotentRequest | None, result: Any) -> None:
    """Store the answer to a reserved key, in the same transaction as the create."""
    if once is None:
        return
    conn.execute(f"UPDATE {once.table} SET status = ?, response = ? WHERE caller_id = ? AND idempotency_key = ?",
                 (once.status, json.dumps(once.render(result)), once.caller, once.key))


# ----------------------------------------------------------------------------- frameworks
def install_flask(app) -> None:
    from flask import jsonify

    def replay(exc: Replayed):
        response = jsonify(exc.body)
        response.status_code = exc.status
        response.headers[REPLAYED_HEADER] = "true"
        return response

    app.register_error_handler(Replayed, replay)


def install_fastapi(app) -> None:
    from fastapi.responses import JSONResponse

    async def replay(_request, exc: Replayed):
        return JSONResponse(exc.body, status_code=exc.status, headers={REPLAYED_HEADER: "true"})

    app.add_exception_handler(Replayed, replay)
