"""User management: the app factory. Routes in routes.py, logic and SQL in users.py."""
from __future__ import annotations

from pathlib import Path

from shared.auth import ROLES
from shared.config import Settings, load_settings
from shared.database import Database, sql_values
from shared.http_client import HttpClient
from shared.metrics import breaker_gauge, outbox_gauge
from shared.outbox import OutboxDispatcher, outbox_ddl
from shared.web import create_flask_app

from .password_reset import ResetMailer
from .sessions import local_revocations, prune
from .users import OUTBOX, migrate_users, seed_first_users

# The role CHECK is generated from shared.auth.ROLES, the one list of roles.
SCHEMA = (Path(__file__).with_name("schema.sql").read_text().replace("{ROLES}", sql_values(ROLES))
          + outbox_ddl(OUTBOX))


def _database(settings: Settings) -> Database:
    return Database(settings, settings.sqlite_path("user-management", "users.db"))


def prepare(settings: Settings | None = None) -> str:
    """The start-up step (shared/serve.py `prepare_service`, once per server start):
    the tables, their migrations, the first users, pruning old session records. create_app does none of it."""
    return _database(settings or load_settings()).startup(SCHEMA, migrate_users, seed_first_users, prune)


def create_app(settings: Settings | None = None, *, start_background: bool = True):
    settings = settings or load_settings()
    db = _database(settings)
    app = create_flask_app("user-management", settings, readiness={"database": db.ping})
    app.config["SESSIONS"] = local_revocations(db, settings)
    http = HttpClient(settings, service="user-management")
    dispatcher = OutboxDispatcher(db, OUTBOX, http, settings.service_url("notification"))
    if start_background:
        dispatcher.start()
    app.config["METRIC_GAUGES"] += [outbox_gauge(dispatcher), breaker_gauge(http)]
    app.config["HEALTH_EXTRAS"].append(lambda: {"outbox": dispatcher.summary()})
    app.extensions["db"] = db
    app.extensions["outbox"] = dispatcher
    app.extensions["reset_mailer"] = ResetMailer(settings)     # password_reset.py

    from .routes import blueprint

    app.register_blueprint(blueprint)
    return app
