"""Notification service (port 8004). `python app.py` runs it under gunicorn.

The app itself is built by notification_service.create_app(); see shared/serve.py for the server.
"""
if __name__ == "__main__":
    from shared.serve import serve

    serve("notification")
