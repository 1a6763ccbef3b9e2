"""No shared constant secret: without JWT_SECRET_KEY, outside production, a checkout signs
with a random secret of its own, made once in a git-ignored file that every service
reads; production still refuses to start without a secret of the deployer's."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import jwt
import pytest

from shared.config import REPO_ROOT, ConfigError, load_settings
from tests.harness import assert_envelope

# The constant every checkout used to sign with when JWT_SECRET_KEY was unset.
FORMER_CONSTANT = "dev-only-insecure-secret-change-me-0123456789"
PRINT_SECRET = "from shared.config import load_settings; print(load_settings().jwt_secret_key)"


def _admin_claims(sub: str) -> dict:
    now = datetime.now(timezone.utc)
    return {"sub": sub, "email": "admin@example.com", "name": "Admin", "role": "admin",
            "iat": now, "exp": now + timedelta(hours=1), "jti": "forged"}


def test_services_without_a_secret_share_one_made_for_the_checkout(make_stack, tmp_path):
    secret_file = tmp_path / "run" / "jwt_secret"
    stack = make_stack("sqlite", extra_env={"JWT_SECRET_KEY": "", "JWT_SECRET_FILE": str(secret_file),
                                            "FLASK_ENV": "development"})
    stack.start(["gateway", "user-management", "gpa-calculator"])

    secret = secret_file.read_text().strip()
    assert len(secret) == 64 and int(secret, 16)
    assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
    token = stack.token("admin")
    claims = jwt.decode(token, secret, algorithms=["HS256"])
    # Every service (several workers each) accepts the gateway's token: one secret.
    me = stack.api("GET", f"/users/{claims['sub']}", token, service="user-management")
    assert me.status_code == 200, me.text
    gpa = stack.api("POST", "/calculate", token, service="gpa-calculator",
                    json={"courses": [{"grade": "A", "credits": 3}]})
    assert gpa.status_code == 200, gpa.text
    # The repository's former constant mints nothing any more.
    forged = jwt.encode(_admin_claims(claims["sub"]), FORMER_CONSTANT, algorithm="HS256")
    assert_envelope(stack.api("GET", "/api/users", forged), 401)
    assert_envelope(stack.api("GET", "/users", forged, service="user-management"), 401)


def test_processes_starting_at_once_agree_on_the_secret(tmp_path):
    secret_file = tmp_path / "jwt_secret"
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "ENV_FILE": "/nonexistent", "JWT_SECRET_KEY": "",
           "JWT_SECRET_FILE": str(secret_file), "FLASK_ENV": "development"}
    procs = [subprocess.Popen([sys.executable, "-c", PRINT_SECRET], env=env, stdout=subprocess.PIPE, text=True)
             for _ in range(8)]
    secrets_seen = {proc.communicate(timeout=60)[0].strip() for proc in procs}
    assert secrets_seen == {secret_file.read_text().strip()}
    # Another checkout (another file) gets another secret.
    other = load_settings({"JWT_SECRET_FILE": str(tmp_path / "other" / "jwt_secret")}).jwt_secret_key
    assert other not in secrets_seen and len(other) == 64


def test_the_example_value_counts_as_unset_outside_production(tmp_path):
    settings = load_settings({"JWT_SECRET_KEY": "your-secret-key-change-in-production",
                              "JWT_SECRET_FILE": str(tmp_path / "jwt_secret")})
    assert settings.jwt_secret_key == (tmp_path / "jwt_secret").read_text().strip()


@pytest.mark.parametrize("secret", [None, "", "your-secret-key-change-in-production"])
def test_production_never_uses_the_checkout_secret(tmp_path, secret):
    secret_file = tmp_path / "jwt_secret"
    secret_file.write_text("a" * 64)
    env = {"FLASK_ENV": "production", "JWT_SECRET_FILE": str(secret_file)}
    if secret is not None:
        env["JWT_SECRET_KEY"] = secret
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        load_settings(env)


def test_the_secret_file_is_ignored_by_git():
    result = subprocess.run(["git", "check-ignore", "-q", "run/jwt_secret"], cwd=REPO_ROOT)
    assert result.returncode == 0
