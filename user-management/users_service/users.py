"""Users: the logic and SQL of the domain. Routes call these; nothing here sees a request."""
from __future__ import annotations

import logging
import secrets
import uuid
from typing import Any

from werkzeug.security import check_password_hash, generate_password_hash

from shared.accounts import DEFAULT_USERS, FIRST_ADMIN_EMAIL, clean_email, normalize_email
from shared.auth import Principal
from shared.config import ConfigError, Settings
from shared.database import Connection, Database, IntegrityViolation, utc_now_iso
from shared.errors import Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from shared.outbox import enqueue

from . import sessions
from .models import EMAIL, PasswordChange, SessionsEnded, UserCreate, UserPage, UserPublic, UserUpdate
from .passwords import password_problem

logger = logging.getLogger(__name__)
OUTBOX = "user_outbox"
COLUMNS = "id, email, name, role, created_at, updated_at"
# Checked against when the email is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not-a-real-password")
ADMIN_PASSWORD_MIN_LENGTH = 12
_PG_SEED_LOCK = 727275  # serialises start-up migrations and seeding across workers and replicas


def public(row: dict[str, Any]) -> dict[str, Any]:
    return UserPublic(**{k: row[k] for k in UserPublic.model_fields}).model_dump()


def migrate_users(db: Database) -> None:
    """Bring a users table from an earlier version up to date (at every start; cheap when
    there is nothing to do): the must_change_password column, and email_key recomputed
    with shared.accounts.normalize_email (it used to be email.lower())."""
    with db.connection() as conn:
        if conn.kind == "postgresql":
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_PG_SEED_LOCK,))
            columns = conn.execute("SELECT column_name AS name FROM information_schema.columns "
                                   "WHERE table_name = 'users' AND table_schema = current_schema()").fetchall()
        else:
            columns = conn.execute("PRAGMA table_info(users)").fetchall()
        if not any(c["name"] == "must_change_password" for c in columns):
            conn.execute("ALTER TABLE users ADD COLUMN must_change_password BOOLEAN NOT NULL DEFAULT FALSE")
        rows = conn.execute("SELECT id, email, email_key FROM users").fetchall()
    for row in rows:
        key = normalize_email(row["email"])
        if key == row["email_key"]:
            continue
        try:
            with db.connection() as conn:
                conn.execute("UPDATE users SET email_key = ? WHERE id = ? AND email_key = ?",
                             (key, row["id"], row["email_key"]))
        except IntegrityViolation:
            logger.warning("user %s: email %r is the same account as another user's once normalised; "
                           "its key was left as it was (merge or rename one of them)", row["id"], row["email"])


def seed_first_users(db: Database) -> None:
    """Development and testing: the three default accounts on first start. Production:
    no default accounts, only a first admin when there is no admin (_seed_first_admin)."""
    if db.settings.is_production:
        _seed_first_admin(db)
        return
    with db.connection() as conn:
        if conn.execute("SELECT COUNT(*) AS n FROM users").scalar():
            return
        now = utc_now_iso()
        for email, name, role, password in DEFAULT_USERS:
            conn.execute(
                "INSERT INTO users (id, email, email_key, name, role, password_hash, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email_key) DO NOTHING",
                (str(uuid.uuid4()), email, normalize_email(email), name, role, generate_password_hash(password),
                 now, now))


def first_admin_settings(settings: Settings) -> tuple[str, str | None]:
    """ADMIN_EMAIL and ADMIN_PASSWORD, checked (ConfigError stops the service)."""
    env = settings.env
    email = clean_email(env.str("ADMIN_EMAIL") or FIRST_ADMIN_EMAIL)
    if not EMAIL.match(email):
        raise ConfigError(f"ADMIN_EMAIL must be an email address, got {email!r}")
    password = env.str("ADMIN_PASSWORD")
    if password is not None:
        if len(password) < ADMIN_PASSWORD_MIN_LENGTH:
            raise ConfigError(f"ADMIN_PASSWORD must be at least {ADMIN_PASSWORD_MIN_LENGTH} characters long "
                              "(or leave it unset: the first admin then gets a one-time password, "
                              "printed once to this service's log)")
        problem = password_problem(password)
        if problem:
            raise ConfigError(f"ADMIN_PASSWORD {problem}")
    return email, password


