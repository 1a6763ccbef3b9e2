"""The web pages: / and /<page>.html, their assets under /static/, the Socket.IO client
(installed by npm into gateway/node_modules, never from a CDN) and /config.json, the
little the browser needs to know that only the server's configuration says."""
from __future__ import annotations

import os
from pathlib import Path

from flask import Blueprint, current_app, jsonify, send_from_directory
from werkzeug.security import safe_join

from shared.errors import NotFound

from .browser_headers import public_maintenance_url

blueprint = Blueprint("pages", __name__)

SOCKETIO_DIST = Path(__file__).resolve().parent.parent / "node_modules" / "socket.io-client" / "dist"


def _send(root: str, relative: str):
    path = safe_join(root, relative)
    if path is None or not os.path.isfile(path):
        raise NotFound("No such page.")
    response = send_from_directory(root, relative, max_age=0)
    response.headers["Cache-Control"] = "no-cache"
    return response


@blueprint.get("/")
def index():
    return _send(current_app.config["STATIC_DIR"], "login.html")


@blueprint.get("/<page>.html")
def page(page: str):
    return _send(current_app.config["STATIC_DIR"], f"{page}.html")


@blueprint.get("/static/vendor/socket.io.min.js")
def socketio_client():
    if not (SOCKETIO_DIST / "socket.io.min.js").is_file():
        raise NotFound("The Socket.IO client is not installed; run `npm ci --prefix gateway`.")
    return _send(str(SOCKETIO_DIST), "socket.io.min.js")


@blueprint.get("/favicon.ico")
def favicon():
    """Browsers ask for /favicon.ico on their own; the pages also name it (<link rel="icon">)."""
    response = _send(current_app.config["STATIC_DIR"], "favicon.svg")
    response.mimetype = "image/svg+xml"
    return response


@blueprint.get("/static/<path:asset>")
def asset(asset: str):
    return _send(current_app.config["STATIC_DIR"], asset)


@blueprint.get("/config.json")
def browser_config():
    """Where the browser reaches the maintenance service's Socket.IO (its own port, cross-origin),
    and whether new notifications are pushed over it (they are when the services share Redis:
    notification_service/live.py), so the pages poll only slowly."""
    settings = current_app.config["SETTINGS"]
    return jsonify({"socketio_url": public_maintenance_url(settings), "notification_pushes": bool(settings.redis_url)})
