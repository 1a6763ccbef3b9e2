"""Users in bulk: import from CSV (a dry run first), export as CSV, search.

A file has a header row naming the columns email, name and role (any order, any case;
role may be blank: the default role), then up to MAX_ROWS rows. `check` is the dry run:
every bad row by its line number in the file with the reason (a bad e-mail, an empty
name, an unknown role, a duplicate of an earlier line, an account that already exists).
`start_import` imports the good rows in a background thread, one transaction per
CHUNK rows, recording progress in user_imports; a row whose address has an account by
then is skipped (ON CONFLICT DO NOTHING), so importing a file twice creates nobody twice.
Imported accounts get no password (an unusable hash): people sign in through single
sign-on, or choose one with "Forgot password" (password_reset.py).
"""
from __future__ import annotations

import csv
import io
import logging
import threading
import uuid
from dataclasses import dataclass
from typing import Any, Iterator

from shared.accounts import normalize_email
from shared.auth import DEFAULT_ROLE, ROLES, Principal
from shared.database import Database, utc_now_iso
from shared.errors import NotFound, ValidationFailed

from .models import ImportJob, ImportProblem, ImportReport, _email, _name
from .passwords import NO_PASSWORD

logger = logging.getLogger(__name__)

MAX_ROWS = 50_000
CHUNK = 1_000
STATEMENT_ROWS = 250   # rows per INSERT statement (8 parameters each: well inside SQLite's limit)
COLUMNS = ("email", "name", "role")
EXPORT_COLUMNS = ("email", "name", "role", "created_at")
MAX_REPORTED = 1_000   # problems listed in one answer (all are counted)


@dataclass(frozen=True)
class Row:
    line: int
    email: str
    name: str
    role: str

    @property
    def key(self) -> str:
        return normalize_email(self.email)


def _lines(text: str) -> Iterator[tuple[int, dict[str, str]]]:
    text = text.lstrip("\ufeff")
    reader = csv.reader(io.StringIO(text))
    header = next(reader, None)
    names = [h.strip().lower() for h in header] if header else []
    missing = [c for c in COLUMNS if c not in names and c != "role"]
    if missing:
        message = (f"The first line must name the columns email, name and role; {', '.join(missing)} "
                   f"{'is' if len(missing) == 1 else 'are'} missing.")
        raise ValidationFailed(message, code="bad_csv_header", details=[{"field": "csv", "message": message}])
    index = {c: names.index(c) for c in COLUMNS if c in names}
    rows = 0
    for cells in reader:
        if not any(cell.strip() for cell in cells):
            continue
        rows += 1
        if rows > MAX_ROWS:
            message = f"A file may have at most {MAX_ROWS:,} rows; split it."
            raise ValidationFailed(message, code="too_many_rows", details=[{"field": "csv", "message": message}])
        yield reader.line_num, {c: (cells[i].strip() if i < len(cells) else "") for c, i in index.items()}


def parse(text: str) -> tuple[list[Row], list[dict[str, Any]], int]:
    """The rows that are good on their own, the problems of the others, and the number of rows."""
    good, problems, seen, total = [], [], {}, 0
    for line, cells in _lines(text):
        total += 1
        email, name, role = cells.get("email", ""), cells.get("name", ""), cells.get("role", "") or DEFAULT_ROLE
        reason = None
        try:
            email = _email(email)
        except ValueError:
            reason = f"bad e-mail {email!r}" if email else "the e-mail is empty"
        if reason is None:
            try:
                name = _name(name)
                if len(name) > 100:
                    reason = "the name is longer than 100 characters"
            except ValueError:
                reason = "the name is empty"
        if reason is None and role.lower() not in ROLES:
            reason = f"unknown role {role!r} (roles: {', '.join(ROLES)})"
        if reason is None:
            key = normalize_email(email)
            if key in seen:
                reason = f"duplicate in the file: the same e-mail as line {seen[key]}"
            else:
                seen[key] = line
        if reason:
            problems.append({"line": line, "email": email, "reason": reason})
        else:
            good.append(Row(line, email, name, role.lower()))
    return good, problems, total


def _existing(db: Database, rows: list[Row]) -> set[str]:
    found: set[str] = set()
    with db.connection(readonly=True) as conn:
        for start in range(0, len(rows), CHUNK):
            keys = [r.key for r in rows[start:start + CHUNK]]
            marks = ", ".join("?" for _ in keys)
            found |= {r["email_key"] for r in conn.execute(
                f"SELECT email_key FROM users WHERE email_key IN ({marks})", keys).fetchall()}
    return found


