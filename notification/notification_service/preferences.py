"""Who wants what e-mailed: per person, per kind of notification.

A notification's kind follows from its type (KIND_OF_TYPE; any other type is an
announcement). For each kind a person chooses one mode: "in_app" (the feed only),
"email" (the feed and an e-mail each time) or "digest" (the feed, and one e-mail a day
with everything of the kinds so chosen, at DIGEST_HOUR in the campus zone). An admin's
notification marked important is e-mailed whatever was chosen.
"""
from __future__ import annotations

from typing import Any

from shared.database import Connection, Database, utc_now_iso

KINDS = ("bookings", "tickets", "account", "announcements")
MODES = ("in_app", "email", "digest")
KIND_OF_TYPE = {"booking": "bookings", "maintenance": "tickets", "ticket": "tickets", "account": "account"}
# Without a choice: what concerns the person alone is e-mailed; announcements come in the digest.
DEFAULTS = {"bookings": "email", "tickets": "email", "account": "email", "announcements": "digest"}


def kind_of(notification_type: str) -> str:
    return KIND_OF_TYPE.get(notification_type, "announcements")


def of_user(db: Database, user_id: str) -> dict[str, str]:
    with db.connection(readonly=True) as conn:
        return modes(conn, [user_id])[user_id]


def modes(conn: Connection, user_ids: list[str]) -> dict[str, dict[str, str]]:
    """Each user's mode per kind, defaults filled in."""
    chosen: dict[str, dict[str, str]] = {user_id: dict(DEFAULTS) for user_id in user_ids}
    for start in range(0, len(user_ids), 500):
        part = user_ids[start:start + 500]
        marks = ", ".join("?" for _ in part)
        for row in conn.execute(f"SELECT user_id, kind, mode FROM notification_preferences "
                                f"WHERE user_id IN ({marks})", part).fetchall():
            if row["kind"] in DEFAULTS:
                chosen[row["user_id"]][row["kind"]] = row["mode"]
    return chosen


def update(db: Database, user_id: str, changes: dict[str, Any]) -> dict[str, str]:
    """Set the modes given (kind -> mode); the others stay."""
    now = utc_now_iso()
    with db.connection() as conn:
        for kind, mode in changes.items():
            conn.execute("INSERT INTO notification_preferences (user_id, kind, mode, updated_at) VALUES (?, ?, ?, ?) "
                         "ON CONFLICT (user_id, kind) DO UPDATE SET mode = excluded.mode, "
                         "updated_at = excluded.updated_at", (user_id, kind, mode, now))
        return modes(conn, [user_id])[user_id]
