"""Users in bulk through the gateway: the CSV dry run (each bad row by line and reason), the
import (1,000 rows a transaction, progress, idempotent when run twice), the export, and
the server-side search. SQLite and PostgreSQL."""
from __future__ import annotations

import csv
import io
import uuid

from tests.harness import DEFAULT_USERS, assert_envelope, wait_until


def tag() -> str:
    return uuid.uuid4().hex[:8]


def check(stack, token, text):
    return stack.api("POST", "/api/users/import/check", token, json={"csv": text})


def run_import(stack, token, text) -> dict:
    started = stack.api("POST", "/api/users/imports", token, json={"csv": text})
    assert started.status_code == 202, started.text
    job = started.json()
    assert job["status"] in ("running", "done") and job["total"] >= job["importable"]
    seen = [job["done"]]

    def finished():
        answer = stack.api("GET", f"/api/users/imports/{job['id']}", token).json()
        seen.append(answer["done"])
        return answer if answer["status"] != "running" else None
    final = wait_until(finished, timeout=120, interval=0.02, message="the import to finish")
    # Progress moves a whole transaction of 1,000 rows at a time (the last one smaller).
    assert all(done % 1000 == 0 or done == final["importable"] for done in seen), seen
    assert seen == sorted(seen)
    return final


def test_dry_run_reports_each_bad_row_by_line(stack, tokens):
    t = tag()
    admin_email = DEFAULT_USERS["admin"][0]
    text = (f"Name,E-mail ignored,Email,ROLE\n"          # columns in any order and case; unknown ones ignored
            f"Ada {t},x,ada-{t}@example.edu,faculty\n"
            f"Bad {t},x,not-an-email,student\n"
            f"Role {t},x,role-{t}@example.edu,janitor\n"
            f"Ada again,x,ADA-{t}@example.edu,student\n"
            f"Admin,x,{admin_email},admin\n"
            f",x,empty-{t}@example.edu,student\n"
            f"\n"
            f"Blank role {t},x,blank-{t}@example.edu,\n")
    report = check(stack, tokens["admin"], text)
    assert report.status_code == 200, report.text
    body = report.json()
    assert (body["rows"], body["new"], body["problem_count"]) == (7, 2, 5)
    reasons = {p["line"]: p["reason"] for p in body["problems"]}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert reasons[3].startswith("bad e-mail")
    assert reasons[4].startswith("unknown role 'janitor'")
    assert reasons[5] == "duplicate in the file: the same e-mail as line 2"
    assert reasons[6].startswith("already exists")
    assert reasons[7] == "the name is empty"
    # A dry run writes nothing.
    found = stack.api("GET", f"/api/users?q=ada-{t}", tokens["admin"]).json()
    assert found["total"] == 0


def test_import_creates_once_and_reports_progress(stack, tokens):
    t = tag()
    lines = ["email,name,role"] + [f"bulk{i}-{t}@example.edu,Bulk Person {i} {t},student" for i in range(2500)]
    lines.append(f"bad-{t},Nobody,student")
    text = "\n".join(lines) + "\n"
    job = run_import(stack, tokens["admin"], text)
    assert job["status"] == "done", job
    assert (job["total"], job["importable"], job["done"], job["created"], job["skipped"]) == (2501, 2500, 2500, 2500, 1)

    page = stack.api("GET", f"/api/users?q={t}&per_page=100&page=2", tokens["admin"]).json()
    assert page["total"] == 2500 and page["pages"] == 25 and len(page["users"]) == 100
    assert all(u["role"] == "student" and t in u["email"] for u in page["users"])
    # Imported accounts have no password: single sign-on, or "Forgot password".
    response = stack.api("POST", "/auth/login", json={"email": f"bulk7-{t}@example.edu", "password": "anything-at-all"})
    assert_envelope(response, 401, "invalid_credentials")

    again = run_import(stack, tokens["admin"], text)
    assert (again["created"], again["skipped"], again["done"]) == (0, 2501, 2500)
    assert stack.api("GET", f"/api/users?q={t}", tokens["admin"]).json()["total"] == 2500
    report = check(stack, tokens["admin"], text).json()
    assert report["new"] == 0 and report["problem_count"] == 2501


def test_export_is_csv_of_everyone(stack, tokens):
    t = tag()
    run_import(stack, tokens["admin"], f"email,name,role\nexp-{t}@example.edu,=HYPERLINK(\"x\") {t},faculty\n")
    response = stack.api("GET", "/api/users/export", tokens["admin"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/csv")
    assert "users.csv" in response.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert list(rows[0]) == ["email", "name", "role", "created_at"]
    emails = {r["email"]: r for r in rows}
    assert DEFAULT_USERS["student"][0] in emails
    assert emails[f"exp-{t}@example.edu"]["name"] == f"'=HYPERLINK(\"x\") {t}"     # never a formula
    assert emails[f"exp-{t}@example.edu"]["role"] == "faculty"
    total = stack.api("GET", "/api/users?per_page=1", tokens["admin"]).json()["total"]
    assert len(rows) >= total - 5     # other tests may add users meanwhile, never remove many


def test_search_by_name_or_email(stack, tokens):
    t = tag()
    run_import(stack, tokens["admin"], f"email,name,role\nzed-{t}@example.edu,Zoë Percent_{t},faculty\n"
                                       f"other-{t}@example.edu,Someone Else {t},student\n")
    by_name = stack.api("GET", f"/api/users?q=ZOË PERCENT_{t}", tokens["admin"]).json()
    assert [u["email"] for u in by_name["users"]] == [f"zed-{t}@example.edu"]
    by_email = stack.api("GET", f"/api/users?q=OTHER-{t}@", tokens["admin"]).json()
    assert [u["name"] for u in by_email["users"]] == [f"Someone Else {t}"]
    # % and _ are letters here, not wildcards.
    assert stack.api("GET", f"/api/users?q=Percent%25{t}", tokens["admin"]).json()["total"] == 0
    assert stack.api("GET", f"/api/users?q={t}&role=student", tokens["admin"]).json()["total"] == 1


def test_bad_files_and_roles(stack, tokens):
    assert_envelope(check(stack, tokens["admin"], "mail,fullname\nx@example.edu,X\n"), 400, "bad_csv_header")
    too_many = "email,name,role\n" + "".join(f"m{i}@example.edu,M {i},student\n" for i in range(50_001))
    assert_envelope(check(stack, tokens["admin"], too_many), 400, "too_many_rows")
    assert_envelope(check(stack, tokens["admin"], ""), 400)
    for role in ("student", "faculty"):
        assert_envelope(check(stack, tokens[role], "email,name,role\n"), 403)
        assert_envelope(stack.api("GET", "/api/users/export", tokens[role]), 403)
        assert_envelope(stack.api("POST", "/api/users/imports", tokens[role], json={"csv": "email,name\n"}), 403)
    assert_envelope(stack.api("GET", "/api/users/imports/no-such-import", tokens["admin"]), 404)
