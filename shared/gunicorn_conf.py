"""gunicorn settings of every service (command-line flags come from shared/serve.py; booking runs
uvicorn's worker under it, which parses requests itself: shared/web.py holds it to the same limits)."""
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


def post_fork(server, worker):
    """A worker exits when its master dies, even by kill -9: without this, uvicorn's
    workers went on serving on the port with no master to stop them, so the next start
    failed with "Address already in use" and stop_all.sh could not see them."""
    from shared.process import exit_with_parent

    exit_with_parent(worker.ppid)
