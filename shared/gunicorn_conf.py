"""gunicorn settings of every service (command-line flags come from shared/serve.py; booking runs
uvicorn's worker under it, which parses requests itself: shared/web.py holds it to the same limits)."""
import os

import gunicorn

# Do not advertise the server and its version in every response.
gunicorn.SERVER = "campus"
gunicorn.SERVER_SOFTWARE = "campus"
accesslog = None
# No gunicornc control socket: its default path ($HOME/.gunicorn/gunicorn.ctl) is one per
# user, so the six masters (and every test stack) would take it from one another and a
# command meant for one service would reach another. Signals (start_all.sh --restart) do.
control_socket_disable = True

# The limits gunicorn applies while parsing (its defaults, stated here because the
# FastAPI scaffolding applies the same ones), and its refusals in the error envelope.
from shared.server_limits import MAX_HEADER_FIELD_SIZE, MAX_HEADER_FIELDS, MAX_REQUEST_LINE, install_gunicorn  # noqa: E402

limit_request_line = MAX_REQUEST_LINE
limit_request_field_size = MAX_HEADER_FIELD_SIZE
limit_request_fields = MAX_HEADER_FIELDS
install_gunicorn()


def on_starting(server):
    """The service's start-up step, once, before any worker exists (shared/serve.py)."""
    from shared.serve import prepare_service

    prepare_service()


def on_reload(server):
    """A graceful reload (HUP, start_all.sh --restart) starts workers on the new code, which
    may bring a migration: run the new code's start-up step first, in a fresh process (this
    master still holds the old modules). A failure is logged, never raised: an exception
    here would stop the master and every worker with it."""
    import subprocess
    import sys

    name = os.environ.get("CAMPUS_SERVICE")
    if not name:
        return
    step = subprocess.run([sys.executable, "-c", f"from shared.serve import prepare_service; prepare_service({name!r})"],
                          capture_output=True, text=True, timeout=180)
    if step.returncode != 0:
        server.log.error("the start-up step of %s failed on reload; the new workers start anyway:\n%s",
                         name, step.stderr[-2000:])


def post_worker_init(worker):
    """Load the ended-session set as the worker starts, not at its first request: a worker
    whose first request came during an outage of the record would otherwise have nothing
    to check tokens against and refuse them (503 sessions_unavailable)."""
    from shared.revocation import session_revocations

    app = worker.wsgi
    config = getattr(app, "config", None)                  # Flask
    if config is not None and "SETTINGS" in config:
        (config.get("SESSIONS") or session_revocations(config["SETTINGS"])).start()
    elif getattr(getattr(app, "state", None), "settings", None) is not None:   # FastAPI
        session_revocations(app.state.settings).start()


def post_fork(server, worker):
    """A worker exits when its master dies, even by kill -9: without this, uvicorn's
    workers went on serving on the port with no master to stop them, so the next start
    failed with "Address already in use" and stop_all.sh could not see them."""
    from shared.process import exit_with_parent

    exit_with_parent(worker.ppid)
