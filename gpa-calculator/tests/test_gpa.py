"""GPA calculator: the arithmetic as unit tests, then the HTTP API through the gateway."""
from __future__ import annotations

from decimal import Decimal

import pytest
from gpa_service import gpa

from shared.errors import ValidationFailed  # noqa: E402
from tests.harness import assert_envelope

SPEC_EXAMPLE = {"courses": [{"grade": "A", "credits": 3}, {"grade": "B", "credits": 4}, {"grade": "A", "credits": 3}]}


def compute(body):
    return gpa.calculate(gpa.parse_request(body)).model_dump()


def problem(body) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as info:
        gpa.parse_request(body)
    return info.value


# ----------------------------------------------------------------------------- unit tests
@pytest.mark.fast
def test_spec_example_is_three_point_six():
    result = compute(SPEC_EXAMPLE)
    assert result["gpa"] == 3.6
    assert result["total_credits"] == 10
    assert result["quality_points"] == 36.0
    assert result["credits_earned"] == 10


@pytest.mark.parametrize("grade,points", [
    ("A", 4.0), ("A-", 3.7), ("B+", 3.3), ("B", 3.0), ("B-", 2.7), ("C+", 2.3), ("C", 2.0),
    ("C-", 1.7), ("D+", 1.3), ("D", 1.0), ("D-", 0.7), ("F", 0.0)])
@pytest.mark.fast
def test_every_letter_grade(grade, points):
    assert compute({"courses": [{"grade": grade, "credits": 3}]})["gpa"] == points


@pytest.mark.fast
def test_grade_is_case_insensitive_and_trimmed():
    result = compute({"courses": [{"grade": " b+ ", "credits": 3}, {"grade": "a-", "credits": 3}]})
    assert result["gpa"] == 3.5
    assert [c["grade"] for c in result["courses"]] == ["B+", "A-"]


@pytest.mark.fast
def test_rounds_half_up_to_two_decimals():
    # A x 1 + B x 7 = 25 / 8 = 3.125 exactly: half up gives 3.13 (round() would give 3.12)
    courses = [{"grade": "A", "credits": 1}] + [{"grade": "B", "credits": 1}] * 7
    assert compute({"courses": courses})["gpa"] == 3.13
    # A- + B = 3.35 exactly, kept
    assert compute({"courses": [{"grade": "A-", "credits": 1}, {"grade": "B", "credits": 1}]})["gpa"] == 3.35
    assert gpa.round2(Decimal("2.675")) == 2.68      # float rounding would give 2.67


@pytest.mark.fast
def test_fractional_credits_and_numeric_strings():
    result = compute({"courses": [{"grade": "A", "credits": 1.5}, {"grade": "C", "credits": "1.5"}]})
    assert result["gpa"] == 3.0
    assert result["total_credits"] == 3
    result = compute({"courses": [{"grade": "A", "credits": 0.5}]})
    assert result["total_credits"] == 0.5


@pytest.mark.fast
def test_f_counts_in_gpa_but_earns_nothing():
    result = compute({"courses": [{"grade": "A", "credits": 3}, {"grade": "F", "credits": 3}]})
    assert result["gpa"] == 2.0
    assert result["credits_earned"] == 3
    assert result["total_credits"] == 6


@pytest.mark.fast
def test_pass_fail_courses_earn_credits_outside_the_gpa():
    result = compute({"courses": [
        {"grade": "B", "credits": 3},
        {"grade": "P", "credits": 2, "pass_fail": True},
        {"grade": "F", "credits": 1, "pass_fail": True},
        {"grade": "pass", "credits": 1},
    ]})
    assert result["gpa"] == 3.0               # the F on pass/fail does not count
    assert result["gpa_credits"] == 3
    assert result["total_credits"] == 7
    assert result["credits_earned"] == 6      # 3 + 2 + 1; the failed pass/fail earns nothing
    assert result["pass_fail_credits"] == 4
    pf = [c for c in result["courses"] if c["pass_fail"]]
    assert [c["earned"] for c in pf] == [True, False, True]
    assert all(c["counts_in_gpa"] is False for c in pf)


@pytest.mark.fast
def test_only_pass_fail_courses_give_no_gpa_and_say_why():
    result = compute({"courses": [{"grade": "P", "credits": 3, "pass_fail": True}]})
    assert result["gpa"] is None
    assert "pass/fail" in result["message"]
    assert result["credits_earned"] == 3


