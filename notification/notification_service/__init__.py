"""Notifications: the app factory. Routes in routes.py, logic and SQL in notifications.py."""
from __future__ import annotations

from pathlib import Path

from shared import idempotency
from shared.auth import ROLES
from shared.config import Settings, load_settings
from shared.database import Database, sql_values
from shared.http_client import HttpClient
from shared.mail import MailSettings
from shared.web import create_flask_app

from .delivery import EmailDelivery
from .live import LivePush
from .migrations import migrate
from .notifications import IDEMPOTENCY
from .preferences import KINDS, MODES
from .recipients import Directory

# The role CHECK is generated from shared.auth.ROLES, the one list of roles.
SCHEMA = (Path(__file__).with_name("schema.sql").read_text().replace("{ROLES}", sql_values(ROLES))
          .replace("{KINDS}", sql_values(KINDS)).replace("{MODES}", sql_values(MODES))
          + idempotency.idempotency_ddl(IDEMPOTENCY))


def _database(settings: Settings) -> Database:
    return Database(settings, settings.sqlite_path("notification", "notifications.db"))


def prepare(settings: Settings | None = None) -> str:
    """The start-up step (shared/serve.py `prepare_service`, once per server start):
    the tables and their migrations. create_app does none of it."""
    return _database(settings or load_settings()).startup(SCHEMA, migrate)


def create_app(settings: Settings | None = None, *, start_background: bool = True):
    settings = settings or load_settings()
    db = _database(settings)
    app = create_flask_app("notification", settings, readiness={"database": db.ping})
    idempotency.install_flask(app)
    app.extensions["db"] = db
    # E-mail (delivery.py) only when SMTP_HOST is set; without it nothing is e-mailed.
    mail_settings = MailSettings.from_settings(settings)
    delivery = None
    if mail_settings is not None:
        directory = Directory(HttpClient(settings, service="notification"), settings.service_url("user-management"),
                              ttl=settings.env.float("RECIPIENT_CACHE_SECONDS", 300.0))
        delivery = EmailDelivery(db, settings, mail_settings, directory)
        if start_background:
            delivery.start()
        app.config["HEALTH_EXTRAS"].append(lambda: {"email": delivery.summary()})
    app.extensions["email"] = delivery
    app.extensions["live"] = LivePush(settings)   # pushes to open pages (live.py)

    from .routes import blueprint

    app.register_blueprint(blueprint)
    return app
