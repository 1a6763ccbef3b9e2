"""The OpenID Connect provider of the single sign-on tests (tests/oidc_provider.py) as a
process, and the steps a browser takes through a sign-on, for tests/test_oidc.py and
tests/browser/test_oidc_login.py."""
from __future__ import annotations

import html
import json
import re
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

from shared.config import REPO_ROOT
from tests.harness import free_port, wait_until

CLIENT_ID = "campus-hub-tests"
GROUPS = {"admin": ["staff", "campus-admins"], "faculty": ["staff", "lecturers"], "student": ["students"]}


def sso_env(provider: "Provider", **extra: str) -> dict[str, str]:
    """A platform that signs people in through this provider."""
    return {"OIDC_ISSUER": provider.url, "OIDC_CLIENT_ID": CLIENT_ID, "OIDC_CLIENT_SECRET": "tests-only-secret",
            "SSO_DISPLAY_NAME": "Example University", "OIDC_ROLE_CLAIM": "groups",
            "OIDC_ADMIN_VALUES": "campus-admins,it-staff", "OIDC_FACULTY_VALUES": "lecturers,professors", **extra}


class Provider:
    """tests/oidc_provider.py on a port of its own; stop() and start() again (a new signing
    key each time, as after a key rotation) to play a provider that is down."""

    def __init__(self, log_dir: Path):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log_dir / f"oidc-provider-{self.port}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Provider":
        with open(self.log, "ab") as out:
            self.proc = subprocess.Popen([sys.executable, "-m", "tests.oidc_provider", "--port", str(self.port)],
                                         cwd=str(REPO_ROOT), stdout=out, stderr=subprocess.STDOUT,
                                         start_new_session=True)

        def up() -> bool:
            assert self.proc.poll() is None, f"the provider exited; see {self.log}"
            try:
                return requests.get(f"{self.url}/.well-known/openid-configuration", timeout=2).status_code == 200
            except requests.RequestException:
                return False
        wait_until(up, 30, 0.1, "the OpenID Connect provider")
        return self

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(15)
        self.proc = None

    def set_person(self, sub: str, email: str, name: str, groups: list[str] | None = None, **claims) -> None:
        body = {"email": email, "email_verified": True, "name": name, **claims}
        if groups is not None:
            body["groups"] = groups
        response = requests.put(f"{self.url}/users/{sub}", json=body, timeout=10)
        assert response.status_code == 204, response.text

    def misbehave(self, mode: str | None) -> None:
        response = requests.put(f"{self.url}/test/misbehave", json={"id_token": mode}, timeout=10)
        assert response.status_code == 200, response.text


def begin(browser: requests.Session, gateway: str, provider: Provider, next_page: str | None = None) -> str:
    """Press the button: the gateway sends the browser to the provider (the URL it goes to)."""
    response = browser.get(f"{gateway}/auth/oidc/start", params={"next": next_page} if next_page else None,
                           allow_redirects=False, timeout=30)
    assert response.status_code == 303, response.text[:300]
    location = response.headers["Location"]
    assert location.startswith(f"{provider.url}/oauth2/authorize?"), location
    return location


def authorize(authorization_url: str, sub: str) -> str:
    """Sign in at the provider's page as `sub`: the callback URL it sends the browser to."""
    response = requests.post(authorization_url, data={"sub": sub}, allow_redirects=False, timeout=30)
    assert response.status_code == 302, response.text[:300]
    return response.headers["Location"]


def query(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def sso_error(response: requests.Response) -> str:
    """The code a failed sign-on sends the browser back to the sign-in page with."""
    assert response.status_code == 303, f"{response.status_code}: {response.text[:300]}"
    location = response.headers["Location"]
    assert location.startswith("/?sso_error="), location
    return query(location)["sso_error"]


def session_of(response: requests.Response) -> tuple[str, dict, str]:
    """The completion page's token, user and next page (what sso-complete.js stores)."""
    assert response.status_code == 200, f"{response.status_code}: {response.headers.get('Location')}"
    found = dict(re.findall(r'data-(token|user|next)="([^"]*)"', response.text))
    return html.unescape(found["token"]), json.loads(html.unescape(found["user"])), html.unescape(found["next"])


def sign_in(gateway: str, provider: Provider, sub: str, next_page: str | None = None) -> tuple[str, dict, str]:
    """A whole sign-on in a fresh browser: (token, user, next page)."""
    with requests.Session() as browser:
        callback = authorize(begin(browser, gateway, provider, next_page), sub)
        return session_of(browser.get(callback, allow_redirects=False, timeout=30))
