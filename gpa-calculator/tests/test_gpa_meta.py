"""The grades and the limits of every number have one owner, gpa_service/gpa.py: GET /meta
says exactly them, and POST /calculate accepts the limits /meta gives and refuses one step
beyond. In-process (Flask test client; the service has no database)."""
from __future__ import annotations

from decimal import Decimal

import pytest
from gpa_service import create_app, gpa

from shared.auth import issue_token
from shared.revocation import SessionRevocations
from tests.harness import in_process_settings

pytestmark = pytest.mark.fast     # in-process: no service processes


@pytest.fixture
def client(tmp_path):
    settings = in_process_settings(tmp_path)
    app = create_app(settings)
    app.config["SESSIONS"] = SessionRevocations.fixed()
    token = issue_token(settings, user_id="s1", email="s1@example.org", name="S", role="student")
    test_client = app.test_client()
    test_client.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return test_client


def meta(client) -> dict:
    answer = client.get("/meta")
    assert answer.status_code == 200
    return answer.get_json()


def test_meta_is_exactly_the_services_rules(client):
    rules = meta(client)
    assert [(g["grade"], Decimal(str(g["points"]))) for g in rules["grades"]] == list(gpa.GRADE_POINTS.items())
    assert rules["pass_fail"]["pass"] == sorted(gpa.PASS_GRADES)
    assert rules["pass_fail"]["fail"] == sorted(gpa.FAIL_GRADES)
    assert rules["pass_fail"]["choices"] == ["P", "F"]
    assert set(rules["numbers"]) == set(gpa.NUMBER_RULES)
    credits = rules["numbers"]["credits"]
    assert credits == {"minimum": 0.0, "minimum_allowed": False, "decimals": 2,
                       "maximum": float(gpa.MAX_CREDITS_PER_COURSE)}
    assert rules["limits"]["max_credits_per_course"] == credits["maximum"]
    assert rules["limits"]["max_name_length"] == gpa.MAX_NAME_LENGTH
    assert client.get("/grades").get_json() == rules
    assert client.get("/meta", environ_base={"HTTP_AUTHORIZATION": ""}).status_code == 401


def _body(name: str, value) -> dict:
    if name == "credits":
        return {"courses": [{"grade": "A", "credits": value}]}
    partner = {"prior_gpa": "prior_credits", "prior_credits": "prior_gpa",
               "target_gpa": "remaining_credits", "remaining_credits": "target_gpa"}[name]
    fine = {"prior_gpa": 3, "prior_credits": 10, "target_gpa": 3, "remaining_credits": 10}[partner]
    return {"courses": [{"grade": "A", "credits": 3}], name: value, partner: fine}


@pytest.mark.parametrize("name", sorted(gpa.NUMBER_RULES))
def test_calculate_enforces_exactly_the_limits_meta_gives(client, name):
    rule = meta(client)["numbers"][name]
    step = Decimal(1).scaleb(-rule["decimals"])
    maximum, minimum = Decimal(str(rule["maximum"])), Decimal(str(rule["minimum"]))

    def status(value: Decimal) -> int:
        return client.post("/calculate", json=_body(name, str(value))).status_code

    assert status(maximum) == 200, name
    assert status(maximum + step) == 400, name
    assert status(minimum) == (200 if rule["minimum_allowed"] else 400), name
    assert status(minimum + step) == 200, name
    assert status(maximum - step / 10) == 400, name          # one decimal place too many