@pytest.mark.fast
def test_pass_fail_course_needs_p_or_f():
    err = problem({"courses": [{"grade": "B", "credits": 3, "pass_fail": True}]})
    assert err.message.startswith("Course 1")
    assert err.details[0]["field"] == "courses.0.grade"


@pytest.mark.fast
def test_cumulative_gpa_over_prior_record():
    # 3.0 over 30 prior credits = 90 points; + A x 10 = 40 points -> 130 / 40 = 3.25
    result = compute({"courses": [{"grade": "A", "credits": 10}], "prior_gpa": 3.0, "prior_credits": 30})
    assert result["gpa"] == 4.0
    assert result["cumulative_gpa"] == 3.25
    assert result["cumulative_credits"] == 40


@pytest.mark.fast
def test_no_prior_means_no_cumulative():
    result = compute(SPEC_EXAMPLE)
    assert result["cumulative_gpa"] is None and result["cumulative_credits"] is None
    assert result["what_if"] is None


@pytest.mark.fast
def test_what_if_reachable():
    # term: 36 points / 10 credits; target 3.5 over 10 + 10 -> needs 70 - 36 = 34 / 10 = 3.4
    result = compute({**SPEC_EXAMPLE, "target_gpa": 3.5, "remaining_credits": 10})
    what = result["what_if"]
    assert what["required_average"] == 3.4
    assert what["achievable"] is True and what["already_guaranteed"] is False
    assert "3.40" in what["message"] and "10 credits" in what["message"]
    assert what["based_on"] == "term"


@pytest.mark.fast
def test_what_if_required_average_is_rounded_up():
    # needs (3.5*13 - 36)/3 = 3.1666.. -> 3.17 (3.16 would not be enough)
    what = compute({**SPEC_EXAMPLE, "target_gpa": 3.5, "remaining_credits": 3})["what_if"]
    assert what["required_average"] == 3.17


@pytest.mark.fast
def test_what_if_unreachable():
    result = compute({"courses": [{"grade": "C", "credits": 30}], "target_gpa": 3.9, "remaining_credits": 10})
    what = result["what_if"]
    # needs (3.9*40 - 60)/10 = 9.6 > 4.0
    assert what["achievable"] is False
    assert what["required_average"] == 9.6
    assert what["best_possible_gpa"] == 2.5
    assert "cannot be reached" in what["message"]


@pytest.mark.fast
def test_what_if_already_guaranteed():
    what = compute({"courses": [{"grade": "A", "credits": 30}], "target_gpa": 2.0, "remaining_credits": 10})["what_if"]
    assert what["achievable"] is True and what["already_guaranteed"] is True
    assert what["required_average"] == 0.0
    assert what["worst_possible_gpa"] == 3.0


@pytest.mark.fast
def test_what_if_uses_cumulative_record_when_given():
    # prior 90 points / 30 credits + 40 / 10 -> 130 / 40; target 3.5 over 60 -> (210 - 130)/20 = 4.0
    what = compute({"courses": [{"grade": "A", "credits": 10}], "prior_gpa": 3, "prior_credits": 30,
                    "target_gpa": 3.5, "remaining_credits": 20})["what_if"]
    assert what["based_on"] == "cumulative"
    assert what["required_average"] == 4.0
    assert what["achievable"] is True


