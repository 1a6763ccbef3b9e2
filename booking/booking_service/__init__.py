"""Booking service: the app factory. Routes in routes.py, logic and SQL in bookings.py/rooms.py.

Settings (environment): BOOKING_MAX_ACTIVE_STUDENT (5), BOOKING_MAX_ACTIVE_FACULTY (20),
BOOKING_MAX_ACTIVE_ADMIN (0 = unlimited), BOOKING_MAX_DAYS_AHEAD (90), BOOKING_MAX_WEEKS (12),
BOOKING_CHECKIN_MINUTES (15), BOOKING_TIMEZONE ("UTC": the campus zone; instants are stored in UTC
and shown in it), OUTBOX_INTERVAL_SECONDS (1.0) and,
for tests only, BOOKING_CLOCK_OFFSET_MINUTES (0; refused when FLASK_ENV=production).
"""
from __future__ import annotations

from contextlib import asynccontextmanager
from functools import partial
from pathlib import Path

from shared import idempotency
from shared.config import Settings, load_settings
from shared.database import Database
from shared.http_client import HttpClient
from shared.metrics import breaker_gauge, outbox_gauge
from shared.outbox import OutboxDispatcher, outbox_ddl
from shared.web import create_fastapi_app

from .bookings import IDEMPOTENCY, OUTBOX
from .migrations import migrate
from .rooms import seed_rooms
from .timeslots import BookingConfig

SCHEMA = (Path(__file__).with_name("schema.sql").read_text() + outbox_ddl(OUTBOX)
          + idempotency.idempotency_ddl(IDEMPOTENCY))
DESCRIPTION = """Rooms, hourly slots (8 AM - 6 PM) and bookings of the Campus Services Hub.

Use **Authorize** with a token from `POST /auth/login` on the gateway. Directly this
service is at port 8001; through the gateway its paths are under `/api/booking`."""


def create_app(settings: Settings | None = None, *, start_background: bool = True):
    settings = settings or load_settings()
    cfg = BookingConfig.from_settings(settings)
    db = Database(settings, settings.sqlite_path("booking", "bookings.db"))
    http = HttpClient(settings, service="booking")
    dispatcher = OutboxDispatcher(db, OUTBOX, http, settings.service_url("notification"),
                                  interval=settings.env.float("OUTBOX_INTERVAL_SECONDS", 1.0, minimum=0.05))

    @asynccontextmanager
    async def lifespan(_app):
        yield
        dispatcher.stop()

    app = create_fastapi_app("booking", settings, readiness={"database": db.ping},
                             title="Campus Services Hub - Booking", version="1.0.0", description=DESCRIPTION,
                             docs_url=None, redoc_url=None, lifespan=lifespan,
                             # Relative: "Try it out" calls go next to openapi.json, so they work
                             # directly and through the gateway's /api/booking prefix alike.
                             servers=[{"url": ".", "description": "this service (direct or via the gateway)"}])
    db.prepare(SCHEMA, seed_rooms, partial(migrate, cfg=cfg))
    idempotency.install_fastapi(app)
    if start_background:
        dispatcher.start()
    app.state.db = db
    app.state.booking_config = cfg
    app.state.outbox = dispatcher
    app.state.metric_gauges += [outbox_gauge(dispatcher), breaker_gauge(http)]
    app.state.health_extras.append(lambda: {"outbox": dispatcher.summary()})

    from fastapi.staticfiles import StaticFiles
    from swagger_ui_bundle import swagger_ui_path

    from .routes import DOCS_ASSETS, build_router

    app.mount(f"/{DOCS_ASSETS}", StaticFiles(directory=swagger_ui_path), name="docs-assets")
    app.include_router(build_router(settings, db, cfg, dispatcher))
    _document_error_envelope(app)
    return app


def _document_error_envelope(app) -> None:
    """The OpenAPI document says what clients really get: FastAPI's 422 is answered as a
    400 in the platform's error envelope (shared/errors.py), like every other error."""
    build = app.openapi
    envelope = {"type": "object", "required": ["error", "code", "correlation_id"], "properties": {
        "error": {"type": "string"}, "code": {"type": "string"}, "correlation_id": {"type": "string"},
        "details": {}}}
    ref = {"$ref": "#/components/schemas/ErrorEnvelope"}
    statuses = {"400": "Invalid input", "401": "No or bad token", "403": "Not allowed", "404": "Not found",
                "409": "Conflict (slot_taken, booking_limit, ...)"}

    def openapi():
        if app.openapi_schema is None:
            schema = build()
            schema.setdefault("components", {}).setdefault("schemas", {})["ErrorEnvelope"] = envelope
            schema["components"]["schemas"].pop("HTTPValidationError", None)
            schema["components"]["schemas"].pop("ValidationError", None)
            for operations in schema.get("paths", {}).values():
                for operation in operations.values():
                    responses = operation.setdefault("responses", {})
                    responses.pop("422", None)
                    for status, text in statuses.items():
                        responses.setdefault(status, {"description": text,
                                                      "content": {"application/json": {"schema": ref}}})
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi
