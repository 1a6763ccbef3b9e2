"""Logging with the service name and the request's correlation ID on every line.

The correlation ID lives in a context variable, set per request by the web scaffolding
and read by the logging filter and by the HTTP client. The filter sits on the handlers,
not on a logger, so every record that reaches them (the WSGI server's own lines too)
gets the fields filled and formatting never fails.
"""
from __future__ import annotations

import logging
import os
import sys
import uuid
from contextvars import ContextVar

CORRELATION_HEADER = "X-Correlation-ID"
LINE_FORMAT = "%(asctime)s %(levelname)s [%(service)s] [correlation_id=%(correlation_id)s] %(name)s: %(message)s"

_correlation_id: ContextVar[str] = ContextVar("correlation_id", default="-")

# Control characters (and the Unicode line breaks some log viewers honour) written out as
# escapes: a "%0d%0a" in a request path must not start a forged line in the log.
_ESCAPES = {code: f"\\x{code:02x}" for code in (*range(0x20), 0x7F, *range(0x80, 0xA0))}
_ESCAPES.update({ord("\r"): "\\r", ord("\n"): "\\n", ord("\t"): "\\t",
                 0x2028: "\\u2028", 0x2029: "\\u2029"})


def printable(text: object) -> str:
    """`text` on one line: control characters escaped (\\r, \\n, \\x1b, ...)."""
    return str(text).translate(_ESCAPES)


def get_correlation_id() -> str:
    return _correlation_id.get()


def set_correlation_id(value: str | None) -> str:
    """Use the client's ID when it is sane, otherwise make one; returns the ID in force."""
    cid = (value or "").strip()
    if not cid or len(cid) > 128 or not all(c.isalnum() or c in "-_.:" for c in cid):
        cid = uuid.uuid4().hex
    _correlation_id.set(cid)
    return cid


class OneLineFormatter(logging.Formatter):
    """Every record is one line whatever its arguments hold; a traceback (exc_info) still
    follows on its own lines, as only the message is escaped."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        record.message = printable(record.message)
        return super().formatMessage(record)


class ContextFilter(logging.Filter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def filter(self, record: logging.LogRecord) -> bool:
        record.service = self.service
        if not hasattr(record, "correlation_id") or record.correlation_id in (None, ""):
            record.correlation_id = _correlation_id.get()
        return True


STDOUT_ONLY = "-"   # LOG_DIR value: no log file


def setup_logging(service: str, log_name: str, log_dir: str = "/tmp", level: str = "INFO") -> logging.Logger:
    """Send every log line of this process to stdout and to <log_dir>/<log_name>.log
    (LOG_DIR=-: stdout only, for containers, whose runtime keeps stdout)."""
    formatter = OneLineFormatter(LINE_FORMAT)
    context = ContextFilter(service)
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stdout)]
    try:
        if log_dir != STDOUT_ONLY:
            os.makedirs(log_dir, exist_ok=True)
            handlers.append(logging.FileHandler(os.path.join(log_dir, f"{log_name}.log")))
    except OSError as exc:  # an unwritable log dir must not stop the service
        print(f"cannot open log file in {log_dir}: {exc}", file=sys.stderr)
    for handler in handlers:
        handler.setFormatter(formatter)
        handler.addFilter(context)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    # The servers' own loggers go through the same handlers, with the same fields.
    for name in ("gunicorn.error", "gunicorn.access", "uvicorn", "uvicorn.error", "uvicorn.access",
                 "werkzeug", "engineio.server", "socketio.server"):
        server_logger = logging.getLogger(name)
        server_logger.handlers = []
        server_logger.propagate = True
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)  # we log requests ourselves
    return logging.getLogger(service)
