"""Configuration for every service, read once from the environment (and an optional .env).

`load_settings()` returns a frozen `Settings`; a bad value stops start-up with a
`ConfigError` that names the variable. `SERVICES` is the one registry of the platform's
services: folder, entry point, port, log name and how to reach each one.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_JWT_SECRET = "your-secret-key-change-in-production"
# Outside production, without JWT_SECRET_KEY: a random secret made once per checkout and
# kept here (git-ignored), so every service of the checkout signs and checks with it.
LOCAL_JWT_SECRET_FILE = REPO_ROOT / "run" / "jwt_secret"


class ConfigError(RuntimeError):
    """A configuration value is missing or malformed; the message names the variable."""


@dataclass(frozen=True)
class ServiceInfo:
    name: str          # canonical name, also the Docker Compose service name
    folder: str        # folder under the repository root
    entry: str         # the spec's entry file
    app_target: str    # "module:factory()" inside the folder, for the production server
    server: str        # gunicorn | uvicorn | socketio
    prefix: str        # environment prefix: <PREFIX>_HOST, <PREFIX>_PORT, <PREFIX>_URL
    default_port: int
    log_name: str      # /tmp/<log_name>.log


SERVICES: dict[str, ServiceInfo] = {
    s.name: s
    for s in (
        ServiceInfo("gateway", "gateway", "main.py", "gateway_app:create_app()", "gunicorn",
                    "GATEWAY", 5001, "gateway"),
        ServiceInfo("user-management", "user-management", "app.py", "users_service:create_app()",
                    "gunicorn", "USER_MGMT", 8002, "usermgmt"),
        ServiceInfo("booking", "booking", "main.py", "booking_service:create_app", "uvicorn",
                    "BOOKING", 8001, "booking"),
        ServiceInfo("gpa-calculator", "gpa-calculator", "main.py", "gpa_service:create_app()",
                    "gunicorn", "GPA", 8003, "gpa"),
        ServiceInfo("notification", "notification", "app.py", "notification_service:create_app()",
                    "gunicorn", "NOTIFICATION", 8004, "notification"),
        ServiceInfo("maintenance", "maintenance", "websocket_api.py",
                    "maintenance_service:create_app()", "socketio", "MAINTENANCE", 8080,
                    "maintenance"),
    )
}
# Short names people and the spec use for the same services.
ALIASES = {"users": "user-management", "user_management": "user-management",
           "gpa": "gpa-calculator", "notifications": "notification"}


def service_info(name: str) -> ServiceInfo:
    key = ALIASES.get(name, name)
    if key not in SERVICES:
        raise KeyError(f"unknown service {name!r}; known: {', '.join(SERVICES)}")
    return SERVICES[key]


def _truthy(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise ConfigError(f"{name} must be a boolean (true/false/1/0), got {raw!r}")


class Env:
    """Typed reads of environment variables; every error names the variable."""

    def __init__(self, environ: Mapping[str, str]):
        self.environ = environ

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.environ.get(name)
        return default if value is None or value == "" else value

    def int(self, name: str, default: int, *, minimum: int | None = None,
            maximum: int | None = None) -> int:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = int(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be an integer, got {raw!r}") from None
        if minimum is not None and value < minimum:
            raise ConfigError(f"{name} must be at least {minimum}, got {value}")
        if maximum is not None and value > maximum:
            raise ConfigError(f"{name} must be at most {maximum}, got {value}")
        return value

    def float(self, name: str, default: float, *, minimum: float = 0.0) -> float:
        raw = self.environ.get(name)
        if raw is None or raw.strip() == "":
            return default
        try:
            value = float(raw.strip())
        except ValueError:
            raise ConfigError(f"{name} must be a number, got {raw!r}") from None
        if value != value or value in (float("inf"), float("-inf")) or value < minimum:
            raise ConfigError(f"{name} must be a finite number >= {minimum}, got {raw!r}")
        return value

    def bool(self, name: str, default: bool) -> bool:
        raw = self.environ.get(name)
        return default if raw is None else _truthy(name, raw)

    def list(self, name: str, default: list[str]) -> list[str]:
        raw = self.environ.get(name)
        if raw is None:
            return list(default)
        return [item.strip() for item in raw.split(",") if item.strip()]


@dataclass(frozen=True)
class Settings:
    flask_env: str = "development"
    flask_debug: bool = False
    jwt_secret_key: str = field(default="", repr=False)
    jwt_expiry_hours: int = 24
    service_token_seconds: int = 300
    database_type: str = "sqlite"
    db_host: str = "localhost"
    db_port: int = 5432
    db_name: str = "campus_services"
    db_user: str = "postgres"
    db_password: str = "postgres"
    db_pool_min: int = 2
    db_pool_max: int = 20
    db_pool_timeout: float = 30.0
    data_dir: str | None = None          # SQLite files go here; default: each service's folder
    docker_container: bool = False
    bind_host: str = "127.0.0.1"
    request_timeout: float = 10.0
    request_retry_attempts: int = 3
    request_retry_backoff: float = 1.0
    circuit_failure_threshold: int = 5
    circuit_reset_seconds: float = 60.0
    log_dir: str = "/tmp"
    log_level: str = "INFO"
    cors_origins: tuple[str, ...] = ("http://localhost:5001", "http://127.0.0.1:5001")
    max_content_length: int = 1024 * 1024
    redis_url: str | None = None
    # The Redis channel the Socket.IO instances share (the maintenance service's server and
    # the notification service's write-only pushes must name the same one).
    socketio_channel: str = "campus-maintenance"
    raw: Mapping[str, str] = field(default_factory=dict, repr=False, compare=False)

    @property
    def is_production(self) -> bool:
        return self.flask_env == "production"

    @property
    def env(self) -> Env:
        """Typed access to service-specific variables (BOOKING_*, MAINTENANCE_*, ...)."""
        return Env(self.raw)

    def sqlite_path(self, service: str, filename: str) -> str:
        folder = self.data_dir or str(REPO_ROOT / service_info(service).folder)
        os.makedirs(folder, exist_ok=True)
        return os.path.join(folder, filename)

    def service_urls(self, name: str) -> list[str]:
        """Base URLs of a service's instances (several when <PREFIX>_URL lists them)."""
        info = service_info(name)
        env = self.env
        explicit = env.list(f"{info.prefix}_URL", [])
        if explicit:
            return [url.rstrip("/") for url in explicit]
        default_host = info.name if self.docker_container else "localhost"
        host = env.str(f"{info.prefix}_HOST", default_host)
        port = env.int(f"{info.prefix}_PORT", info.default_port, minimum=1, maximum=65535)
        return [f"http://{host}:{port}"]

    def service_url(self, name: str) -> str:
        return self.service_urls(name)[0]

    def service_port(self, name: str) -> int:
        info = service_info(name)
        return self.env.int(f"{info.prefix}_PORT", info.default_port, minimum=1, maximum=65535)


