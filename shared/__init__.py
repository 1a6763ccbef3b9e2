"""Campus Services Hub's platform library, imported by every service.

    from shared import config, db_pool, http_client

- config:      settings from the environment and .env; the service registry; get_service_url
- db_pool:     one database API over SQLite and PostgreSQL (shared.database)
- http_client: calls between services with timeouts, retries, circuit breakers
- auth:        JWT issue/verify and role checks for Flask and FastAPI
- errors:      the JSON error envelope and typed errors
- log:         logging with service name and correlation ID on every line
- web:         the common app scaffolding (health, readiness, request logging)
- outbox:      notifications written with the change and delivered with retries
- idempotency: Idempotency-Key for creates: a repeated request gets the first answer
- serve:       runs a service under its production server
"""
from shared import config, http_client
from shared import database as db_pool

__all__ = ["config", "db_pool", "http_client"]
