"""ticket_stats and ticket_days: the tickets added up, kept by the database itself.

ticket_stats holds, per (status, category, priority, department, classification method),
the count and sums of the measures tickets.py writes with each change (confidence,
needs_review, a possible duplicate, resolution and first-response hours, SLA met);
ticket_days the number of tickets filed per day. Triggers on `tickets` subtract a row's
old values from its group and add its new ones on every insert, update (of the columns
counted) and delete, in the writing transaction; so whoever writes tickets (the service,
a bulk load, an operator's SQL) the sums stay right, and GET /tickets/analytics reads a
few dozen rows instead of every ticket (analytics.py).

Locks (PostgreSQL): a write holds the rows it adds to until it commits. A one-ticket write
takes them in one order (its day, then its groups by key), so two such writes wait for
each other but never deadlock; a write of several tickets (a batch, a bulk status change)
first takes every row it will touch in that same order (`lock_groups`).

`install` creates the triggers and, the first time, fills both tables from the tickets
already there.
"""
from __future__ import annotations

from typing import Iterable

from shared.database import Connection

GROUP = ("status", "category", "priority", "department", "method")
MEASURES = ("n", "confidence", "needs_review", "duplicates", "resolved", "resolve_hours", "responded",
            "response_hours", "judged", "met")
# What one ticket row adds to its group, per measure ({r}: NEW or OLD).
_VALUES = ("{r}.status", "{r}.category", "{r}.priority", "{r}.department", "{r}.classification_method", "1",
           "{r}.confidence", "CASE WHEN {r}.needs_review THEN 1 ELSE 0 END",
           "CASE WHEN {r}.possible_duplicate_of IS NULL THEN 0 ELSE 1 END",
           "CASE WHEN {r}.resolution_hours IS NULL THEN 0 ELSE 1 END", "COALESCE({r}.resolution_hours, 0)",
           "CASE WHEN {r}.first_response_hours IS NULL THEN 0 ELSE 1 END", "COALESCE({r}.first_response_hours, 0)",
           "CASE WHEN {r}.sla_met IS NULL THEN 0 ELSE 1 END", "CASE WHEN {r}.sla_met THEN 1 ELSE 0 END")
COUNTED = ("status", "category", "priority", "department", "classification_method", "confidence", "needs_review",
           "possible_duplicate_of", "resolution_hours", "first_response_hours", "sla_met")
_KEY = "({r}.status, {r}.category, {r}.priority, {r}.department, {r}.classification_method)"


def _upsert(row: str, sign: int) -> str:
    values = [v.format(r=row) for v in _VALUES]
    if sign < 0:
        values = values[:len(GROUP)] + [f"-({v})" for v in values[len(GROUP):]]
    columns = ", ".join(GROUP + MEASURES)
    sums = ", ".join(f"{m} = ticket_stats.{m} + excluded.{m}" for m in MEASURES)
    return (f"INSERT INTO ticket_stats ({columns}) VALUES ({', '.join(values)}) "
            f"ON CONFLICT ({', '.join(GROUP)}) DO UPDATE SET {sums}")


def _day(row: str, sign: int) -> str:
    return (f"INSERT INTO ticket_days (day, n) VALUES (SUBSTR({row}.created_at, 1, 10), {sign}) "
            "ON CONFLICT (day) DO UPDATE SET n = ticket_days.n + excluded.n")


