"""Text search over a ticket's title, description and location (the queue's `q`).

PostgreSQL: full-text search (english stemming) over one tsvector expression, with a GIN
index on exactly that expression so the planner uses it. SQLite: an FTS5 table over the
same three columns (porter stemming), an external-content index of `tickets` that
triggers keep in step with every insert, update and delete. Each word of the query must
occur, as a word or the start of one ("proj" finds "projector"), in any of the three.
"""
from __future__ import annotations

import re

from shared.database import Connection

PG_DOCUMENT = "to_tsvector('english', title || ' ' || description || ' ' || coalesce(location, ''))"
PG_DDL = f"CREATE INDEX IF NOT EXISTS idx_tickets_search ON tickets USING GIN (({PG_DOCUMENT}))"
_ROW = "(rowid, title, description, location) VALUES (new.id, new.title, new.description, new.location)"
_GONE = ("(tickets_fts, rowid, title, description, location) "
         "VALUES ('delete', old.id, old.title, old.description, old.location)")
# One statement each (run inside the start-up transaction, not as a script).
SQLITE_DDL = (
    "CREATE VIRTUAL TABLE tickets_fts USING fts5(title, description, location, content='tickets', "
    "content_rowid='id', tokenize='porter unicode61')",
    f"CREATE TRIGGER tickets_fts_insert AFTER INSERT ON tickets BEGIN INSERT INTO tickets_fts {_ROW}; END",
    f"CREATE TRIGGER tickets_fts_delete AFTER DELETE ON tickets BEGIN INSERT INTO tickets_fts {_GONE}; END",
    "CREATE TRIGGER tickets_fts_update AFTER UPDATE OF title, description, location ON tickets BEGIN "
    f"INSERT INTO tickets_fts {_GONE}; INSERT INTO tickets_fts {_ROW}; END",
    "INSERT INTO tickets_fts (tickets_fts) VALUES ('rebuild')",
)
MAX_WORDS = 10
_WORD = re.compile(r"[^\W_]+")


def install(conn: Connection) -> None:
    """Create the index (and on SQLite fill it from the tickets already there); idempotent."""
    if conn.kind == "postgresql":
        conn.execute(PG_DDL)
        return
    exists = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'tickets_fts'").fetchone()
    if exists is None:
        for statement in SQLITE_DDL:
            conn.execute(statement)


def words(query: str) -> list[str]:
    """The words of a query (letters and digits only: no operator of either search syntax
    survives), lower-cased, at most MAX_WORDS of at most 50 characters."""
    return [w[:50] for w in _WORD.findall(query.lower())][:MAX_WORDS]


def condition(kind: str, query: str) -> tuple[str, list[str]]:
    """A WHERE condition on `tickets` that holds for the tickets matching `query`, and its
    parameter. A query without a word matches nothing."""
    found = words(query)
    if not found:
        return "1 = 0", []
    if kind == "postgresql":
        return f"{PG_DOCUMENT} @@ to_tsquery('english', ?)", [" & ".join(f"{w}:*" for w in found)]
    return ("id IN (SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ?)",
            [" ".join(f'"{w}"*' for w in found)])
