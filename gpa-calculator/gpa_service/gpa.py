"""The GPA arithmetic. Pure functions: nothing here sees a request or a database.

`parse_request(dict)` checks a client's body and raises ValidationFailed whose message
names the first course at fault ("Course 2: unknown grade 'Q'") and whose details list
every problem as {"field": "courses.1.grade", "message": ...}. `calculate(GpaRequest)`
computes with Decimal and rounds half up to two decimals at the end only.

Rules:
- Letter grades (case-insensitive, trimmed): A+/A 4.0, A- 3.7, B+ 3.3, B 3.0, B- 2.7,
  C+ 2.3, C 2.0, C- 1.7, D+ 1.3, D 1.0, D- 0.7, F 0.0. Credit-weighted mean.
- Pass/fail: grade P/PASS/S (passed) or F/FAIL/NP/U (failed) with "pass_fail": true, or
  P/PASS/S/NP/U on their own. They never count in the GPA; a pass earns its credits.
- Credits: a number (or a numeric string such as "3" or "1.5") > 0, <= 30, at most two
  decimals. Booleans, "nan", "inf", "1e3" and friends are refused.
- Cumulative: prior_gpa (0..4) and prior_credits (>= 0, GPA credits so far), both or
  neither.
- What-if: target_gpa (0..4) and remaining_credits (> 0), both or neither: the average the
  remaining credits need for the target, over the cumulative record when a prior one is
  given, else over this term.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from shared.errors import ValidationFailed

from .models import Course, CourseResult, GpaRequest, GpaResult, GradeScale, NumberLimits, WhatIf

GRADE_POINTS: dict[str, Decimal] = {
    "A+": Decimal("4.0"), "A": Decimal("4.0"), "A-": Decimal("3.7"),
    "B+": Decimal("3.3"), "B": Decimal("3.0"), "B-": Decimal("2.7"),
    "C+": Decimal("2.3"), "C": Decimal("2.0"), "C-": Decimal("1.7"),
    "D+": Decimal("1.3"), "D": Decimal("1.0"), "D-": Decimal("0.7"),
    "F": Decimal("0.0"),
}
PASS_GRADES = {"P": "P", "PASS": "P", "S": "P"}
FAIL_GRADES = {"F": "F", "FAIL": "F", "NP": "F", "U": "F"}
MAX_GPA = Decimal("4.0")
MAX_COURSES = 100
MAX_CREDITS_PER_COURSE = Decimal("30")
MAX_PRIOR_CREDITS = Decimal("1000")
MAX_REMAINING_CREDITS = Decimal("1000")
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class NumberRule:
    """What a number a client sends may be: parse_request checks it, GET /meta shows it."""

    minimum: Decimal
    minimum_allowed: bool      # False: the number must be greater than the minimum
    maximum: Decimal
    places: int                # decimal places at most

    def public(self) -> NumberLimits:
        return NumberLimits(minimum=float(self.minimum), minimum_allowed=self.minimum_allowed,
                            maximum=float(self.maximum), decimals=self.places)


GPA_RULE = NumberRule(Decimal(0), True, MAX_GPA, 3)
NUMBER_RULES: dict[str, NumberRule] = {
    "credits": NumberRule(Decimal(0), False, MAX_CREDITS_PER_COURSE, 2),   # of each course
    "prior_gpa": GPA_RULE,
    "prior_credits": NumberRule(Decimal(0), True, MAX_PRIOR_CREDITS, 2),
    "target_gpa": GPA_RULE,
    "remaining_credits": NumberRule(Decimal(0), False, MAX_REMAINING_CREDITS, 2),
}
COURSE_FIELDS = {"name", "grade", "credits", "pass_fail"}
TOP_FIELDS = {"courses", "prior_gpa", "prior_credits", "target_gpa", "remaining_credits"}
_NUMERIC_STRING = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
TWO = Decimal("0.01")


class _Problems:
    """Collects field errors; the first one becomes the message."""

    def __init__(self):
        self.items: list[tuple[str, str, str]] = []   # (field, message for details, full message)

    def add(self, field: str, message: str, prefix: str = "") -> None:
        self.items.append((field, message, f"{prefix}{message}"))

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0][2]
            if len(self.items) > 1:
                first += f" (and {len(self.items) - 1} more problem{'s' if len(self.items) > 2 else ''})"
            raise ValidationFailed(first, details=[{"field": f, "message": m} for f, m, _ in self.items])


def to_decimal(value: Any) -> Decimal | None:
    """A finite Decimal from a JSON number or a plain numeric string; None if not a number.

    bool is not a number; "nan", "inf", "Infinity", "1e3", "" and the like are refused."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return None
        return Decimal(repr(value))
    if isinstance(value, str):
        text = value.strip()
        if not _NUMERIC_STRING.match(text):
            return None
        try:
            number = Decimal(text)
        except InvalidOperation:
            return None
        return number if number.is_finite() else None
    return None


