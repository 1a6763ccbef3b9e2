"""Accounts of people who sign in through the university's identity provider.

The gateway verifies the provider's ID token (gateway_app/oidc.py) and asks here for the
account: found by the provider's (issuer, subject), which never changes, even when the
person's address does; else, on a first sign-in, an existing account with the same
address is linked, or one is created (just in time) without a password. When the
gateway sends a role (OIDC_ROLE_CLAIM is configured), the account gets it at every
sign-in; a change goes through `users.update_user`, so earlier sessions end and the
person is told, exactly as when an admin changes a role.

The break-glass admin (shared.accounts.break_glass_email) is never linked to a provider
identity: it must stay a local account that the provider cannot take over or demote.
"""
from __future__ import annotations

import logging
import uuid
from typing import Any

from shared.accounts import break_glass_email, normalize_email
from shared.auth import DEFAULT_ROLE, Principal
from shared.database import Connection, Database, IntegrityViolation, utc_now_iso
from shared.errors import Conflict
from shared.outbox import enqueue

from . import users
from .models import IdentitySignIn, UserUpdate
from .passwords import NO_PASSWORD

logger = logging.getLogger(__name__)


def _linked_user(conn: Connection, issuer: str, subject: str) -> dict[str, Any] | None:
    return conn.execute("SELECT u.* FROM user_identities i JOIN users u ON u.id = i.user_id "
                        "WHERE i.issuer = ? AND i.subject = ?", (issuer, subject)).fetchone()


def _link_or_create(db: Database, data: IdentitySignIn) -> tuple[dict[str, Any], bool]:
    """(the account, whether it was created now)."""
    now = utc_now_iso()
    with db.connection() as conn:
        row = _linked_user(conn, data.issuer, data.subject)
        if row is not None:
            conn.execute("UPDATE user_identities SET last_sign_in_at = ? WHERE issuer = ? AND subject = ?",
                         (now, data.issuer, data.subject))
            return row, False
        key = normalize_email(data.email)
        row = conn.execute(f"SELECT * FROM users WHERE email_key = ?{conn.for_update()}", (key,)).fetchone()
        created = row is None
        if row is not None:
            if key == break_glass_email(db.settings):
                raise Conflict("This address belongs to the break-glass administrator, a local account that "
                               "single sign-on may not take over.", code="break_glass_account")
            if data.email_verified is False:
                raise Conflict("An account with this address exists, and the identity provider has not "
                               "verified the address, so it is not linked.", code="email_unverified")
        else:
            user_id = str(uuid.uuid4())
            role = data.role or DEFAULT_ROLE
            conn.execute("INSERT INTO users (id, email, email_key, name, role, password_hash, created_at, "
                         "updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (user_id, data.email, key, data.name, role, NO_PASSWORD, now, now))
            enqueue(conn, users.OUTBOX, f"user-created:{user_id}", {
                "user_id": user_id, "type": "account", "title": "Welcome to Campus Services Hub",
                "body": f"Your {role} account for {data.email} is ready; sign in with single sign-on."})
            row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        conn.execute("INSERT INTO user_identities (issuer, subject, user_id, created_at, last_sign_in_at) "
                     "VALUES (?, ?, ?, ?, ?)", (data.issuer, data.subject, row["id"], now, now))
        return row, created


def sign_in(db: Database, data: IdentitySignIn, actor: Principal) -> dict[str, Any]:
    """Find or create the account of a provider identity and bring its role and name up
    to date. Returns the account as UserPublic."""
    try:
        row, created = _link_or_create(db, data)
    except IntegrityViolation as exc:
        if exc.kind != "unique":
            raise
        # The same person's first sign-in twice at once (the identity), or an account made
        # meanwhile with this address: the second attempt now finds what the first made.
        row, created = _link_or_create(db, data)
    changes: dict[str, Any] = {}
    if data.role and data.role != row["role"]:
        changes["role"] = data.role
    if data.name != row["name"] and not created:
        changes["name"] = data.name
    if not changes:
        return users.public(row)
    if "role" in changes:
        logger.info("user %s: role %s -> %s from the identity provider", row["id"], row["role"], data.role)
    return users.update_user(db, row["id"], UserUpdate(**changes), actor)
