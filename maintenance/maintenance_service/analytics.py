"""GET /tickets/analytics: three small queries whatever the number of tickets.

1. ticket_stats (stats.py): the tickets added up per (status, category, priority,
   department, classification method) by triggers on `tickets`; a few dozen rows hold
   every count and sum here. The per-ticket measures (first-response and resolution
   hours, SLA met) are written by tickets.py with the change they measure.
2. Open work past due per department depends on the time of asking: the open tickets of
   ticket_stats less those not yet due, counted at once over idx_tickets_queue (status,
   sla_due_at, department) alone; not yet due are only those filed within their SLA.
3. The last 30 days' tickets per day: ticket_days, kept by the same triggers.
bench/bench_ticket_analytics.py measures it at 200,000 tickets.

SLA: an open ticket past its due time, or one resolved after it, breached it; compliance
(per department) is met / (met + missed), where met is resolved by the due time and
missed is a breach; open tickets not yet due count in neither. First response: the first
status change or public staff comment (tickets.first_response_at).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta, timezone
from typing import Any

from shared.database import Database, utc_iso

from . import stats
from .classifier import Analyzer
from .models import OPEN_STATUSES, PRIORITIES, STATUSES, TicketAnalytics

_OPEN = ", ".join(f"'{s}'" for s in OPEN_STATUSES)

GROUPS = f"SELECT {', '.join(stats.GROUP + stats.MEASURES)} FROM ticket_stats WHERE n > 0"
# Open work not yet due, per department, over idx_tickets_queue (status, sla_due_at, department)
# alone: the open tickets of ticket_stats less these are the ones past due. (Not yet due are
# the few filed within their SLA; past due may be many.)
OPEN_NOT_YET_DUE = (f"SELECT department, COUNT(*) AS n FROM tickets WHERE status IN ({_OPEN}) AND sla_due_at >= ? "
                    "GROUP BY department")
PER_DAY = "SELECT day, n FROM ticket_days WHERE day >= ?"


def _mean(total: float, count: int) -> float | None:
    return round(total / count, 3) if count else None


def analytics(db: Database, analyzer: Analyzer, now: datetime | None = None) -> dict[str, Any]:
    now = now or datetime.now(timezone.utc)
    now_s = utc_iso(now)
    days = [(now.date() - timedelta(days=offset)).isoformat() for offset in range(29, -1, -1)]
    with db.connection(readonly=True) as conn:
        groups = conn.execute(GROUPS).fetchall()
        not_yet_due = {r["department"]: int(r["n"]) for r in conn.execute(OPEN_NOT_YET_DUE, (now_s,)).fetchall()}
        per_day = {r["day"]: int(r["n"]) for r in conn.execute(PER_DAY, (days[0],)).fetchall()}

    sums: dict[str, dict[str, dict[str, float]]] = {key: defaultdict(lambda: defaultdict(float))
                                                    for key in ("status", "category", "priority", "department",
                                                                "method", "all")}
    for g in groups:
        for key in sums:
            bucket = sums[key]["all" if key == "all" else g[key]]
            for measure in stats.MEASURES:
                bucket[measure] += float(g[measure] or 0)
            if key == "department" and g["status"] in OPEN_STATUSES:
                bucket["open"] += g["n"]
    past_due = {dept: int(bucket["open"]) - not_yet_due.get(dept, 0) for dept, bucket in sums["department"].items()}

    def counts(key: str, names) -> dict[str, int]:
        out = {name: 0 for name in names}
        for name, bucket in sums[key].items():
            out[name] = int(bucket["n"])
        return out

    total = sums["all"]["all"]
    departments = []
    for dept in sorted({*analyzer.departments, *sums["department"]}):
        d = sums["department"][dept]
        met, missed = int(d["met"]), int(d["judged"] - d["met"]) + past_due.get(dept, 0)
        departments.append({"department": dept, "total": int(d["n"]), "open": int(d["open"]), "sla_breaches": missed,
                            "mean_time_to_resolve_hours": _mean(d["resolve_hours"], int(d["resolved"])),
                            "sla_met": met, "sla_missed": missed,
                            "sla_compliance": round(met / (met + missed), 4) if met + missed else None})
    priorities = []
    for priority in PRIORITIES:
        p = sums["priority"][priority]
        priorities.append({"priority": priority, "total": int(p["n"]),
                           "responded": int(p["responded"]),
                           "mean_first_response_hours": _mean(p["response_hours"], int(p["responded"])),
                           "resolved": int(p["resolved"]),
                           "mean_resolution_hours": _mean(p["resolve_hours"], int(p["resolved"]))})
    open_past_due, late = sum(past_due.values()), int(total["judged"] - total["met"])
    return TicketAnalytics(**{
        "total": int(total["n"]),
        "by_status": counts("status", STATUSES),
        "by_category": counts("category", analyzer.categories),
        "by_priority": counts("priority", PRIORITIES),
        "by_department": counts("department", analyzer.departments),
        "sla": {"breaches": open_past_due + late, "open_past_due": open_past_due, "resolved_late": late},
        "mean_time_to_resolve_hours": _mean(total["resolve_hours"], int(total["resolved"])),
        "resolved_count": int(total["resolved"]),
        "tickets_per_day": [{"date": d, "count": per_day.get(d, 0)} for d in days],
        "classifier": {"active_method": analyzer.method,
                       "methods": {"model": 0, "keywords": 0, **counts("method", ())},
                       "mean_confidence": _mean(total["confidence"], int(total["n"])),
                       "needs_review": int(total["needs_review"])},
        "possible_duplicates": int(total["duplicates"]),
        "departments": departments,
        "priorities": priorities,
        "generated_at": now_s,
    }).model_dump()