def _seed_first_admin(db: Database) -> None:
    """The first admin of a production install, when no admin exists: ADMIN_EMAIL with
    ADMIN_PASSWORD, or with a random one-time password that is printed once to the log
    and must be changed before the account can sign in (must_change_password)."""
    email, password = first_admin_settings(db.settings)
    one_time = password is None
    if one_time:
        password = secrets.token_urlsafe(12)
    with db.connection() as conn:
        if conn.kind == "postgresql":        # workers and replicas start together: one admin
            conn.execute("SELECT pg_advisory_xact_lock(?)", (_PG_SEED_LOCK,))
        if conn.execute("SELECT id FROM users WHERE role = 'admin' LIMIT 1").fetchone():
            return
        now = utc_now_iso()
        created = conn.execute(
            "INSERT INTO users (id, email, email_key, name, role, password_hash, must_change_password, "
            "created_at, updated_at) VALUES (?, ?, ?, ?, 'admin', ?, ?, ?, ?) ON CONFLICT (email_key) DO NOTHING",
            (str(uuid.uuid4()), email, normalize_email(email), "Administrator", generate_password_hash(password),
             one_time, now, now)).rowcount
    if not created:
        logger.error("No admin exists, and ADMIN_EMAIL %s belongs to a user who is not an admin: no admin "
                     "was created. Set ADMIN_EMAIL to an address nobody uses yet.", email)
    elif one_time:
        # The one password this platform ever logs, on purpose: it is the only way the
        # deployer learns it, and it stops working at the first sign-in.
        logger.warning("FIRST ADMIN created: %s with the one-time password %s -- sign in with it and "
                       "choose a new password (the sign-in page asks; or POST /auth/change-password). "
                       "Set ADMIN_EMAIL and ADMIN_PASSWORD to choose them yourself.", email, password)
    else:
        logger.warning("FIRST ADMIN created: %s with the password from ADMIN_PASSWORD.", email)


def _get_row(conn: Connection, user_id: str, lock: bool = False) -> dict[str, Any]:
    """lock: the caller changes the user in this transaction (PostgreSQL locks the row)."""
    row = conn.execute(f"SELECT * FROM users WHERE id = ?{conn.for_update() if lock else ''}", (user_id,)).fetchone()
    if row is None:
        raise NotFound(f"No user with id {user_id}.")
    return row


