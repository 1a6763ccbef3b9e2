"""Single sign-on with OpenID Connect against a real provider running as a process
(tests/oidc_provider.py: oidc-provider-mock from PyPI, with PKCE checked), the gateway and
user-management as real processes, on SQLite and on PostgreSQL.

A person the provider knows presses the button, signs in there and comes back with the
platform's own token: created just in time with the role their groups map to, the same
account at every later sign-in (by the provider's subject), the role updated from the
provider each time (a change ends the earlier sessions). Every bad answer is refused
with a code the sign-in page explains, never a 500 and never a session.
"""
from __future__ import annotations

import uuid

import pytest
import requests

from conftest import require_backend
from tests.harness import DEFAULT_USERS, NEW_USER_PASSWORD, Stack, assert_envelope, wait_until
from tests.oidc_harness import (
    CLIENT_ID,
    GROUPS,
    Provider,
    authorize,
    begin,
    query,
    session_of,
    sign_in,
    sso_env,
    sso_error,
)

SERVICES = ["gateway", "user-management"]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    running = Provider(tmp_path_factory.mktemp("oidc-provider")).start()
    yield running
    running.stop()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sso(request, provider, tmp_path_factory, pg_databases):
    require_backend(request.param)
    pg_name = pg_databases.create() if request.param == "postgresql" else None
    platform = Stack(tmp_path_factory.mktemp(f"sso-{request.param}"), request.param, pg_name, sso_env(provider))
    try:
        platform.start(SERVICES)
        yield platform
    finally:
        platform.stop()


def person(provider: Provider, role: str | None, **claims) -> tuple[str, str]:
    """A person the provider knows (with the groups of `role`): (subject, email)."""
    sub = f"p-{uuid.uuid4().hex[:12]}"
    email = claims.pop("email", f"{sub}@uni.example.edu")
    provider.set_person(sub, email, claims.pop("name", "Jane Doe"), GROUPS[role] if role else None, **claims)
    return sub, email


def users_with_email(stack: Stack, email: str) -> int:
    return stack.sql("users.db", "SELECT COUNT(*) FROM users WHERE email_key = ?", (email.lower(),))[0][0]


def test_the_sign_in_page_is_told_about_the_button(sso):
    methods = sso.api("GET", "/auth/methods").json()
    assert methods == {"password": True, "registration": True,
                       "sso": {"display_name": "Example University", "start_url": "/auth/oidc/start"}}


def test_first_sign_in_creates_the_user_with_the_mapped_role(sso, provider):
    sub, email = person(provider, "faculty", name="Ada Lovelace")
    with requests.Session() as browser:
        authorization = begin(browser, sso.url(), provider, "/booking.html")
        asked = query(authorization)
        assert asked["client_id"] == CLIENT_ID and asked["response_type"] == "code"
        assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
        assert asked["nonce"] and asked["state"] and set(asked["scope"].split()) >= {"openid", "email", "profile"}
        assert asked["redirect_uri"] == f"{sso.url()}/auth/oidc/callback"
        callback = authorize(authorization, sub)
        response = browser.get(callback, allow_redirects=False, timeout=30)
    token, user, next_page = session_of(response)
    assert response.headers["Cache-Control"] == "no-store"
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert token not in callback and next_page == "/booking.html"
    assert user["email"] == email and user["name"] == "Ada Lovelace" and user["role"] == "faculty"
    # The token is the platform's own: the gateway and a service accept it as a password login's.
    me = sso.api("GET", "/auth/me", token)
    assert me.status_code == 200 and me.json()["role"] == "faculty" and me.json()["id"] == user["id"]
    own = sso.api("GET", f"/users/{user['id']}", token, service="user-management")
    assert own.status_code == 200 and own.json()["email"] == email
    # No password exists for the account: a password login cannot reach it.
    assert_envelope(sso.api("POST", "/auth/login", json={"email": email, "password": "!"}), 401)
    # The next sign-in finds the same account by the subject.
    _, again, _ = sign_in(sso.url(), provider, sub)
    assert again["id"] == user["id"] and users_with_email(sso, email) == 1


def test_the_role_follows_the_provider_and_a_change_ends_earlier_sessions(sso, provider):
    sub, email = person(provider, "student")
    student_token, user, _ = sign_in(sso.url(), provider, sub)
    assert user["role"] == "student"
    provider.set_person(sub, email, "Jane Doe", GROUPS["admin"])
    admin_token, promoted, _ = sign_in(sso.url(), provider, sub)
    assert promoted["id"] == user["id"] and promoted["role"] == "admin"
    assert sso.api("GET", "/api/users", admin_token).status_code == 200
    # The student token still says "student": it stops working everywhere.
    wait_until(lambda: sso.api("GET", "/auth/me", student_token).status_code == 401, 10, 0.1,
               "the gateway to refuse the earlier token")
    wait_until(lambda: sso.api("GET", f"/users/{user['id']}", student_token, service="user-management")
               .status_code == 401, 10, 0.1, "user-management to refuse the earlier token")
    assert sso.api("GET", "/auth/me", admin_token).status_code == 200
    # Out of every group: a student again.
    provider.set_person(sub, email, "Jane Doe", [])
    _, demoted, _ = sign_in(sso.url(), provider, sub)
    assert demoted["role"] == "student"
    wait_until(lambda: sso.api("GET", "/auth/me", admin_token).status_code == 401, 10, 0.1,
               "the admin token to be refused")


