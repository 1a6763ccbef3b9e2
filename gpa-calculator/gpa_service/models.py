"""Shapes a client sends (after gpa.parse_request has checked them) and the shape it gets back.

Input is validated by hand in gpa.parse_request rather than by pydantic, so that every
error can name the course at fault ("Course 2: unknown grade 'Q'"); these models hold
the already-checked values (credits as Decimal) and describe the response.
"""
from __future__ import annotations

from decimal import Decimal
from typing import Optional, Union

from pydantic import BaseModel, ConfigDict, Field

Num = Union[int, float]   # credits: 3 stays 3, 1.5 stays 1.5


class Course(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: Optional[str] = None
    grade: str                  # normalised: "A-", "B+", "P", "F", ...
    credits: Decimal
    pass_fail: bool = False


class GpaRequest(BaseModel):
    model_config = ConfigDict(frozen=True)

    courses: list[Course]
    prior_gpa: Optional[Decimal] = None
    prior_credits: Optional[Decimal] = None
    target_gpa: Optional[Decimal] = None
    remaining_credits: Optional[Decimal] = None


class CourseResult(BaseModel):
    name: Optional[str]
    grade: str
    credits: Num
    pass_fail: bool
    points: Optional[float]          # grade points per credit; None for pass/fail
    quality_points: Optional[float]  # points x credits; None for pass/fail
    counts_in_gpa: bool
    earned: bool                     # credits earned (not F, not a failed pass/fail)


class WhatIf(BaseModel):
    target_gpa: float
    remaining_credits: Num
    required_average: float          # rounded up to 2 decimals; 0.0 when already guaranteed
    achievable: bool
    already_guaranteed: bool
    best_possible_gpa: float         # straight A's over the remaining credits
    worst_possible_gpa: float        # straight F's over the remaining credits
    based_on: str                    # "cumulative" when prior_gpa was given, else "term"
    message: str


class GpaResult(BaseModel):
    gpa: Optional[float]             # None when no course counts in the GPA
    total_credits: Num             # all credits attempted, pass/fail included
    gpa_credits: Num               # credits that count in the GPA
    quality_points: float
    credits_earned: Num            # passing letter grades and passed pass/fail courses
    pass_fail_credits: Num
    course_count: int
    courses: list[CourseResult]
    cumulative_gpa: Optional[float] = None
    cumulative_credits: Optional[Num] = None
    what_if: Optional[WhatIf] = None
    message: Optional[str] = None


class GradePoints(BaseModel):
    grade: str
    points: float


class PassFailGrades(BaseModel):
    model_config = ConfigDict(serialize_by_alias=True, validate_by_name=True)

    passing: list[str] = Field(alias="pass", description="Grades a pass/fail course passes with")
    failing: list[str] = Field(alias="fail", description="Grades a pass/fail course fails with")
    choices: list[str] = Field(description="The two grades a pass/fail course is stored with")


class Limits(BaseModel):
    max_courses: int
    max_credits_per_course: float
    credit_decimals: int
    max_name_length: int


class NumberLimits(BaseModel):
    """What a number a client sends may be (gpa.NumberRule)."""

    minimum: float
    minimum_allowed: bool = Field(description="False: the number must be greater than the minimum")
    maximum: float
    decimals: int = Field(description="Decimal places at most")


class GradeScale(BaseModel):
    """The grading rules (GET /meta, GET /grades); the page builds its inputs from them."""

    grades: list[GradePoints]
    pass_fail: PassFailGrades
    limits: Limits
    numbers: dict[str, NumberLimits] = Field(description="Each number a request may hold: its limits")
    rounding: str