@pytest.mark.parametrize("course,field,fragment", [
    ({"grade": "Q", "credits": 3}, "grade", "unknown grade 'Q'"),
    ({"grade": "", "credits": 3}, "grade", "grade is empty"),
    ({"credits": 3}, "grade", "grade is missing"),
    ({"grade": 4, "credits": 3}, "grade", "grade must be"),
    ({"grade": "A"}, "credits", "credits are missing"),
    ({"grade": "A", "credits": None}, "credits", "credits are missing"),
    ({"grade": "A", "credits": 0}, "credits", "greater than 0"),
    ({"grade": "A", "credits": -3}, "credits", "greater than 0"),
    ({"grade": "A", "credits": "three"}, "credits", "must be a number"),
    ({"grade": "A", "credits": "nan"}, "credits", "must be a number"),
    ({"grade": "A", "credits": "NaN"}, "credits", "must be a number"),
    ({"grade": "A", "credits": "Infinity"}, "credits", "must be a number"),
    ({"grade": "A", "credits": "inf"}, "credits", "must be a number"),
    ({"grade": "A", "credits": "1e3"}, "credits", "must be a number"),
    ({"grade": "A", "credits": float("nan")}, "credits", "must be a number"),
    ({"grade": "A", "credits": float("inf")}, "credits", "must be a number"),
    ({"grade": "A", "credits": True}, "credits", "must be a number"),
    ({"grade": "A", "credits": [3]}, "credits", "must be a number"),
    ({"grade": "A", "credits": 31}, "credits", "at most 30"),
    ({"grade": "A", "credits": 1e308}, "credits", "at most 30"),
    ({"grade": "A", "credits": 1.255}, "credits", "2 decimal places"),
    ({"grade": "A", "credits": 3, "pass_fail": "yes"}, "pass_fail", "true or false"),
    ({"grade": "A", "credits": 3, "name": 7}, "name", "must be text"),
    ({"grade": "A", "credits": 3, "weight": 2}, "weight", "unknown field"),
])
@pytest.mark.fast
def test_bad_course_names_the_course_and_field(course, field, fragment):
    err = problem({"courses": [{"grade": "A", "credits": 3}, course]})
    assert err.message.startswith("Course 2"), err.message
    assert fragment in err.message, err.message
    assert err.details[0]["field"] == f"courses.1.{field}"


@pytest.mark.fast
def test_course_name_appears_in_the_message():
    err = problem({"courses": [{"grade": "Z", "credits": 3, "name": "Physics"}]})
    assert err.message.startswith("Course 1 (Physics): unknown grade 'Z'")


@pytest.mark.fast
def test_every_problem_is_listed_in_details():
    err = problem({"courses": [{"grade": "Q", "credits": 3}, {"grade": "A", "credits": -1}]})
    assert [d["field"] for d in err.details] == ["courses.0.grade", "courses.1.credits"]


@pytest.mark.parametrize("body,field", [
    ({}, "courses"),
    ({"courses": []}, "courses"),
    ({"courses": "A,B"}, "courses"),
    ({"courses": {"grade": "A"}}, "courses"),
    ({"courses": [{"grade": "A", "credits": 1}] * 101}, "courses"),
    ({"courses": ["A"]}, "courses.0"),
    ({**SPEC_EXAMPLE, "prior_gpa": 3.0}, "prior_credits"),
    ({**SPEC_EXAMPLE, "prior_credits": 30}, "prior_gpa"),
    ({**SPEC_EXAMPLE, "prior_gpa": 4.5, "prior_credits": 30}, "prior_gpa"),
    ({**SPEC_EXAMPLE, "prior_gpa": "nan", "prior_credits": 30}, "prior_gpa"),
    ({**SPEC_EXAMPLE, "prior_gpa": 3, "prior_credits": -1}, "prior_credits"),
    ({**SPEC_EXAMPLE, "target_gpa": 3.5}, "remaining_credits"),
    ({**SPEC_EXAMPLE, "target_gpa": 3.5, "remaining_credits": 0}, "remaining_credits"),
    ({**SPEC_EXAMPLE, "target_gpa": -1, "remaining_credits": 10}, "target_gpa"),
    ({**SPEC_EXAMPLE, "semester": "fall"}, "semester"),
    ([], "body"),
])
@pytest.mark.fast
def test_bad_request_shapes(body, field):
    assert problem(body).details[0]["field"] == field


@pytest.mark.fast
def test_hundred_courses_are_fine():
    assert compute({"courses": [{"grade": "B", "credits": 1}] * 100})["gpa"] == 3.0


# ----------------------------------------------------------------------------- HTTP
def calc(stack, token, body):
    return stack.api("POST", "/api/gpa/calculate", token, json=body)


def test_http_spec_example(stack, tokens):
    for role in ("student", "faculty", "admin"):
        response = calc(stack, tokens[role], SPEC_EXAMPLE)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["gpa"] == 3.6
        assert body["total_credits"] == 10


def test_http_plus_minus(stack, tokens):
    response = calc(stack, tokens["student"], {"courses": [{"grade": "A-", "credits": 3}, {"grade": "B+", "credits": 3}]})
    assert response.status_code == 200
    assert response.json()["gpa"] == 3.5


def test_http_needs_a_token(stack):
    assert_envelope(calc(stack, None, SPEC_EXAMPLE), 401)
    assert_envelope(stack.api("POST", "/calculate", None, service="gpa-calculator", json=SPEC_EXAMPLE), 401)
    assert_envelope(stack.api("POST", "/calculate", "not.a.token", service="gpa-calculator", json=SPEC_EXAMPLE), 401)


