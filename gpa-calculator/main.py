"""GPA calculator service (port 8003). `python main.py` runs it under gunicorn.

The app itself is built by gpa_service.create_app(); see shared/serve.py for the server.
"""
if __name__ == "__main__":
    from shared.serve import serve

    serve("gpa-calculator")
