"""GPA calculator service (port 8003). `python main.py` runs it under gunicorn.

The app itself is built by gpa_service.create_app(); see shared/serve.py for the server.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

if __name__ == "__main__":
    from shared.serve import serve

    serve("gpa-calculator")
