"""Users: the logic and SQL of the domain. Routes call these; nothing here sees a request."""
from __future__ import annotations

import uuid
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from shared.auth import Principal
from shared.database import Connection, Database, IntegrityViolation, utc_now_iso
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from shared.outbox import enqueue

from .models import UserCreate, UserPublic, UserUpdate

OUTBOX = "user_outbox"
DEFAULT_USERS = (
    ("admin@example.com", "Admin User", "admin", "admin123"),
    ("faculty@example.com", "Faculty User", "faculty", "faculty123"),
    ("student@example.com", "Student User", "student", "student123"),
)
COLUMNS = "id, email, name, role, created_at, updated_at"
# Checked against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def public(row: dict[str, Any]) -> dict[str, Any]:
    return UserPublic(**{k: row[k] for k in UserPublic.model_fields}).model_dump()


def seed_default_users(db: Database) -> None:
    """Create the three default accounts on first start (an empty users table)."""
    with db.connection() as conn:
        if conn.execute("SELECT COUNT(*) AS n FROM users").scalar():
            return
        now = utc_now_iso()
        for email, name, role, password in DEFAULT_USERS:
            conn.execute(
                "INSERT INTO users (id, email, email_key, name, role, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email_key) DO NOTHING",
                (str(uuid.uuid4()), email, email.lower(), name, role, generate_password_hash(password), now, now))


def _get_row(conn: Connection, user_id: str) -> dict[str, Any]:
    row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
    if row is None:
        raise NotFound(f"No user with id {user_id}.")
    return row


def list_users(db: Database, page: int, per_page: int, role: str | None = None) -> dict[str, Any]:
    where, params = ("WHERE role = ?", [role]) if role else ("", [])
    with db.connection(readonly=True) as conn:
        total = conn.execute(f"SELECT COUNT(*) AS n FROM users {where}", params).scalar()
        rows = conn.execute(f"SELECT {COLUMNS} FROM users {where} ORDER BY created_at, id LIMIT ? OFFSET ?",
                            [*params, per_page, (page - 1) * per_page]).fetchall()
    return {"users": [public(r) for r in rows], "page": page, "per_page": per_page, "total": int(total),
            "pages": (int(total) + per_page - 1) // per_page}


def get_user(db: Database, user_id: str) -> dict[str, Any]:
    with db.connection(readonly=True) as conn:
        return public(_get_row(conn, user_id))


def create_user(db: Database, data: UserCreate) -> dict[str, Any]:
    now = utc_now_iso()
    user_id = str(uuid.uuid4())
    try:
        with db.connection() as conn:
            conn.execute(
                "INSERT INTO users (id, email, email_key, name, role, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (user_id, data.email, data.email.lower(), data.name, data.role,
                 generate_password_hash(data.password), now, now))
            enqueue(conn, OUTBOX, f"user-created:{user_id}", {
                "user_id": user_id, "type": "account",
                "title": "Welcome to Campus Services Hub",
                "body": f"Your {data.role} account for {data.email} is ready."})
            return public(_get_row(conn, user_id))
    except IntegrityViolation as exc:
        if exc.kind == "unique":
            raise Conflict(f"A user with email {data.email} already exists.", code="email_taken") from None
        raise


def _admins_other_than(conn: Connection, user_id: str) -> int:
    lock = " FOR UPDATE" if conn.kind == "postgresql" else ""
    rows = conn.execute(f"SELECT id FROM users WHERE role = 'admin'{lock}").fetchall()
    return sum(1 for r in rows if r["id"] != user_id)


def update_user(db: Database, user_id: str, data: UserUpdate, actor: Principal) -> dict[str, Any]:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    changes.pop("current_password", None)
    if not changes:
        raise ValidationFailed("Nothing to change: send name, email, role or password.")
    if not actor.is_privileged:
        forbidden = set(changes) - {"name", "password"}
        if forbidden:
            raise Forbidden(f"You may change only your own name and password, not {', '.join(sorted(forbidden))}.")
    try:
        with db.connection() as conn:
            row = _get_row(conn, user_id)
            if "password" in changes and not actor.is_privileged:
                if not data.current_password or not check_password_hash(row["password_hash"], data.current_password):
                    raise Forbidden("Give your current password to set a new one.", code="wrong_password")
            if changes.get("role") not in (None, "admin") and row["role"] == "admin":
                if _admins_other_than(conn, user_id) == 0:
                    raise Conflict("This is the last admin; make someone else admin first.", code="last_admin")
            sets, params = [], []
            for field in ("name", "email", "role"):
                if field in changes:
                    sets.append(f"{field} = ?")
                    params.append(changes[field])
            if "email" in changes:
                sets.append("email_key = ?")
                params.append(changes["email"].lower())
            if "password" in changes:
                sets.append("password_hash = ?")
                params.append(generate_password_hash(changes["password"]))
            now = utc_now_iso()
            sets.append("updated_at = ?")
            params.append(now)
            conn.execute(f"UPDATE users SET {', '.join(sets)} WHERE id = ?", [*params, user_id])
            if "role" in changes and changes["role"] != row["role"]:
                enqueue(conn, OUTBOX, f"user-role:{user_id}:{now}", {
                    "user_id": user_id, "type": "account", "title": "Your role has changed",
                    "body": f"Your role is now {changes['role']} (was {row['role']})."})
            return public(_get_row(conn, user_id))
    except IntegrityViolation as exc:
        if exc.kind == "unique":
            raise Conflict(f"A user with email {changes.get('email')} already exists.", code="email_taken") from None
        raise


def delete_user(db: Database, user_id: str) -> None:
    with db.connection() as conn:
        row = _get_row(conn, user_id)
        if row["role"] == "admin" and _admins_other_than(conn, user_id) == 0:
            raise Conflict("This is the last admin and cannot be deleted.", code="last_admin")
        conn.execute("DELETE FROM users WHERE id = ?", (user_id,))


def verify_credentials(db: Database, email: str, password: str) -> dict[str, Any]:
    with db.connection(readonly=True) as conn:
        row = conn.execute("SELECT * FROM users WHERE email_key = ?", (email.strip().lower(),)).fetchone()
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized("Invalid email or password.", code="invalid_credentials")
    if not check_password_hash(row["password_hash"], password):
        raise Unauthorized("Invalid email or password.", code="invalid_credentials")
    return public(row)
