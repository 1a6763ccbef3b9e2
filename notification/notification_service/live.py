"""Live pushes to open pages: "a notification for you arrived", so the unread badge and the
feed update at once instead of polling.

The platform has one Socket.IO server, the maintenance service's (maintenance_service/
realtime.py: a browser connects once with its JWT and joins `user:<id>` and `role:<role>`).
With REDIS_URL set its instances share a Redis channel (MAINTENANCE_SOCKETIO_CHANNEL), and
this module emits into that channel as a write-only member: python-socketio's RedisManager,
which delivers to the rooms on every instance. Without Redis there is no shared channel;
nothing is pushed and the pages fall back to a slow poll (js/realtime.js).

Event (server -> client): notification_created {id, title, type, link, audience}.
A push is only a hint: it happens after the commit and never fails the request.
"""
from __future__ import annotations

import logging
from typing import Any

from shared.config import Settings

logger = logging.getLogger(__name__)


class LivePush:
    def __init__(self, settings: Settings):
        self.manager = None
        if not settings.redis_url:
            return
        try:
            import socketio

            self.manager = socketio.RedisManager(
                settings.redis_url, channel=settings.socketio_channel, write_only=True,
                redis_options={"socket_connect_timeout": 1, "socket_timeout": 1})
        except Exception:  # noqa: BLE001 - live pushes are optional; the pages poll without them
            logger.warning("live pushes disabled: no Socket.IO Redis manager", exc_info=True)

    def notification_created(self, notification: dict[str, Any]) -> None:
        if self.manager is None:
            return
        audience = notification.get("audience")
        if audience == "user":
            to = f"user:{notification['user_id']}"
        elif audience == "role":
            to = f"role:{notification['role']}"
        else:
            to = None   # broadcast: every connected client
        hint = {key: notification.get(key) for key in ("id", "title", "type", "link", "audience")}
        try:
            self.manager.emit("notification_created", hint, namespace="/", to=to)
        except Exception:  # noqa: BLE001 - committed already; a lost push only delays the badge
            logger.warning("could not push notification %s", notification.get("id"), exc_info=True)