def test_an_existing_account_is_linked_by_its_verified_address(sso, provider):
    admin = sso.token("admin")
    local = sso.new_user("student", admin)
    sub, _ = person(provider, "faculty", email=local["email"])
    _, user, _ = sign_in(sso.url(), provider, sub)
    assert user["id"] == local["id"] and user["role"] == "faculty"
    # The break-glass admin is never taken over by the provider.
    sub, _ = person(provider, "student", email=DEFAULT_USERS["admin"][0])
    with requests.Session() as browser:
        callback = authorize(begin(browser, sso.url(), provider), sub)
        assert sso_error(browser.get(callback, allow_redirects=False, timeout=30)) == "break_glass_account"
    me = sso.api("GET", "/auth/me", sso.token("admin")).json()
    assert me["role"] == "admin"
    # An address the provider has not verified links nothing either.
    other = sso.new_user("faculty", admin)
    sub, _ = person(provider, "student", email=other["email"], email_verified=False)
    with requests.Session() as browser:
        callback = authorize(begin(browser, sso.url(), provider), sub)
        assert sso_error(browser.get(callback, allow_redirects=False, timeout=30)) == "email_unverified"
    assert sso.api("GET", "/auth/me", sso.login(other["email"], NEW_USER_PASSWORD)).json()["role"] == "faculty"


def test_a_wrong_state_signs_nobody_in(sso, provider):
    sub, email = person(provider, "student")
    with requests.Session() as browser:
        callback = authorize(begin(browser, sso.url(), provider), sub)
        forged = callback.replace(f"state={query(callback)['state']}", "state=not-the-state")
        assert sso_error(browser.get(forged, allow_redirects=False, timeout=30)) == "invalid_state"
        # No state at all
        assert sso_error(browser.get(f"{sso.url()}/auth/oidc/callback?code=x", allow_redirects=False,
                                     timeout=30)) == "invalid_state"
    # The right state in another browser (a link someone was sent): not theirs to use.
    with requests.Session() as browser:
        callback = authorize(begin(browser, sso.url(), provider), sub)
    with requests.Session() as other_browser:
        assert sso_error(other_browser.get(callback, allow_redirects=False, timeout=30)) == "invalid_state"
    assert users_with_email(sso, email) == 0


def test_a_replayed_code_is_refused(sso, provider):
    sub, _ = person(provider, "student")
    with requests.Session() as browser:
        callback = authorize(begin(browser, sso.url(), provider), sub)
        session_of(browser.get(callback, allow_redirects=False, timeout=30))
        # The same callback again: its state was used.
        assert sso_error(browser.get(callback, allow_redirects=False, timeout=30)) == "invalid_state"
        # The used code under a fresh attempt of this browser: the provider refuses it.
        fresh = query(begin(browser, sso.url(), provider))["state"]
        replay = callback.replace(f"state={query(callback)['state']}", f"state={fresh}")
        assert sso_error(browser.get(replay, allow_redirects=False, timeout=30)) == "code_rejected"


@pytest.mark.parametrize("mode, code", [("wrong_key", "id_token_signature"), ("wrong_audience", "id_token_audience"),
                                        ("expired", "id_token_expired"), ("wrong_issuer", "id_token_issuer")])
def test_an_id_token_that_does_not_verify_is_refused(sso, provider, mode, code):
    sub, email = person(provider, "admin")
    provider.misbehave(mode)
    try:
        with requests.Session() as browser:
            callback = authorize(begin(browser, sso.url(), provider), sub)
            assert sso_error(browser.get(callback, allow_redirects=False, timeout=30)) == code
    finally:
        provider.misbehave(None)
    assert users_with_email(sso, email) == 0


def test_the_provider_denying_or_being_down_is_said_plainly(sso, provider):
    with requests.Session() as browser:
        state = query(begin(browser, sso.url(), provider))["state"]
        denied = browser.get(f"{sso.url()}/auth/oidc/callback", params={"error": "access_denied", "state": state},
                             allow_redirects=False, timeout=30)
        assert sso_error(denied) == "denied"
    sub, _ = person(provider, "faculty")
    with requests.Session() as browser:
        callback = authorize(begin(browser, sso.url(), provider), sub)
        provider.stop()
        try:
            # The token endpoint cannot be reached: a message, not a 500 (and no session).
            assert sso_error(browser.get(callback, allow_redirects=False, timeout=30)) == "provider_unavailable"
        finally:
            provider.start()      # a new signing key: the gateway must read the JWKS again
    sub, _ = person(provider, "faculty")
    _, user, _ = sign_in(sso.url(), provider, sub)
    assert user["role"] == "faculty"


