"""gunicorn settings shared by the Flask services (command-line flags come from shared/serve.py)."""
import gunicorn

# Do not advertise the server and its version in every response.
gunicorn.SERVER = "campus"
gunicorn.SERVER_SOFTWARE = "campus"
accesslog = None
