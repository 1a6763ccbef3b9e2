"""The FastAPI services' gunicorn worker: uvicorn's server inside gunicorn's arbiter.

uvicorn on its own supervises its workers too, but kill -9 of its master left them
serving on the port, and a single-worker uvicorn has no graceful reload. Under gunicorn
(the `uvicorn-worker` package, uvicorn's own worker class) booking shares the other
services' process model: `kill -HUP <master>` replaces the workers one generation at a
time while the master keeps the listening socket (start_all.sh --restart), and
shared/gunicorn_conf.py makes every worker exit when its master dies.

The settings are the ones shared/serve.py used to pass to uvicorn's command line: the
h11 protocol that answers unparseable requests in the error envelope, no Server header,
20 s to finish in-flight requests on shutdown.
"""
from __future__ import annotations

from uvicorn_worker import UvicornWorker


class EnvelopeUvicornWorker(UvicornWorker):
    CONFIG_KWARGS = {"loop": "auto", "http": "shared.server_limits:EnvelopeH11Protocol",
                     "server_header": False, "timeout_graceful_shutdown": 20}
