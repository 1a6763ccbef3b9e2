"""Maintenance service (port 8080): tickets, their lifecycle and live updates over Socket.IO.

`python websocket_api.py` runs it under gunicorn's threaded worker with simple-websocket
(one worker, many threads; scale out with more instances sharing Redis via REDIS_URL).
The app itself is built by maintenance_service.create_app(); see shared/serve.py.
"""
if __name__ == "__main__":
    from shared.serve import serve

    serve("maintenance")
