"""gunicorn settings shared by the Flask services (command-line flags come from shared/serve.py)."""
import gunicorn

# Do not advertise the server and its version in every response.
gunicorn.SERVER = "campus"
gunicorn.SERVER_SOFTWARE = "campus"
accesslog = None

# The limits gunicorn applies while parsing (its defaults, stated here because the
# FastAPI scaffolding applies the same ones), and its refusals in the error envelope.
from shared.server_limits import MAX_HEADER_FIELD_SIZE, MAX_HEADER_FIELDS, MAX_REQUEST_LINE, install_gunicorn  # noqa: E402

limit_request_line = MAX_REQUEST_LINE
limit_request_field_size = MAX_HEADER_FIELD_SIZE
limit_request_fields = MAX_HEADER_FIELDS
install_gunicorn()