def _decimals(number: Decimal) -> int:
    exponent = number.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 99


def _number(problems: _Problems, field: str, value: Any, prefix: str, label: str,
            rule: NumberRule) -> Decimal | None:
    minimum, maximum, allow_minimum, places = rule.minimum, rule.maximum, rule.minimum_allowed, rule.places
    number = to_decimal(value)
    if number is None:
        problems.add(field, f"{label} must be a number, got {_show(value)}", prefix)
        return None
    if number < minimum or (number == minimum and not allow_minimum):
        bound = f"at least {_fmt(minimum)}" if allow_minimum else f"greater than {_fmt(minimum)}"
        problems.add(field, f"{label} must be {bound}, got {_fmt(number)}", prefix)
        return None
    if number > maximum:
        problems.add(field, f"{label} must be at most {_fmt(maximum)}, got {_fmt(number)}", prefix)
        return None
    if _decimals(number) > places:
        problems.add(field, f"{label} may have at most {places} decimal places, got {_fmt(number)}", prefix)
        return None
    return number


def _show(value: Any) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:20] + "..."
        return repr(shown)
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (list, dict)):
        return "a list" if isinstance(value, list) else "an object"
    return str(value)


def _fmt(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return text


def _parse_course(problems: _Problems, index: int, raw: Any) -> Course | None:
    prefix = f"Course {index + 1}: "
    base = f"courses.{index}"
    if not isinstance(raw, dict):
        problems.add(base, f"must be an object like {{\"grade\": \"A\", \"credits\": 3}}, got {_show(raw)}", prefix)
        return None
    before = len(problems.items)
    unknown = sorted(set(raw) - COURSE_FIELDS)
    if unknown:
        problems.add(f"{base}.{unknown[0]}", f"unknown field {unknown[0]!r} (allowed: grade, credits, name, pass_fail)", prefix)

    name = raw.get("name")
    if name is not None:
        if not isinstance(name, str):
            problems.add(f"{base}.name", f"name must be text, got {_show(name)}", prefix)
            name = None
        else:
            name = " ".join(name.split()) or None
            if name and len(name) > MAX_NAME_LENGTH:
                problems.add(f"{base}.name", f"name must be at most {MAX_NAME_LENGTH} characters", prefix)
    if name:
        prefix = f"Course {index + 1} ({name}): "

    pass_fail = raw.get("pass_fail", False)
    if pass_fail is None:
        pass_fail = False
    if not isinstance(pass_fail, bool):
        problems.add(f"{base}.pass_fail", f"pass_fail must be true or false, got {_show(pass_fail)}", prefix)
        pass_fail = False

    grade = raw.get("grade")
    normalised: str | None = None
    if grade is None:
        problems.add(f"{base}.grade", "grade is missing", prefix)
    elif not isinstance(grade, str):
        problems.add(f"{base}.grade", f"grade must be a letter such as \"A-\", got {_show(grade)}", prefix)
    else:
        key = grade.strip().upper()
        if not key:
            problems.add(f"{base}.grade", "grade is empty", prefix)
        elif pass_fail:
            if key in PASS_GRADES:
                normalised = PASS_GRADES[key]
            elif key in FAIL_GRADES:
                normalised = FAIL_GRADES[key]
            else:
                problems.add(f"{base}.grade", f"a pass/fail course takes grade P or F, got {_show(grade)}", prefix)
        elif key in GRADE_POINTS:
            normalised = key
        elif key in PASS_GRADES or key in FAIL_GRADES:
            # P / NP / PASS / FAIL on their own mean a pass/fail course.
            pass_fail = True
            normalised = PASS_GRADES.get(key) or FAIL_GRADES[key]
        else:
            problems.add(f"{base}.grade", f"unknown grade {_show(grade)} (use A, A-, B+, ..., F, or P/NP)", prefix)

    if "credits" not in raw or raw["credits"] is None:
        problems.add(f"{base}.credits", "credits are missing", prefix)
        credits = None
    else:
        credits = _number(problems, f"{base}.credits", raw["credits"], prefix, "credits", NUMBER_RULES["credits"])
    if len(problems.items) > before or normalised is None or credits is None:
        return None
    return Course(name=name, grade=normalised, credits=credits, pass_fail=pass_fail)


def parse_request(data: Any) -> GpaRequest:
    """Check a /calculate body; raise ValidationFailed naming the course at fault."""
    problems = _Problems()
    if not isinstance(data, dict):
        problems.add("body", "The request body must be a JSON object with a \"courses\" list.")
        problems.raise_if_any()
    unknown = sorted(set(data) - TOP_FIELDS)
    if unknown:
        problems.add(unknown[0], f"Unknown field {unknown[0]!r} (allowed: {', '.join(sorted(TOP_FIELDS))}).")

    raw_courses = data.get("courses")
    courses: list[Course] = []
    if raw_courses is None:
        problems.add("courses", "Send \"courses\": a list of {\"grade\", \"credits\"}.")
    elif not isinstance(raw_courses, list):
        problems.add("courses", f"\"courses\" must be a list, got {_show(raw_courses)}.")
    elif not raw_courses:
        problems.add("courses", "Add at least one course.")
    elif len(raw_courses) > MAX_COURSES:
        problems.add("courses", f"At most {MAX_COURSES} courses per calculation, got {len(raw_courses)}.")
    else:
        for index, raw in enumerate(raw_courses):
            course = _parse_course(problems, index, raw)
            if course is not None:
                courses.append(course)

    def pair(a: str, b: str):
        has_a, has_b = data.get(a) is not None, data.get(b) is not None
        if has_a != has_b:
            missing = b if has_a else a
            problems.add(missing, f"Send {a} and {b} together ({missing} is missing).")
            return None, None
        if not has_a:
            return None, None
        x = _number(problems, a, data[a], "", a, NUMBER_RULES[a])
        y = _number(problems, b, data[b], "", b, NUMBER_RULES[b])
        return x, y

    prior_gpa, prior_credits = pair("prior_gpa", "prior_credits")
    target_gpa, remaining = pair("target_gpa", "remaining_credits")
    problems.raise_if_any()
    return GpaRequest(courses=courses, prior_gpa=prior_gpa, prior_credits=prior_credits,
                      target_gpa=target_gpa, remaining_credits=remaining)


def round2(value: Decimal) -> float:
    """Two decimals, half up (3.605 -> 3.61), as a JSON-safe float."""
    return float(value.quantize(TWO, rounding=ROUND_HALF_UP))


def _credits(value: Decimal) -> int | float:
    value = value.quantize(TWO, rounding=ROUND_HALF_UP)
    return int(value) if value == value.to_integral_value() else float(value)


def calculate(request: GpaRequest) -> GpaResult:
    quality = Decimal(0)
    gpa_credits = Decimal(0)
    total = Decimal(0)
    earned = Decimal(0)
    pf_credits = Decimal(0)
    rows: list[CourseResult] = []
    for course in request.courses:
        total += course.credits
        if course.pass_fail:
            pf_credits += course.credits
            passed = course.grade == "P"
            if passed:
                earned += course.credits
            rows.append(CourseResult(name=course.name, grade=course.grade, credits=_credits(course.credits),
                                     pass_fail=True, points=None, quality_points=None,
                                     counts_in_gpa=False, earned=passed))
            continue
        points = GRADE_POINTS[course.grade]
        course_quality = points * course.credits
        quality += course_quality
        gpa_credits += course.credits
        passed = course.grade != "F"
        if passed:
            earned += course.credits
        rows.append(CourseResult(name=course.name, grade=course.grade, credits=_credits(course.credits),
                                 pass_fail=False, points=float(points), quality_points=round2(course_quality),
                                 counts_in_gpa=True, earned=passed))

    gpa = round2(quality / gpa_credits) if gpa_credits > 0 else None
    message = None
    if gpa is None:
        message = "No graded courses: pass/fail courses earn credits but do not count in the GPA."

    result = GpaResult(gpa=gpa, total_credits=_credits(total), gpa_credits=_credits(gpa_credits),
                       quality_points=round2(quality), credits_earned=_credits(earned),
                       pass_fail_credits=_credits(pf_credits), course_count=len(rows), courses=rows,
                       message=message)

    base_quality, base_credits, based_on = quality, gpa_credits, "term"
    if request.prior_gpa is not None and request.prior_credits is not None:
        base_quality = quality + request.prior_gpa * request.prior_credits
        base_credits = gpa_credits + request.prior_credits
        based_on = "cumulative"
        result.cumulative_credits = _credits(base_credits)
        result.cumulative_gpa = round2(base_quality / base_credits) if base_credits > 0 else None

    if request.target_gpa is not None and request.remaining_credits is not None:
        result.what_if = what_if(base_quality, base_credits, request.target_gpa,
                                 request.remaining_credits, based_on)
    return result


def what_if(quality: Decimal, credits: Decimal, target: Decimal, remaining: Decimal,
            based_on: str) -> WhatIf:
    """Which average the remaining credits need so the GPA over everything reaches target."""
    overall = credits + remaining
    required = (target * overall - quality) / remaining
    best = (quality + MAX_GPA * remaining) / overall
    worst = quality / overall
    record = "cumulative GPA" if based_on == "cumulative" else "GPA"
    rem = _fmt(remaining)
    tgt = _fmt(target)
    if required <= 0:
        shown, achievable, guaranteed = Decimal(0), True, True
        message = (f"Your {record} stays at or above {tgt} whatever you earn in the remaining {rem} credits "
                   f"(even all F's leave it at {round2(worst):.2f}).")
    else:
        # Rounded up: the average shown is always enough.
        shown = required.quantize(TWO, rounding=ROUND_CEILING)
        achievable, guaranteed = required <= MAX_GPA, False
        if achievable:
            message = (f"You need an average of at least {shown:.2f} over the remaining {rem} credits "
                       f"to reach a {record} of {tgt}.")
        else:
            message = (f"A {record} of {tgt} cannot be reached: it would need an average of {shown:.2f} over "
                       f"the remaining {rem} credits, above the 4.00 maximum; straight A's give at most "
                       f"{round2(best):.2f}.")
    return WhatIf(target_gpa=float(target), remaining_credits=_credits(remaining),
                  required_average=float(shown), achievable=achievable, already_guaranteed=guaranteed,
                  best_possible_gpa=round2(best), worst_possible_gpa=round2(worst), based_on=based_on,
                  message=message)


def grade_scale() -> GradeScale:
    """The rules a client needs (GET /meta, also at GET /grades): the grades and their
    points, the pass/fail grades (and the two a course is stored with), and the limits of
    every number parse_request checks. The page builds its inputs from this."""
    return GradeScale.model_validate({
        "grades": [{"grade": g, "points": float(p)} for g, p in GRADE_POINTS.items()],
        "pass_fail": {"pass": sorted(PASS_GRADES), "fail": sorted(FAIL_GRADES),
                      "choices": sorted(set(PASS_GRADES.values())) + sorted(set(FAIL_GRADES.values()))},
        "limits": {"max_courses": MAX_COURSES, "max_credits_per_course": float(MAX_CREDITS_PER_COURSE),
                   "credit_decimals": NUMBER_RULES["credits"].places, "max_name_length": MAX_NAME_LENGTH},
        "numbers": {name: rule.public() for name, rule in NUMBER_RULES.items()},
        "rounding": "two decimals, half up",
    })
