"""Request limits of the platform, and the servers' own refusals in the error envelope.

A request line or header block that is too large never reaches the app: gunicorn (the
Flask services) and h11 under uvicorn (booking) refuse it while parsing, each with a
page of its own (HTML, plain text). Both are taught here to answer in the one envelope
of shared/errors.py instead, with the right status (414 URI too long, 431 headers too
large, 400 for other unparseable requests):

- gunicorn: `install_gunicorn()` replaces `gunicorn.util.write_error`, the one function
  its workers use for these answers (called from shared/gunicorn_conf.py, before the
  workers fork). The limits are gunicorn's defaults, set explicitly in that file.
- uvicorn: `EnvelopeH11Protocol` (passed as `--http` by shared/serve.py). h11 only
  refuses a head larger than 16 KiB, so the FastAPI scaffolding in shared/web.py applies
  the same limits as gunicorn in the app, and answers in the envelope there as well.
"""
from __future__ import annotations

import json
import sys
import uuid

from shared.errors import _STATUS_CODES

MAX_REQUEST_LINE = 4094        # bytes of "METHOD target HTTP/1.1" (gunicorn limit_request_line)
MAX_HEADER_FIELD_SIZE = 8190   # bytes of one "Name: value" line (gunicorn limit_request_field_size)
MAX_HEADER_FIELDS = 100        # header lines per request (gunicorn limit_request_fields)
# Bodies are held to MAX_CONTENT_LENGTH (1 MiB by default) except on the few routes that
# take a file upload (the gateway's routing.UPLOAD_ROUTES): one file of up to
# MAX_UPLOAD_FILE, sent as multipart/form-data, whose part headers and boundaries fit in
# the margin. The service refuses a larger file itself (413), and the gateway a larger body.
MAX_UPLOAD_FILE = 10 * 1024 * 1024
MAX_UPLOAD_BODY = MAX_UPLOAD_FILE + 64 * 1024

MESSAGES = {
    400: "The request is not valid HTTP.",
    403: "This request is not allowed.",
    408: "The request did not arrive in time.",
    414: "The request URI is too long.",
    417: "This expectation cannot be met.",
    431: "The request headers are too large.",
    500: "Something went wrong on our side.",
    501: "This transfer coding is not supported.",
}


def envelope_bytes(status: int) -> bytes:
    """The JSON error body for a refusal made before any request context exists."""
    body = {"error": MESSAGES.get(status, "The request cannot be handled."),
            "code": _STATUS_CODES.get(status, "bad_request"), "correlation_id": uuid.uuid4().hex}
    return json.dumps(body).encode()


# ---------------------------------------------------------------------------- gunicorn
def _write_error(sock, status_int, reason, mesg):
    """gunicorn.util.write_error, answering in the envelope (mesg, which may echo what
    the client sent, goes only to gunicorn's log line, never back in the page)."""
    from gunicorn.util import write_nonblock

    body = envelope_bytes(int(status_int))
    head = (f"HTTP/1.1 {status_int} {reason}\r\nConnection: close\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "X-Content-Type-Options: nosniff\r\n\r\n")
    write_nonblock(sock, head.encode("latin-1") + body)


def install_gunicorn() -> None:
    import gunicorn.util

    gunicorn.util.write_error = _write_error


# ----------------------------------------------------------------------------- uvicorn
try:
    import h11
    from uvicorn.protocols.http.h11_impl import STATUS_PHRASES, H11Protocol
except ImportError:  # a Flask-only install has no uvicorn
    H11Protocol = None

if H11Protocol is not None:
    class EnvelopeH11Protocol(H11Protocol):
        """uvicorn's h11 protocol whose refusals of unparseable requests are envelopes."""

        def send_400_response(self, msg: str) -> None:
            # Called by uvicorn inside `except h11.RemoteProtocolError`: the error is at hand.
            error = sys.exc_info()[1]
            status = getattr(error, "error_status_hint", 400)
            if status == 431 and b"\n" not in self.conn.trailing_data[0]:
                status = 414   # the buffer overflowed before the request line ended
            body = envelope_bytes(status)
            headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                       (b"x-content-type-options", b"nosniff"), (b"connection", b"close")]
            try:
                output = self.conn.send(h11.Response(status_code=status, headers=headers,
                                                     reason=STATUS_PHRASES.get(status, b"")))
                output += self.conn.send(h11.Data(data=body))
                output += self.conn.send(h11.EndOfMessage())
                self.transport.write(output)
            except h11.LocalProtocolError:   # a response had already begun: just close
                pass
            self.transport.close()
