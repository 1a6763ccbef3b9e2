"""Each rule is written once, by the service whose domain it is (docs/DEVELOPING.md, "Where
is the rule for X"); everything else reads it. These checks fail when a copy creeps back:
into the pages (which ask the owner through the gateway at run time), the training
script, start_all.sh or the test harness. The owners' own tests prove the endpoints say
exactly the rules (user-management/tests/test_user_roles.py, maintenance/tests/
test_ticket_meta.py, gpa-calculator/tests/test_gpa_meta.py)."""
from __future__ import annotations

import re

import pytest

from shared.accounts import DEFAULT_USERS
from shared.auth import ROLES
from shared.config import REPO_ROOT
from tests.harness import DEFAULT_USERS as HARNESS_USERS

pytestmark = pytest.mark.fast     # in-process: no service processes

STATIC = REPO_ROOT / "gateway" / "static"
BOOKING_PAGES = ("booking", "rooms-admin")
PAGES = sorted(p for p in STATIC.rglob("*") if p.suffix in (".js", ".html"))


def quoted(word: str) -> re.Pattern:
    return re.compile(rf"""['"`>]{re.escape(word)}['"`<]""")


@pytest.mark.parametrize("page", PAGES, ids=lambda p: str(p.relative_to(STATIC)))
def test_no_page_restates_a_rule(page):
    text = page.read_text()
    # A list of roles names the roles that are no admin ('admin' alone is an access check).
    for role in (r for r in ROLES if r != "admin"):
        assert not quoted(role).search(text), f"{page.name} lists the role {role!r}: read GET /api/users/roles"
    # "closed" is also a booking-grid cell state (a room closure), which is the booking page's own.
    for status in ("in_progress", "resolved") + (() if page.stem.startswith(BOOKING_PAGES) else ("closed",)):
        assert not quoted(status).search(text), f"{page.name} names the status {status!r}: read GET /api/maintenance/meta"
    for priority in ("urgent", "standard"):
        assert not quoted(priority).search(text), f"{page.name} names the priority {priority!r}: read the meta"
    for grade in ("A-", "B+", "D-"):
        assert not quoted(grade).search(text), f"{page.name} lists grades: read GET /api/gpa/meta"
    assert "admin123" not in text and "student123" not in text


def test_the_gpa_page_takes_its_number_limits_from_the_service():
    html = (STATIC / "gpa.html").read_text()
    script = (STATIC / "js" / "gpa.js").read_text()
    assert not re.search(r"\b(min|max|step)=", html), "gpa.html restates a limit: gpa.js sets them from GET /meta"
    assert not re.search(r"\b(min|max|step|maxlength):\s*'?\d", script), "gpa.js restates a limit"
    assert "/api/gpa/meta" in script


def test_the_training_script_takes_the_services_categories():
    script = (REPO_ROOT / "maintenance" / "training" / "train.py").read_text()
    assert "from enhanced_model import CATEGORIES" in script
    assert not re.search(r"^CATEGORIES\s*=", script, re.M)


def test_default_accounts_are_defined_once():
    assert HARNESS_USERS == {a.role: (a.email, a.password) for a in DEFAULT_USERS}
    for account in DEFAULT_USERS:
        assert account.password not in (REPO_ROOT / "start_all.sh").read_text()
        assert account.password not in (REPO_ROOT / "user-management" / "users_service" / "users.py").read_text()


def test_no_schema_restates_the_roles():
    for schema in REPO_ROOT.glob("*/*_service/schema.sql"):
        text = schema.read_text()
        assert not quoted("faculty").search(text), f"{schema}: write {{ROLES}} (generated from shared.auth.ROLES)"
