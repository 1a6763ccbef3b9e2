"""Booking service: the app factory. Routes in api/routes/ (their dependencies in api/deps.py),
logic and SQL in bookings.py/rooms.py.

Settings (environment): BOOKING_MAX_ACTIVE_STUDENT (5), BOOKING_MAX_ACTIVE_FACULTY (20),
BOOKING_MAX_ACTIVE_ADMIN (0 = unlimited), BOOKING_MAX_DAYS_AHEAD (90), BOOKING_MAX_WEEKS (12),
BOOKING_CHECKIN_MINUTES (15), BOOKING_TIMEZONE ("UTC": the campus zone; instants are stored in UTC
and shown in it), BOOKING_APPROVAL_HOURS (24: a request undecided this long before its start
expires), BOOKING_RELEASE_INTERVAL_SECONDS (30: how often no-shows and undecided requests are
released), BOOKING_FEED_BASE_URL (the gateway's URL: the start of calendar subscription URLs),
OUTBOX_INTERVAL_SECONDS (1.0) and,
for tests only, BOOKING_CLOCK_OFFSET_MINUTES (0; refused when FLASK_ENV=production).
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from shared import idempotency
from shared.config import Settings, load_settings
from shared.database import Database, sql_values
from shared.http_client import HttpClient
from shared.metrics import breaker_gauge, outbox_gauge
from shared.openapi import document_fastapi
from shared.outbox import OutboxDispatcher, outbox_ddl
from shared.periodic import Periodic
from shared.web import create_fastapi_app

from .bookings import IDEMPOTENCY, OUTBOX, release_if_due
from .migrations import migrate
from .models import HOLDING, STATUSES
from .rooms import seed_rooms
from .timeslots import BookingConfig

SCHEMA = (Path(__file__).with_name("schema.sql").read_text().replace("{STATUSES}", sql_values(STATUSES))
          .replace("{HOLDING}", sql_values(HOLDING))
          + outbox_ddl(OUTBOX) + idempotency.idempotency_ddl(IDEMPOTENCY))
DESCRIPTION = """Rooms, hourly slots (8 AM - 6 PM) and bookings of the Campus Services Hub.

Directly this service is at port 8001; through the gateway its paths are under
`/api/booking`, and this document is part of the platform's one, at the gateway's `/docs`
(Authorize there with a token from `POST /auth/login`)."""


def _database(settings: Settings) -> Database:
    return Database(settings, settings.sqlite_path("booking", "bookings.db"))


def prepare(settings: Settings | None = None) -> str:
    """The start-up step (shared/serve.py `prepare_service`, once per server start):
    the tables, the seed rooms, the migration of stored local times to UTC. create_app does none of it."""
    settings = settings or load_settings()
    cfg = BookingConfig.from_settings(settings)
    return _database(settings).startup(SCHEMA, partial(migrate, cfg=cfg, schema=SCHEMA), seed_rooms)


def create_app(settings: Settings | None = None, *, start_background: bool = True):
    settings = settings or load_settings()
    cfg = BookingConfig.from_settings(settings)
    db = _database(settings)
    http = HttpClient(settings, service="booking")
    dispatcher = OutboxDispatcher(db, OUTBOX, http, settings.service_url("notification"),
                                  interval=settings.env.float("OUTBOX_INTERVAL_SECONDS", 1.0, minimum=0.05))

    # No-shows released and undecided requests expired even when nobody uses the service
    # (every worker runs it; release_due is safe to run concurrently).
    releaser = Periodic("booking-release", settings.env.float("BOOKING_RELEASE_INTERVAL_SECONDS", 30.0, minimum=0.2),
                        partial(release_if_due, db, cfg), on_change=dispatcher.wake)

    @asynccontextmanager
    async def lifespan(_app):
        yield
        releaser.stop()
        dispatcher.stop()

    app = create_fastapi_app("booking", settings, readiness={"database": db.ping},
                             title="Campus Services Hub - Booking", version="1.0.0", description=DESCRIPTION,
                             docs_url=None, redoc_url=None, lifespan=lifespan,
                             # Relative: "Try it out" calls go next to openapi.json, so they work
                             # directly and through the gateway's /api/booking prefix alike.
                             servers=[{"url": ".", "description": "this service (direct or via the gateway)"}])
    idempotency.install_fastapi(app)
    if start_background:
        dispatcher.start()
        releaser.start()
    app.state.db = db
    app.state.http = http
    app.state.booking_config = cfg
    app.state.outbox = dispatcher
    app.state.metric_gauges += [outbox_gauge(dispatcher), breaker_gauge(http)]
    app.state.health_extras.append(lambda: {"outbox": dispatcher.summary()})

    from .api import api_router

    app.include_router(api_router)
    document_fastapi(app)   # the platform's error envelope and security scheme
    return app

