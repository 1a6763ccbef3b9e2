"""Run a service under its production server (DESIGN decision 7).

Every way of starting a service goes through here: `python <service>/<entry>` (which
start_all.sh, the tests and the Dockerfiles use) calls `serve(name)`, which replaces the
process with gunicorn: its threaded worker for Flask (shared/gunicorn_worker.py, with
simple-websocket for the Socket.IO service), uvicorn's worker for FastAPI
(shared/asgi_worker.py). Workers: <PREFIX>_WORKERS, else WEB_WORKERS.
"""
from __future__ import annotations

import os
import sys

from shared.config import REPO_ROOT, get_settings, service_info


def server_command(name: str) -> list[str]:
    settings = get_settings()
    info = service_info(name)
    env = settings.env
    port = settings.service_port(name)
    bind = f"{settings.bind_host}:{port}"
    workers = env.int(f"{info.prefix}_WORKERS", env.int("WEB_WORKERS", 2, minimum=1), minimum=1)
    folder = str(REPO_ROOT / info.folder)
    python = sys.executable
    if info.server == "uvicorn":
        # FastAPI: uvicorn's server in gunicorn's worker (shared/asgi_worker.py), so that
        # every service has the same master: graceful reload on HUP, workers die with it.
        app, server = f"{info.app_target}()", ["--worker-class", "shared.asgi_worker.EnvelopeUvicornWorker"]
    else:
        threads = env.int(f"{info.prefix}_THREADS", 8, minimum=1)
        if info.server == "socketio":
            # Socket.IO keeps per-client state in the process: one worker per instance, many
            # threads; scale out with more instances sharing Redis (REDIS_URL).
            workers, threads = 1, env.int(f"{info.prefix}_THREADS", 256, minimum=4)
        # gthread, reading each request in full before a thread sees it (slow clients)
        app, server = info.app_target, ["--worker-class", "shared.gunicorn_worker.RequestBufferingWorker",
                                        "--threads", str(threads)]
    return [python, "-m", "gunicorn", app, "--chdir", folder, "--bind", bind, "--workers", str(workers), *server,
            "--graceful-timeout", "20", "--timeout", "120", "--log-level", "warning",
            "--config", str(REPO_ROOT / "shared" / "gunicorn_conf.py")]


def _metrics_dir(name: str) -> str:
    """A fresh folder for this instance's multiprocess metrics (prometheus-client)."""
    import shutil
    import tempfile

    settings = get_settings()
    folder = os.path.join(tempfile.gettempdir(), "campus-metrics", f"{name}-{settings.service_port(name)}")
    shutil.rmtree(folder, ignore_errors=True)
    os.makedirs(folder, exist_ok=True)
    return folder


def serve(name: str) -> None:
    command = server_command(name)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = _metrics_dir(name)
    os.environ["CAMPUS_SERVICE"] = name      # for the start-up step in gunicorn's master
    os.environ.setdefault("PYTHONPATH", str(REPO_ROOT))
    if str(REPO_ROOT) not in os.environ["PYTHONPATH"].split(os.pathsep):
        os.environ["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), os.environ["PYTHONPATH"]])
    os.execv(command[0], command)


def prepare_service(name: str | None = None) -> None:
    """A service's start-up step: its package's `prepare(settings)` (tables, migrations,
    seed rows; waiting for the database while it is briefly away). gunicorn's master runs
    it once before forking the workers (shared/gunicorn_conf.py `on_starting`), so
    create_app, in every worker and in every in-process test, does no such I/O.

    When development falls back from an unreachable PostgreSQL to SQLite (DESIGN
    decision 5), the master sets DATABASE_TYPE=sqlite for the workers it forks next."""
    import importlib

    from shared.config import load_settings
    from shared.log import setup_logging

    name = name or os.environ.get("CAMPUS_SERVICE")
    if not name:
        return
    package = importlib.import_module(service_info(name).app_target.split(":")[0])
    prepare = getattr(package, "prepare", None)
    if prepare is None:                     # a service without a database (gpa-calculator)
        return
    settings = load_settings()
    info = service_info(name)
    setup_logging(info.name, info.log_name, settings.log_dir, settings.log_level)   # its log, as the workers'
    kind = prepare(settings)
    if kind != settings.database_type:
        os.environ["DATABASE_TYPE"] = kind


def installed_services() -> list[str]:
    """Services whose code is present in this checkout, gateway first."""
    from shared.config import SERVICES

    names = []
    for name, info in SERVICES.items():
        package = info.app_target.split(":")[0]
        if (REPO_ROOT / info.folder / info.entry).is_file() and (REPO_ROOT / info.folder / package).is_dir():
            names.append(name)
    return names


if __name__ == "__main__":
    # `python -m shared.serve list` prints "name folder/entry port log_name" per service;
    # `name <alias>` the canonical name; `restart <service> <master pid>` does the rolling
    # restart of start_all.sh --restart (shared/process.py).
    args = sys.argv[1:]
    if args == ["list"]:
        settings = get_settings()
        for name in installed_services():
            info = service_info(name)
            print(name, f"{info.folder}/{info.entry}", settings.service_port(name), info.log_name)
    elif len(args) == 2 and args[0] == "name":
        try:
            print(service_info(args[1]).name)
        except KeyError as exc:
            sys.exit(str(exc).strip('"'))
    elif len(args) == 3 and args[0] == "restart":
        from shared.process import rolling_restart

        port = get_settings().service_port(args[1])
        try:
            done = rolling_restart(int(args[2]), f"http://127.0.0.1:{port}/health")
        except (RuntimeError, TimeoutError) as exc:
            sys.exit(f"restart of {args[1]} failed: {exc}")
        print(f"  {args[1]:<16} restarted in {done['seconds']} s: workers {done['old_workers']} -> "
              f"{done['new_workers']}, port {port} open throughout")
    elif len(args) == 1:
        serve(args[0])
    else:
        print("usage: python -m shared.serve list | name <alias> | restart <service> <pid> | <service>",
              file=sys.stderr)
        sys.exit(2)
