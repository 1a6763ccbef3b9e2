"""Maintenance: the app factory. Routes in routes.py, logic and SQL in tickets.py,
Socket.IO in realtime.py, the classifier adapter in classifier.py; a ticket's photos in
attachment_routes.py (HTTP) and attachments.py (checks, EXIF removal, storage).

Settings (besides the platform's): MAINTENANCE_MODEL_DIR (default maintenance/model),
MAINTENANCE_MODEL_RUNTIME, MAINTENANCE_CONFIDENCE_THRESHOLD (0.5), MAINTENANCE_SLA_URGENT_HOURS
(4), MAINTENANCE_SLA_STANDARD_HOURS (72), MAINTENANCE_DUPLICATE_THRESHOLD (0.85),
MAINTENANCE_SOCKETIO_CHANNEL (the Redis channel instances share), OUTBOX_INTERVAL_SECONDS (1.0),
MAINTENANCE_ESCALATION_SECONDS (60: how often the SLA escalation job runs, escalation.py).
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask_socketio import SocketIO

from shared import idempotency
from shared.config import REPO_ROOT, Settings, load_settings
from shared.database import Database, sql_values
from shared.http_client import HttpClient
from shared.outbox import OutboxDispatcher, outbox_ddl
from shared.revocation import SessionRevocations, session_revocations
from shared.web import create_flask_app

from . import migrations
from .classifier import Analyzer, load_classifier
from .escalation import sla_monitor
from .models import PRIORITIES, STATUSES
from .staff import StaffDirectory
from .tickets import IDEMPOTENCY, OUTBOX, TicketRules

# The status and priority CHECKs are generated from models.py, where the rules live.
SCHEMA = (Path(__file__).with_name("schema.sql").read_text()
          .replace("{STATUSES}", sql_values(STATUSES)).replace("{PRIORITIES}", sql_values(PRIORITIES))
          + outbox_ddl(OUTBOX) + idempotency.idempotency_ddl(IDEMPOTENCY))
logger = logging.getLogger(__name__)


def _database(settings: Settings) -> Database:
    return Database(settings, settings.sqlite_path("maintenance", "tickets.db"))


def prepare(settings: Settings | None = None) -> str:
    """The start-up step (shared/serve.py `prepare_service`, once per server start):
    the tables, then what migrations.py adds to older ones. create_app does none of it."""
    return _database(settings or load_settings()).startup(SCHEMA, migrations.migrate)


def create_app(settings: Settings | None = None, *, classifier=None, sessions: SessionRevocations | None = None,
               start_background: bool = True, staff=None):
    """classifier: anything with classify/embed/method (tests hand in a stand-in);
    default: enhanced_model.load_classifier(MAINTENANCE_MODEL_DIR), keyword fallback included.
    sessions: the ended-session set (default: fed from user-management).
    staff: who may be assigned (default: staff.StaffDirectory, which asks user-management)."""
    settings = settings or load_settings()
    env = settings.env
    if classifier is None:
        model_dir = env.str("MAINTENANCE_MODEL_DIR", str(REPO_ROOT / "maintenance" / "model"))
        if not Path(model_dir).is_absolute():
            model_dir = str(REPO_ROOT / model_dir)
        classifier = load_classifier(model_dir, env.str("MAINTENANCE_MODEL_RUNTIME"))
    analyzer = Analyzer(classifier,
                        urgent_hours=env.int("MAINTENANCE_SLA_URGENT_HOURS", 4, minimum=0),
                        standard_hours=env.int("MAINTENANCE_SLA_STANDARD_HOURS", 72, minimum=0))
    rules = TicketRules(confidence_threshold=env.float("MAINTENANCE_CONFIDENCE_THRESHOLD", 0.5),
                        duplicate_threshold=env.float("MAINTENANCE_DUPLICATE_THRESHOLD", 0.85))

    def health() -> dict:
        if analyzer.method == "model":
            return {"classifier": "model"}
        return {"status": "degraded", "classifier": analyzer.method,
                "reason": "the classifier model is not loaded; keyword fallback in use"}

    db = _database(settings)
    app = create_flask_app("maintenance", settings, readiness={"database": db.ping}, health=health)
    idempotency.install_flask(app)
    http = HttpClient(settings, service="maintenance")
    dispatcher = OutboxDispatcher(db, OUTBOX, http, settings.service_url("notification"),
                                  interval=env.float("OUTBOX_INTERVAL_SECONDS", 1.0, minimum=0.01))
    monitor = sla_monitor(db, interval=env.float("MAINTENANCE_ESCALATION_SECONDS", 60.0, minimum=0.05),
                          on_sent=dispatcher.wake)
    if start_background:
        dispatcher.start()
        monitor.start()
    app.extensions["sla_monitor"] = monitor
    app.extensions["staff"] = staff or StaffDirectory(http, settings.service_url("user-management"))
    app.extensions["db"] = db
    app.extensions["outbox"] = dispatcher
    app.config["HEALTH_EXTRAS"].append(lambda: {"outbox": dispatcher.summary()})
    app.extensions["analyzer"] = analyzer
    app.extensions["ticket_rules"] = rules

    from .realtime import origin_checker, register

    socketio = SocketIO()
    socketio.init_app(app, message_queue=settings.redis_url or None, async_mode="threading",
                      cors_allowed_origins=origin_checker(settings),
                      channel=settings.socketio_channel,
                      logger=False, engineio_logger=False)
    sessions = sessions or session_revocations(settings)
    app.config["SESSIONS"] = sessions
    register(socketio, settings, sessions)
    app.extensions["socketio"] = socketio  # init_app sets it too; explicit for readers

    from .attachment_routes import blueprint as attachment_routes
    from .routes import blueprint

    app.register_blueprint(blueprint)
    app.register_blueprint(attachment_routes)
    logger.info("maintenance ready: classifier %s, realtime %s", analyzer.method,
                "redis" if settings.redis_url else "in-process")
    return app
