"""HTTP routes of the GPA calculator: thin; the rules live in gpa.py."""
from __future__ import annotations

from flask import Blueprint, jsonify

from shared.auth import require_auth
from shared.web import json_body

from . import gpa

blueprint = Blueprint("gpa", __name__)


@blueprint.post("/calculate")
@require_auth()
def calculate():
    # json_body() already refuses malformed JSON, non-object bodies and NaN/Infinity
    # literals; gpa.parse_request checks the fields and names the course at fault.
    request = gpa.parse_request(json_body())
    return jsonify(gpa.calculate(request).model_dump())


@blueprint.get("/grades")
@require_auth()
def grades():
    return jsonify(gpa.grade_scale())