# The same sums from scratch (the first install, over the tickets already there).
REBUILD = (
    "DELETE FROM ticket_stats",
    f"INSERT INTO ticket_stats ({', '.join(GROUP + MEASURES)}) "
    f"SELECT {', '.join(v.format(r='t') for v in _VALUES[:len(GROUP)])}, COUNT(*), "
    + ", ".join(f"SUM({v.format(r='t')})" for v in _VALUES[len(GROUP) + 1:])
    + " FROM tickets t GROUP BY t.status, t.category, t.priority, t.department, t.classification_method",
    "DELETE FROM ticket_days",
    "INSERT INTO ticket_days (day, n) SELECT SUBSTR(created_at, 1, 10), COUNT(*) FROM tickets "
    "GROUP BY SUBSTR(created_at, 1, 10)",
)
_OF = ", ".join(COUNTED)
SQLITE_TRIGGERS = (
    f"CREATE TRIGGER ticket_stats_insert AFTER INSERT ON tickets BEGIN {_day('new', 1)}; {_upsert('new', 1)}; END",
    f"CREATE TRIGGER ticket_stats_update AFTER UPDATE OF {_OF} ON tickets BEGIN "
    f"{_upsert('old', -1)}; {_upsert('new', 1)}; END",
    f"CREATE TRIGGER ticket_stats_delete AFTER DELETE ON tickets BEGIN {_day('old', -1)}; {_upsert('old', -1)}; END",
)
# An update that moves a ticket between groups takes the two rows in key order.
PG_FUNCTION = f"""
CREATE OR REPLACE FUNCTION ticket_stats_apply() RETURNS trigger AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        {_day('NEW', 1)};
        {_upsert('NEW', 1)};
    ELSIF TG_OP = 'DELETE' THEN
        {_day('OLD', -1)};
        {_upsert('OLD', -1)};
    ELSIF {_KEY.format(r='OLD')} <= {_KEY.format(r='NEW')} THEN
        {_upsert('OLD', -1)};
        {_upsert('NEW', 1)};
    ELSE
        {_upsert('NEW', 1)};
        {_upsert('OLD', -1)};
    END IF;
    RETURN NULL;
END $$ LANGUAGE plpgsql"""
PG_TRIGGER = (f"CREATE TRIGGER ticket_stats_change AFTER INSERT OR DELETE OR UPDATE OF {_OF} ON tickets "
              "FOR EACH ROW EXECUTE FUNCTION ticket_stats_apply()")
# Marks a database whose triggers keep ticket_days too (the first version kept ticket_stats only).
VERSION = "ticket_days"


def install(conn: Connection) -> None:
    """The triggers, and the sums of the tickets already there; idempotent."""
    if conn.kind == "postgresql":
        conn.execute_script(PG_FUNCTION)      # always: a newer version replaces the function
        present = conn.execute("SELECT 1 AS x FROM pg_trigger WHERE tgname = 'ticket_stats_change' "
                               "AND tgrelid = 'tickets'::regclass").fetchone()
        if not present:
            conn.execute(PG_TRIGGER)
        elif conn.execute("SELECT 1 AS x FROM ticket_days LIMIT 1").fetchone() or \
                not conn.execute("SELECT 1 AS x FROM tickets LIMIT 1").fetchone():
            return
    else:
        found = {r["name"] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' "
                                                 "AND name LIKE 'ticket_stats_%'").fetchall()}
        body = conn.execute("SELECT sql FROM sqlite_master WHERE name = 'ticket_stats_insert'").scalar() or ""
        if len(found) == 3 and VERSION in body:
            return
        for name in found:
            conn.execute(f"DROP TRIGGER {name}")
        for statement in SQLITE_TRIGGERS:
            conn.execute(statement)
    for statement in REBUILD:
        conn.execute(statement)


def lock_groups(conn: Connection, days: Iterable[str], groups: Iterable[tuple]) -> None:
    """Before a write of several tickets: take the ticket_days and ticket_stats rows it will
    add to, in the order every write takes them (days, then groups by key), creating the
    missing ones, so that it cannot deadlock with another write (PostgreSQL; SQLite has
    one writer at a time)."""
    if conn.kind != "postgresql":
        return
    days, groups = sorted(set(days)), sorted(set(groups))
    for day in days:
        conn.execute("INSERT INTO ticket_days (day, n) VALUES (?, 0) ON CONFLICT (day) DO NOTHING", (day,))
    for group in groups:
        conn.execute(f"INSERT INTO ticket_stats ({', '.join(GROUP)}) VALUES (?, ?, ?, ?, ?) "
                     f"ON CONFLICT ({', '.join(GROUP)}) DO NOTHING", group)
    # Locked in the database's own order of the keys, the order the trigger compares them in.
    if days:
        conn.execute(f"SELECT day FROM ticket_days WHERE day IN ({', '.join('?' * len(days))}) ORDER BY day "
                     "FOR UPDATE", days)
    if groups:
        keys = ", ".join("(?, ?, ?, ?, ?)" for _ in groups)
        conn.execute(f"SELECT n FROM ticket_stats WHERE ({', '.join(GROUP)}) IN ({keys}) "
                     f"ORDER BY {', '.join(GROUP)} FOR UPDATE", [v for g in groups for v in g])
