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


def create_app(settings: Settings | None = None):
    settings = settings or load_settings()
    db = Database(settings, settings.sqlite_path("notification", "notifications.db"))
    app = create_flask_app("notification", settings, readiness={"database": db.ping})
    db.prepare(SCHEMA)
    idempotency.install_flask(app)
    app.extensions["db"] = db

    from .routes import blueprint

    app.register_blueprint(blueprint)
    return app
