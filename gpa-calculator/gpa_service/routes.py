"""HTTP routes of the GPA calculator: thin; the rules live in gpa.py."""
from __future__ import annotations

from flask import Blueprint, jsonify

from shared.auth import require_auth
from shared.openapi import accepts, answers
from shared.web import json_body

from . import gpa
from .models import GpaRequest, GpaResult

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
@answers(200, description="The grading rules for the page: {grades: [{grade, points}], pass_fail, limits, "
                          "numbers: {credits, prior_gpa, ...: {minimum, minimum_allowed, maximum, decimals}}}")
def meta():
    """The grading rules: grades, pass/fail grades, the limits of every number"""
    return jsonify(gpa.grade_scale())


@blueprint.get("/grades")
@require_auth()
@answers(200, description="The grade scale: {grades: [{grade, points}], pass_fail, limits}")
def grades():
    return jsonify(gpa.grade_scale())
