"""API gateway: the app factory. Auth in auth_routes.py, the /api proxy in proxy.py,
health in health.py, the web pages in pages.py."""
from __future__ import annotations

from pathlib import Path

from flask_cors import CORS

from shared.config import Settings, load_settings
from shared.database import Database
from shared.http_client import HttpClient
from shared.metrics import breaker_gauge
from shared.web import create_flask_app

from .client_address import parse_trusted_proxies
from .oidc import OidcClient, OidcConfig
from .store import Limit, LoginThrottle

SCHEMA = Path(__file__).with_name("schema.sql").read_text()
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"


def _login_throttle(db: Database, settings: Settings) -> LoginThrottle:
    env = settings.env
    window = env.int("LOGIN_WINDOW_SECONDS", 900, minimum=1)
    lockout = env.int("LOGIN_LOCKOUT_SECONDS", 60, minimum=1)
    max_lockout = env.int("LOGIN_MAX_LOCKOUT_SECONDS", 900, minimum=lockout)
    # One account from one address: afresh only after a quiet spell (a guesser stays slow).
    # One address across all accounts: afresh a fixed window after its first failure.
    return LoginThrottle(db, Limit(env.int("LOGIN_MAX_FAILURES", 5, minimum=1), lockout, max_lockout, quiet=window),
                         Limit(env.int("LOGIN_MAX_FAILURES_PER_ADDRESS", 50, minimum=1), lockout, max_lockout,
                               window=window))


def _database(settings: Settings) -> Database:
    return Database(settings, settings.sqlite_path("gateway", "gateway.db"))


def prepare(settings: Settings | None = None) -> str:
    """The start-up step (shared/serve.py `prepare_service`, once per server start):
    the login throttle's tables. create_app does none of it."""
    return _database(settings or load_settings()).startup(SCHEMA)


def create_app(settings: Settings | None = None):
    settings = settings or load_settings()
    db = _database(settings)
    app = create_flask_app("gateway", settings, readiness={"database": db.ping}, openapi=False)
    env = settings.env
    app.extensions.update(
        db=db,
        throttle=_login_throttle(db, settings),
        http=HttpClient(settings, service="gateway"),
    )
    app.config["METRIC_GAUGES"].append(breaker_gauge(app.extensions["http"]))
    app.config["STATIC_DIR"] = str(STATIC_DIR)
    app.config["TRUSTED_PROXIES"] = parse_trusted_proxies(env.list("TRUSTED_PROXIES", []))
    # Self-registration: on for laptops and tests; in production accounts come from admins
    # (or single sign-on) unless the deployer opens it.
    # Local passwords off (LOCAL_LOGIN_ENABLED=false, once people sign in through the identity
    # provider) except for the break-glass admin (shared.accounts.break_glass_email); no
    # self-registration then either, since it makes a local password.
    app.config["LOCAL_LOGIN_ENABLED"] = env.bool("LOCAL_LOGIN_ENABLED", True)
    app.config["REGISTRATION_ENABLED"] = (env.bool("REGISTRATION_ENABLED", not settings.is_production)
                                          and app.config["LOCAL_LOGIN_ENABLED"])
    oidc_config = OidcConfig.from_settings(settings)
    app.extensions["oidc"] = OidcClient(oidc_config, db) if oidc_config else None
    CORS(app, resources={r"/api/*": {}, r"/auth/*": {}}, origins=list(settings.cors_origins),
         allow_headers=["Authorization", "Content-Type", "X-Correlation-ID", "Idempotency-Key"],
         expose_headers=["X-Correlation-ID", "Retry-After"], max_age=600)

    from . import browser_headers
    from .auth_routes import blueprint as auth_blueprint
    from .docs import blueprint as docs_blueprint
    from .health import blueprint as health_blueprint
    from .oidc_routes import blueprint as oidc_blueprint
    from .pages import blueprint as pages_blueprint
    from .proxy import blueprint as proxy_blueprint
    from .reset_routes import blueprint as reset_blueprint

    for blueprint in (auth_blueprint, oidc_blueprint, reset_blueprint, docs_blueprint, health_blueprint,
                      proxy_blueprint, pages_blueprint):
        app.register_blueprint(blueprint)
    browser_headers.install(app, settings)
    return app
