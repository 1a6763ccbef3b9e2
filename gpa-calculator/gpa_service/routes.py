"""HTTP routes of the GPA calculator: thin; the rules live in gpa.py."""
from __future__ import annotations

from flask import Blueprint, jsonify

from shared.auth import require_auth
from shared.openapi import accepts, answers
from shared.web import json_body

from . import gpa
from .models import GpaRequest, GpaResult, GradeScale

blueprint = Blueprint("gpa", __name__)


@blueprint.post("/calculate")
@require_auth()
@accepts(GpaRequest)
@answers(200, GpaResult)
def calculate():
    # json_body() already refuses malformed JSON, non-object bodies and NaN/Infinity
    # literals; gpa.parse_request checks the fields and names the course at fault.
    request = gpa.parse_request(json_body())
    return jsonify(gpa.calculate(request).model_dump())


@blueprint.get("/meta")
@require_auth()
@answers(200, GradeScale, description="The grading rules for the page: grades and points, pass/fail grades, "
                                      "and the limits of every number")
def meta():
    """The grading rules: grades, pass/fail grades, the limits of every number"""
    return jsonify(gpa.grade_scale().model_dump())


@blueprint.get("/grades")
@require_auth()
@answers(200, GradeScale, description="The grade scale (the same answer as GET /meta)")
def grades():
    return jsonify(gpa.grade_scale().model_dump())
