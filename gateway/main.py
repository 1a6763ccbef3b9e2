"""API gateway (port 5001). `python main.py` runs it under gunicorn.

The app itself is built by gateway_app.create_app(); see shared/serve.py for the server.
"""
if __name__ == "__main__":
    from shared.serve import serve

    serve("gateway")