def load_dotenv_file(path: Path | None = None) -> None:
    """Load .env from the repository root without overriding real environment variables."""
    from dotenv import load_dotenv

    target = path or Path(os.environ.get("ENV_FILE", REPO_ROOT / ".env"))
    if target.is_file():
        load_dotenv(target, override=False)


def local_jwt_secret(path: Path | None = None) -> str:
    """The checkout's own development secret: read from JWT_SECRET_FILE (default
    run/jwt_secret), made on first use. Several services may start at once: the file
    is created complete under a temporary name and linked into place, so every one of
    them reads the same secret."""
    target = Path(path or LOCAL_JWT_SECRET_FILE)
    if not target.is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32) + "\n")
        try:
            os.link(temporary, target)          # fails if another process made it first
        except FileExistsError:
            pass
        finally:
            os.unlink(temporary)
    secret = target.read_text().strip()
    if len(secret) < 32:
        raise ConfigError(f"{target} holds no usable secret; delete it to have a new one made "
                          "(or set JWT_SECRET_KEY)")
    return secret


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Build Settings from the environment; raise ConfigError naming any bad variable."""
    if environ is None:
        load_dotenv_file()
        environ = dict(os.environ)
    env = Env(environ)
    flask_env = env.str("FLASK_ENV", "development")
    if flask_env not in ("development", "production", "testing"):
        raise ConfigError(f"FLASK_ENV must be development, production or testing, got {flask_env!r}")
    database_type = (env.str("DATABASE_TYPE", "sqlite") or "").lower()
    if database_type in ("postgres", "pg"):
        database_type = "postgresql"
    if database_type not in ("sqlite", "postgresql"):
        raise ConfigError(f"DATABASE_TYPE must be sqlite or postgresql, got {database_type!r}")

    secret = env.str("JWT_SECRET_KEY")
    if flask_env == "production" and (not secret or secret == EXAMPLE_JWT_SECRET or len(secret) < 16):
        raise ConfigError(
            "JWT_SECRET_KEY must be set to a private value of at least 16 characters when "
            "FLASK_ENV=production (generate one: python -c 'import secrets; print(secrets.token_hex(32))')"
        )
    if not secret or secret == EXAMPLE_JWT_SECRET:
        # Never a constant from the repository: anyone could mint tokens for every laptop.
        secret = local_jwt_secret(Path(env.str("JWT_SECRET_FILE", str(LOCAL_JWT_SECRET_FILE))))
    pool_min = env.int("DB_POOL_MIN", 2, minimum=1)
    pool_max = env.int("DB_POOL_MAX", 20, minimum=1)
    if pool_max < pool_min:
        raise ConfigError(f"DB_POOL_MAX ({pool_max}) must be >= DB_POOL_MIN ({pool_min})")

    settings = Settings(
        flask_env=flask_env,
        flask_debug=env.bool("FLASK_DEBUG", False),
        jwt_secret_key=secret,
        jwt_expiry_hours=env.int("JWT_EXPIRY_HOURS", 24, minimum=1),
        service_token_seconds=env.int("SERVICE_TOKEN_SECONDS", 300, minimum=10),
        database_type=database_type,
        db_host=env.str("DB_HOST", "localhost"),
        db_port=env.int("DB_PORT", 5432, minimum=1, maximum=65535),
        db_name=env.str("DB_NAME", "campus_services"),
        db_user=env.str("DB_USER", "postgres"),
        db_password=env.str("DB_PASSWORD", "postgres"),
        db_pool_min=pool_min,
        db_pool_max=pool_max,
        db_pool_timeout=env.float("DB_POOL_TIMEOUT", 30.0),
        data_dir=env.str("DATA_DIR"),
        docker_container=env.bool("DOCKER_CONTAINER", False),
        bind_host=env.str("BIND_HOST", "127.0.0.1"),
        request_timeout=env.float("REQUEST_TIMEOUT", 10.0, minimum=0.01),
        request_retry_attempts=env.int("REQUEST_RETRY_ATTEMPTS", 3, minimum=1, maximum=10),
        request_retry_backoff=env.float("REQUEST_RETRY_BACKOFF", 1.0),
        circuit_failure_threshold=env.int("CIRCUIT_FAILURE_THRESHOLD", 5, minimum=1),
        circuit_reset_seconds=env.float("CIRCUIT_RESET_SECONDS", 60.0),
        log_dir=env.str("LOG_DIR", "/tmp"),
        log_level=(env.str("LOG_LEVEL", "INFO") or "INFO").upper(),
        cors_origins=tuple(env.list("CORS_ORIGINS", list(Settings.cors_origins))),
        max_content_length=env.int("MAX_CONTENT_LENGTH", 1024 * 1024, minimum=1024),
        redis_url=env.str("REDIS_URL"),
        socketio_channel=env.str("MAINTENANCE_SOCKETIO_CHANNEL", Settings.socketio_channel),
        raw=dict(environ),
    )
    # Touch every service's port and host variables so a typo fails at start-up.
    for name in SERVICES:
        settings.service_urls(name)
    return settings


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once. Tests build their own with load_settings()."""
    return load_settings()


def get_service_url(name: str) -> str:
    """Base URL of a service, for local runs, Docker (DOCKER_CONTAINER=true) or explicit URLs."""
    return get_settings().service_url(name)
