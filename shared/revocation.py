"""Logged-out tokens, refused by every service and not only by the gateway.

The gateway owns the record of a logout (its revoked_tokens table, DESIGN decision 1).
When REDIS_URL is set it also writes the token id to Redis, with the token's remaining
lifetime as the key's TTL, and every service's `authenticate` looks the id up there, so
a revoked token is refused by a service called directly too.

Without REDIS_URL (a laptop running start_all.sh without Redis) only the gateway refuses
revoked tokens; a service called directly accepts them until they expire.

If Redis cannot be reached, lookups answer "not revoked" for a few seconds and log a
warning: an outage of the revocation store must not lock every user out of every service.
The gateway still refuses the token from its own table.
"""
from __future__ import annotations

import functools
import logging
import threading
import time

from shared.config import Settings

KEY_PREFIX = "campus:revoked:"
RETRY_AFTER_ERROR_SECONDS = 5.0

log = logging.getLogger(__name__)


class RevocationList:
    def __init__(self, redis_url: str):
        import redis

        self._redis = redis.Redis.from_url(redis_url, socket_timeout=0.5, socket_connect_timeout=0.5)
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _available(self) -> bool:
        return time.monotonic() >= self._down_until

    def _failed(self, action: str, error: Exception) -> None:
        with self._lock:
            if self._available():
                log.warning("revocation store unreachable (%s): %s; retrying in %.0f s",
                            action, error, RETRY_AFTER_ERROR_SECONDS)
            self._down_until = time.monotonic() + RETRY_AFTER_ERROR_SECONDS

    def add(self, jti: str, expires_at: int) -> bool:
        ttl = max(int(expires_at - time.time()) + 60, 60)
        try:
            self._redis.set(KEY_PREFIX + jti, b"1", ex=ttl)
            return True
        except Exception as error:  # noqa: BLE001 - any Redis failure is an outage here
            self._failed("add", error)
            return False

    def contains(self, jti: str) -> bool:
        if not self._available():
            return False
        try:
            return bool(self._redis.exists(KEY_PREFIX + jti))
        except Exception as error:  # noqa: BLE001
            self._failed("lookup", error)
            return False


@functools.lru_cache(maxsize=8)
def _for_url(redis_url: str) -> RevocationList:
    return RevocationList(redis_url)


def revocation_list(settings: Settings) -> RevocationList | None:
    """The process-wide revocation list for these settings, or None without REDIS_URL."""
    return _for_url(settings.redis_url) if settings.redis_url else None
