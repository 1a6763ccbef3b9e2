"""Booking service (port 8001). `python main.py` runs it under uvicorn.

The app itself is built by booking_service.create_app(); see shared/serve.py for the server.
"""
if __name__ == "__main__":
    from shared.serve import serve

    serve("booking")