def test_local_passwords_off_except_for_the_break_glass_admin(sso, provider):
    """LOCAL_LOGIN_ENABLED=false (a gateway restarted with it); the provider is down at
    first, so the discovery document cannot be read: a message again."""
    gateway = sso.services["gateway"]
    gateway.stop()
    provider.stop()
    try:
        sso.service("gateway", LOCAL_LOGIN_ENABLED="false").start()
        with requests.Session() as browser:
            down = browser.get(f"{sso.url()}/auth/oidc/start", allow_redirects=False, timeout=30)
            assert sso_error(down) == "provider_unavailable"
        provider.start()
        assert sso.api("GET", "/auth/methods").json()["password"] is False
        assert sso.api("GET", "/auth/methods").json()["registration"] is False
        refused = sso.api("POST", "/auth/login", json=dict(zip(("email", "password"), DEFAULT_USERS["student"])))
        assert_envelope(refused, 403, "local_login_disabled")
        assert_envelope(sso.api("POST", "/auth/register", json={"name": "X", "email": "x@example.com",
                                                                 "password": NEW_USER_PASSWORD}), 403)
        assert sso.token("admin")            # the break-glass admin (admin@example.com by default)
        sub, _ = person(provider, "student")
        _, user, _ = sign_in(sso.url(), provider, sub)
        assert user["role"] == "student"
    finally:
        if provider.proc is None:
            provider.start()
        sso.services["gateway"].stop()
        sso.service("gateway", LOCAL_LOGIN_ENABLED="true").start()


# ------------------------------------------------------------------ the rules, in process
def _config(**env: str):
    from gateway_app.oidc import OidcConfig

    from shared.config import load_settings

    return OidcConfig.from_settings(load_settings({"FLASK_ENV": "testing", "JWT_SECRET_KEY": "x" * 32,
                                                   "OIDC_ISSUER": "https://idp.example.edu/",
                                                   "OIDC_CLIENT_ID": "hub", "OIDC_CLIENT_SECRET": "s", **env}))


@pytest.mark.fast
def test_roles_map_from_a_string_a_list_or_a_nested_claim():
    from gateway_app.oidc import map_role

    config = _config(OIDC_ROLE_CLAIM="groups", OIDC_ADMIN_VALUES="it-staff", OIDC_FACULTY_VALUES="lecturers,deans")
    assert map_role(config, {"groups": ["students", "deans"]}) == "faculty"
    assert map_role(config, {"groups": ["lecturers", "it-staff"]}) == "admin"     # the higher role wins
    assert map_role(config, {"groups": "it-staff"}) == "admin"
    assert map_role(config, {"groups": [{"name": "it-staff"}]}) == "student"      # not a string: no role
    assert map_role(config, {}) == "student"
    nested = _config(OIDC_ROLE_CLAIM="realm_access.roles", OIDC_FACULTY_VALUES="faculty")
    assert map_role(nested, {"realm_access": {"roles": ["faculty"]}}) == "faculty"
    assert map_role(_config(), {"groups": ["it-staff"]}) is None                  # roles not the provider's


@pytest.mark.fast
def test_the_person_needs_an_address_and_entra_sends_it_as_the_username():
    from gateway_app.oidc import SignInFailed, person

    config = _config()
    assert config.issuer == "https://idp.example.edu"
    entra = person(config, {"sub": "abc", "preferred_username": "ada@uni.example.edu", "given_name": "Ada",
                            "family_name": "Lovelace"})
    assert entra["email"] == "ada@uni.example.edu" and entra["name"] == "Ada Lovelace"
    assert entra["email_verified"] is None and entra["role"] is None
    with pytest.raises(SignInFailed) as failed:
        person(config, {"sub": "abc", "preferred_username": "ada"})
    assert failed.value.code == "no_email"


@pytest.mark.fast
def test_production_asks_for_https_and_a_redirect_uri():
    from shared.config import ConfigError

    with pytest.raises(ConfigError, match="OIDC_ISSUER"):
        _config(FLASK_ENV="production", OIDC_ISSUER="http://idp.example.edu",
                OIDC_REDIRECT_URI="https://hub.example.edu/auth/oidc/callback")
    with pytest.raises(ConfigError, match="OIDC_REDIRECT_URI"):
        _config(FLASK_ENV="production")
    assert _config(OIDC_CLIENT_SECRET="") is None       # all three, or single sign-on is off
