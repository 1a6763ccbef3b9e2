"""What the gateway tells browsers about its answers.

- Cache-Control: no-store on /auth/... and /api/...: tokens and personal data stay out of
  browser and proxy caches (a shared computer's back button, a caching proxy).
- Content-Security-Policy on every answer: scripts and styles only from this site (the
  pages keep no inline script, style or event handler), network calls only to this site
  and to the maintenance service's Socket.IO, and no framing by any other page
  (frame-ancestors 'none', against clickjacking). X-Content-Type-Options and
  Referrer-Policy come with every service's answers (shared/web.py).
"""
from __future__ import annotations

from flask import Flask, request

from shared.config import Settings

NO_STORE_PREFIXES = ("/auth/", "/api/")


def public_maintenance_url(settings: Settings) -> str:
    """Where the browser reaches the maintenance service's Socket.IO (its own port, cross-origin).
    PUBLIC_MAINTENANCE_URL overrides when the internal URL is not what a browser can reach."""
    return (settings.env.str("PUBLIC_MAINTENANCE_URL") or settings.service_url("maintenance")).rstrip("/")


def content_security_policy(settings: Settings) -> str:
    socketio = public_maintenance_url(settings)
    websocket = "ws" + socketio[len("http"):] if socketio.startswith("http") else socketio
    return "; ".join((
        "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data: blob:",
        f"connect-src 'self' {socketio} {websocket}", "object-src 'none'", "base-uri 'none'",
        "form-action 'self'", "frame-ancestors 'none'"))


def install(app: Flask, settings: Settings) -> None:
    policy = content_security_policy(settings)

    @app.after_request
    def _browser_headers(response):
        if request.path.startswith(NO_STORE_PREFIXES) or request.path == "/api":
            response.headers["Cache-Control"] = "no-store"
        response.headers.setdefault("Content-Security-Policy", policy)
        return response