def list_users(db: Database, page: int, per_page: int, role: str | None = None,
               search: str | None = None) -> dict[str, Any]:
    """A page of users; search: a part of the name or e-mail (any case)."""
    clauses, params = (["role = ?"], [role]) if role else ([], [])
    if search:
        pattern = "%" + search.casefold().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        clauses.append("(LOWER(name) LIKE ? ESCAPE '\\' OR email_key LIKE ? ESCAPE '\\')")
        params += [pattern, pattern]
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with db.connection(readonly=True) as conn:
        total = conn.execute(f"SELECT COUNT(*) AS n FROM users {where}", params).scalar()
        rows = conn.execute(f"SELECT {COLUMNS} FROM users {where} ORDER BY created_at, id LIMIT ? OFFSET ?",
                            [*params, per_page, (page - 1) * per_page]).fetchall()
    return UserPage(users=[public(r) for r in rows], page=page, per_page=per_page, total=int(total),
                    pages=(int(total) + per_page - 1) // per_page).model_dump()


def current_role(db: Database, user_id: str) -> str | None:
    with db.connection(readonly=True) as conn:
        row = conn.execute("SELECT role FROM users WHERE id = ?", (user_id,)).fetchone()
    return None if row is None else row["role"]


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
                (user_id, data.email, normalize_email(data.email), data.name, data.role,
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
    rows = conn.execute(f"SELECT id FROM users WHERE role = 'admin'{conn.for_update()}").fetchall()
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
            # Read what is changed under its row lock, so two concurrent changes cannot both
            # start from the old role (and skip ending sessions). A role change locks the
            # admins first, then the user: every transaction taking both takes them in that
            # order (delete_user too), so they queue instead of deadlocking.
            admins_besides = _admins_other_than(conn, user_id) if "role" in changes else None
            row = _get_row(conn, user_id, lock=True)
            if "password" in changes and not actor.is_privileged:
                if not data.current_password or not check_password_hash(row["password_hash"], data.current_password):
                    raise Forbidden("Give your current password to set a new one.", code="wrong_password")
            if changes.get("role") not in (None, "admin") and row["role"] == "admin":
                if admins_besides == 0:
                    raise Conflict("This is the last admin; make someone else admin first.", code="last_admin")
            sets, params = [], []
            for field in ("name", "email", "role"):
                if field in changes:
                    sets.append(f"{field} = ?")
                    params.append(changes[field])
            if "email" in changes:
                sets.append("email_key = ?")
                params.append(normalize_email(changes["email"]))
            if "password" in changes:
                sets += ["password_hash = ?", "must_change_password = ?"]
                params += [generate_password_hash(changes["password"]), False]
            now = utc_now_iso()
            sets.append("updated_at = ?")
            params.append(now)
            conn.execute(f"UPDATE users SET {', '.join(sets)} WHERE id = ?", [*params, user_id])
            ended = _facts_changed(row, changes)
            if ended:
                sessions.end_sessions(conn, db.settings, user_id, ended)
            if "role" in changes and changes["role"] != row["role"]:
                enqueue(conn, OUTBOX, f"user-role:{user_id}:{now}", {
                    "user_id": user_id, "type": "account", "title": "Your role has changed",
                    "body": f"Your role is now {changes['role']} (was {row['role']})."})
            return public(_get_row(conn, user_id))
    except IntegrityViolation as exc:
        if exc.kind == "unique":
            raise Conflict(f"A user with email {changes.get('email')} already exists.", code="email_taken") from None
        raise


def _facts_changed(row: dict[str, Any], changes: dict[str, Any]) -> str | None:
    """Why the user's earlier tokens must stop working, or None: a token carries the role
    and email, and a new password must shut out whoever knew the old one."""
    if "password" in changes:
        return "password_changed"
    for field in ("role", "email"):
        if field in changes and changes[field] != row[field]:
            return f"{field}_changed"
    return None


def end_all_sessions(db: Database, user_id: str) -> dict[str, Any]:
    """Sign a user out everywhere (admin, or the user themself)."""
    with db.connection() as conn:
        _get_row(conn, user_id)
        not_before = sessions.end_sessions(conn, db.settings, user_id, "signed_out_everywhere")
    return SessionsEnded(user_id=user_id, sessions_ended_before=not_before).model_dump()


def delete_user(db: Database, user_id: str) -> None:
    with db.connection() as conn:
        row = _get_row(conn, user_id)
        if row["role"] == "admin" and _admins_other_than(conn, user_id) == 0:
            raise Conflict("This is the last admin and cannot be deleted.", code="last_admin")
        conn.execute("DELETE FROM users WHERE id = ?", (user_id,))
        sessions.end_sessions(conn, db.settings, user_id, "deleted")


def _user_by_email(db: Database, email: str) -> dict[str, Any] | None:
    with db.connection(readonly=True) as conn:
        return conn.execute("SELECT * FROM users WHERE email_key = ?", (normalize_email(email),)).fetchone()


def _check_password(row: dict[str, Any] | None, password: str) -> dict[str, Any]:
    if row is None:
        check_password_hash(_DUMMY_HASH, password)
        raise Unauthorized("Invalid email or password.", code="invalid_credentials")
    if not check_password_hash(row["password_hash"], password):
        raise Unauthorized("Invalid email or password.", code="invalid_credentials")
    return row


def verify_credentials(db: Database, email: str, password: str) -> dict[str, Any]:
    row = _check_password(_user_by_email(db, email), password)
    if row["must_change_password"]:
        # Said only to someone who knows the password: it is no secret from them.
        raise Forbidden("This password was for one sign-in only: choose a new password to continue.",
                        code="password_change_required")
    return public(row)


def change_password(db: Database, data: PasswordChange) -> dict[str, Any]:
    """A new password from someone who proves the current one (no token needed): how the
    first admin replaces a one-time password. Earlier tokens of the user stop working."""
    row = _check_password(_user_by_email(db, data.email), data.current_password)
    if data.password == data.current_password:
        raise ValidationFailed(details=[{"field": "password", "message": "must differ from the current password"}])
    with db.connection() as conn:
        changed = conn.execute(
            "UPDATE users SET password_hash = ?, must_change_password = ?, updated_at = ? "
            "WHERE id = ? AND password_hash = ?",
            (generate_password_hash(data.password), False, utc_now_iso(), row["id"], row["password_hash"])).rowcount
        if not changed:   # changed or deleted meanwhile: the current password is no longer that
            raise Unauthorized("Invalid email or password.", code="invalid_credentials")
        sessions.end_sessions(conn, db.settings, row["id"], "password_changed")
        return public(_get_row(conn, row["id"]))