def check(db: Database, text: str) -> dict[str, Any]:
    """The dry run: nothing is written."""
    good, problems, total = parse(text)
    existing = _existing(db, good)
    problems += [{"line": r.line, "email": r.email, "reason": "already exists: an account has this e-mail"}
                 for r in good if r.key in existing]
    problems.sort(key=lambda p: p["line"])
    new = sum(1 for r in good if r.key not in existing)
    return ImportReport(rows=total, new=new, problem_count=len(problems),
                        problems=[ImportProblem(**p) for p in problems[:MAX_REPORTED]]).model_dump()


def _job(row: dict[str, Any]) -> dict[str, Any]:
    return ImportJob(**{k: row[k] for k in ImportJob.model_fields}).model_dump()


def start_import(db: Database, text: str, actor: Principal, background: bool = True) -> dict[str, Any]:
    """Check the file, record the job, import its good rows (in a thread unless background=False)."""
    good, problems, total = parse(text)
    job_id = str(uuid.uuid4())
    now = utc_now_iso()
    with db.connection() as conn:
        conn.execute("INSERT INTO user_imports (id, status, total, importable, done, created, skipped, created_by, "
                     "created_at, updated_at) VALUES (?, 'running', ?, ?, 0, 0, ?, ?, ?, ?)",
                     (job_id, total, len(good), len(problems), actor.id, now, now))
    if background:
        threading.Thread(target=_run, args=(db, job_id, good), name=f"user-import-{job_id[:8]}", daemon=True).start()
    else:
        _run(db, job_id, good)
    return get_job(db, job_id)


def _run(db: Database, job_id: str, rows: list[Row]) -> None:
    try:
        for start in range(0, len(rows), CHUNK):
            import_chunk(db, job_id, rows[start:start + CHUNK])
        status, error = "done", None
    except Exception as exc:  # noqa: BLE001 - recorded on the job; a rerun is safe (idempotent)
        logger.exception("user import %s failed", job_id)
        status, error = "failed", f"{exc.__class__.__name__}: {str(exc)[:200]}"
    with db.connection() as conn:
        conn.execute("UPDATE user_imports SET status = ?, error = ?, updated_at = ? WHERE id = ?",
                     (status, error, utc_now_iso(), job_id))


def import_chunk(db: Database, job_id: str, rows: list[Row]) -> int:
    """One transaction: these rows (those whose address is free) and the job's progress."""
    now = utc_now_iso()
    with db.connection() as conn:
        created = 0
        for start in range(0, len(rows), STATEMENT_ROWS):
            part = rows[start:start + STATEMENT_ROWS]
            values = ", ".join("(?, ?, ?, ?, ?, ?, ?, ?)" for _ in part)
            params = [v for row in part
                      for v in (str(uuid.uuid4()), row.email, row.key, row.name, row.role, NO_PASSWORD, now, now)]
            created += conn.execute(
                "INSERT INTO users (id, email, email_key, name, role, password_hash, created_at, updated_at) "
                f"VALUES {values} ON CONFLICT (email_key) DO NOTHING", params).rowcount
        conn.execute("UPDATE user_imports SET done = done + ?, created = created + ?, skipped = skipped + ?, "
                     "updated_at = ? WHERE id = ?", (len(rows), created, len(rows) - created, now, job_id))
    return created


def get_job(db: Database, job_id: str) -> dict[str, Any]:
    with db.connection(readonly=True) as conn:
        row = conn.execute("SELECT * FROM user_imports WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise NotFound(f"No import {job_id}.")
    return _job(row)


def _cell(value: str) -> str:
    """A spreadsheet must not read a name as a formula (CSV injection)."""
    return "'" + value if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value


def export(db: Database) -> Iterator[str]:
    """Every user as CSV (the import's columns, plus created_at), read a page at a time."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    yield out.getvalue()
    last = ("", "")
    while True:
        with db.connection(readonly=True) as conn:
            rows = conn.execute("SELECT id, email, name, role, created_at FROM users "
                                "WHERE created_at > ? OR (created_at = ? AND id > ?) ORDER BY created_at, id LIMIT ?",
                                (last[0], last[0], last[1], CHUNK)).fetchall()
        if not rows:
            return
        out.seek(0)
        out.truncate()
        for row in rows:
            writer.writerow([_cell(str(row[c])) for c in EXPORT_COLUMNS])
        yield out.getvalue()
        last = (rows[-1]["created_at"], rows[-1]["id"])
