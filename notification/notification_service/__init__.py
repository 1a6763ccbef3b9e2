"""Notifications: the app factory. Routes in routes.py, logic and SQL in notifications.py."""
from __future__ import annotations

from pathlib import Path

from shared import idempotency
from shared.auth import ROLES
from shared.config import Settings, load_settings
from shared.database import Database, sql_values
from shared.web import create_flask_app

from .notifications import IDEMPOTENCY

# The role CHECK is generated from shared.auth.ROLES, the one list of roles.
SCHEMA = (Path(__file__).with_name("schema.sql").read_text().replace("{ROLES}", sql_values(ROLES))
          + idempotency.idempotency_ddl(IDEMPOTENCY))


def _database(settings: Settings) -> Database:
    return Database(settings, settings.sqlite_path("notification", "notifications.db"))


def prepare(settings: Settings | None = None) -> str:
    """The start-up step (shared/serve.py `prepare_service`, once per server start):
    the tables. create_app does none of it."""
    return _database(settings or load_settings()).startup(SCHEMA)


def create_app(settings: Settings | None = None):
    settings = settings or load_settings()
    db = _database(settings)
    app = create_flask_app("notification", settings, readiness={"database": db.ping})
    idempotency.install_flask(app)
    app.extensions["db"] = db

    from .routes import blueprint

    app.register_blueprint(blueprint)
    return app
