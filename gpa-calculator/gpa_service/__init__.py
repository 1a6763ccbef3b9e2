"""GPA calculator: the app factory. Stateless: no database, so readiness has no checks.

Routes in routes.py, the arithmetic in gpa.py."""
from __future__ import annotations

from shared.config import Settings, load_settings
from shared.web import create_flask_app


def create_app(settings: Settings | None = None):
    settings = settings or load_settings()
    app = create_flask_app("gpa-calculator", settings, readiness={})

    from .routes import blueprint

    app.register_blueprint(blueprint)
    return app