def test_http_direct_call_with_token(stack, tokens):
    response = stack.api("POST", "/calculate", tokens["student"], service="gpa-calculator", json=SPEC_EXAMPLE)
    assert response.status_code == 200 and response.json()["gpa"] == 3.6


@pytest.mark.parametrize("course,field,fragment", [
    ({"grade": "Q", "credits": 3}, "grade", "unknown grade 'Q'"),
    ({"grade": "A"}, "credits", "credits are missing"),
    ({"grade": "A", "credits": 0}, "credits", "greater than 0"),
    ({"grade": "A", "credits": -2}, "credits", "greater than 0"),
    ({"grade": "A", "credits": "abc"}, "credits", "must be a number"),
    ({"grade": "A", "credits": "nan"}, "credits", "must be a number"),
    ({"grade": "A", "credits": "Infinity"}, "credits", "must be a number"),
    ({"grade": "A", "credits": True}, "credits", "must be a number"),
    ({"grade": "A", "credits": 500}, "credits", "at most 30"),
])
def test_http_bad_course_is_400_naming_the_course(stack, tokens, course, field, fragment):
    response = calc(stack, tokens["student"], {"courses": [{"grade": "B", "credits": 3}, course]})
    body = assert_envelope(response, 400, "validation_error")
    assert body["error"].startswith("Course 2"), body
    assert fragment in body["error"], body
    assert body["details"][0]["field"] == f"courses.1.{field}"


@pytest.mark.parametrize("raw", [
    '{"courses": [{"grade": "A", "credits": NaN}]}',
    '{"courses": [{"grade": "A", "credits": Infinity}]}',
    '{"courses": [{"grade": "A", "credits": 3}',
    '[{"grade": "A", "credits": 3}]',
])
def test_http_malformed_json_and_nan_literals(stack, tokens, raw):
    response = stack.api("POST", "/api/gpa/calculate", tokens["student"], data=raw,
                         headers={"Content-Type": "application/json"})
    assert_envelope(response, 400)


@pytest.mark.parametrize("body", [{"courses": []}, {"courses": "A"}, {"courses": [{"grade": "A", "credits": 1}] * 101}, {}])
def test_http_bad_course_list(stack, tokens, body):
    result = assert_envelope(calc(stack, tokens["student"], body), 400, "validation_error")
    assert result["details"][0]["field"] == "courses"


def test_http_cumulative_pass_fail_and_what_if(stack, tokens):
    body = {"courses": [{"grade": "A", "credits": 10, "name": "Thesis"},
                        {"grade": "P", "credits": 2, "pass_fail": True}],
            "prior_gpa": 3.0, "prior_credits": 30, "target_gpa": 3.5, "remaining_credits": 20}
    response = calc(stack, tokens["faculty"], body)
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["gpa"] == 4.0
    assert result["total_credits"] == 12 and result["credits_earned"] == 12
    assert result["cumulative_gpa"] == 3.25 and result["cumulative_credits"] == 40
    assert result["what_if"]["required_average"] == 4.0 and result["what_if"]["achievable"] is True
    assert result["courses"][0]["name"] == "Thesis"


def test_http_what_if_unreachable(stack, tokens):
    body = {"courses": [{"grade": "D", "credits": 30}], "target_gpa": 3.5, "remaining_credits": 6}
    what = calc(stack, tokens["student"], body).json()["what_if"]
    assert what["achievable"] is False and what["required_average"] > 4.0
    assert "cannot be reached" in what["message"]


def test_http_all_pass_fail_gives_null_gpa(stack, tokens):
    result = calc(stack, tokens["student"], {"courses": [{"grade": "P", "credits": 3, "pass_fail": True}]}).json()
    assert result["gpa"] is None and result["message"]


def test_http_grade_scale(stack, tokens):
    response = stack.api("GET", "/api/gpa/grades", tokens["student"])
    assert response.status_code == 200
    scale = {g["grade"]: g["points"] for g in response.json()["grades"]}
    assert scale["A-"] == 3.7 and scale["D-"] == 0.7 and scale["F"] == 0.0
    assert_envelope(stack.api("GET", "/api/gpa/grades"), 401)


def test_http_ready_without_database(stack):
    response = stack.api("GET", "/ready", service="gpa-calculator")
    assert response.status_code == 200 and response.json()["status"] == "ready"
