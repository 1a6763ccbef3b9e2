"""Calendar subscriptions: a secret URL per user that calendar apps (Google Calendar,
Outlook, Apple Calendar) poll without a Bearer token.

The token in the URL is HMAC-SHA256(secret, "booking-feed:<user>:<nonce>"), where the nonce
is random (secrets.token_urlsafe) and kept per user; the database keeps only the nonce and
the token's SHA-256, which is what a request is looked up by. So the owner can be shown
the same URL again, a copy of the table alone opens no feed, and a reset (a new nonce)
ends the old URL at once."""
from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from shared.database import Database, utc_now_iso
from shared.errors import NotFound

FEED_PATH = "/bookings/feed/{token}.ics"


def _token(secret: str, user_id: str, nonce: str) -> str:
    digest = hmac.new(secret.encode(), f"booking-feed:{user_id}:{nonce}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def feed_token(db: Database, secret: str, user_id: str, reset: bool = False) -> str:
    """The caller's token, made on first use; reset=True replaces it (the old URL stops working)."""
    nonce = secrets.token_urlsafe(24)
    token = _token(secret, user_id, nonce)
    with db.connection() as conn:
        row = conn.execute(f"SELECT nonce FROM booking_feeds WHERE user_id = ?{conn.for_update()}",
                           (user_id,)).fetchone()
        if row is not None and not reset:
            return _token(secret, user_id, row["nonce"])
        if row is not None:
            conn.execute("UPDATE booking_feeds SET nonce = ?, token_hash = ?, created_at = ? WHERE user_id = ?",
                         (nonce, _hash(token), utc_now_iso(), user_id))
            return token
        made = conn.execute("INSERT INTO booking_feeds (user_id, nonce, token_hash, created_at) VALUES (?, ?, ?, ?) "
                            "ON CONFLICT (user_id) DO NOTHING RETURNING user_id",
                            (user_id, nonce, _hash(token), utc_now_iso())).fetchone()
        if made is not None:
            return token
        # A parallel first request made it meanwhile: answer that one.
        row = conn.execute("SELECT nonce FROM booking_feeds WHERE user_id = ?", (user_id,)).fetchone()
        return _token(secret, user_id, row["nonce"])


def feed_owner(db: Database, token: str) -> str:
    """The user whose feed this token opens; 404 for an unknown or reset token."""
    with db.connection(readonly=True) as conn:
        row = conn.execute("SELECT user_id FROM booking_feeds WHERE token_hash = ?", (_hash(token),)).fetchone()
    if row is None:
        raise NotFound("No calendar feed at this address (it may have been reset).", code="feed_not_found")
    return row["user_id"]
