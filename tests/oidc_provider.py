"""A real OpenID Connect provider for the single sign-on tests, run as a process of its own:
`python -m tests.oidc_provider --port N`.

It is oidc-provider-mock (PyPI, built on Authlib's server side): discovery, JWKS, the
authorization page where a person types who they are, the token endpoint, and
`PUT /users/<sub>` to set a person's claims (email, name, groups). Added here, because
the tests need it and the mock does not do it:

- PKCE is required and checked: an authorization request without an S256
  code_challenge gets no code, and the token endpoint refuses a code_verifier that does
  not match (the mock itself ignores PKCE);
- `PUT /test/misbehave {"id_token": MODE}` makes the token endpoint hand out a bad ID
  token until reset with {"id_token": null}; MODE is one of `wrong_key` (signed by a key
  that is not in the JWKS, under the real key's id), `wrong_audience`, `expired`,
  `wrong_issuer`.
"""
from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import threading
import time
from urllib.parse import parse_qs, urlsplit

import flask
from joserfc import jws
from joserfc.jwk import RSAKey

MODES = ("wrong_key", "wrong_audience", "expired", "wrong_issuer")


def _b64json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def build_app(token_seconds: int = 300) -> flask.Flask:
    from datetime import timedelta

    import oidc_provider_mock

    app = oidc_provider_mock.app(require_nonce=True, access_token_max_age=timedelta(seconds=token_seconds))
    challenges: dict[str, str] = {}          # authorization code -> its S256 code_challenge
    state = {"mode": None}
    lock = threading.Lock()
    other_key = RSAKey.generate_key(2048)    # a key the JWKS never lists

    @app.before_request
    def _pkce():
        request = flask.request
        if request.path == "/oauth2/authorize" and request.method == "POST":
            if request.args.get("code_challenge_method") != "S256" or not request.args.get("code_challenge"):
                return flask.jsonify(error="invalid_request", error_description="PKCE (S256) is required"), 400
        if request.path == "/oauth2/token" and request.form.get("grant_type") == "authorization_code":
            with lock:
                challenge = challenges.pop(request.form.get("code", ""), None)
            verifier = request.form.get("code_verifier", "")
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge is None or digest != challenge:
                return flask.jsonify(error="invalid_grant", error_description="PKCE verification failed"), 400
        return None

    @app.after_request
    def _remember_and_misbehave(response):
        request = flask.request
        if request.path == "/oauth2/authorize" and response.status_code in (302, 303):
            code = parse_qs(urlsplit(response.headers.get("Location", "")).query).get("code", [None])[0]
            if code:
                with lock:
                    challenges[code] = request.args["code_challenge"]
        if request.path == "/oauth2/token" and response.status_code == 200 and state["mode"]:
            body = response.get_json()
            if body and body.get("id_token"):
                body["id_token"] = _misbehaving(body["id_token"], state["mode"])
                response.set_data(json.dumps(body))
        return response

    def _misbehaving(id_token: str, mode: str) -> str:
        header_part, payload_part, _ = id_token.split(".")
        header, claims = _b64json(header_part), _b64json(payload_part)
        real_key = RSAKey.import_key(flask.g.oidc_provider_mock_storage.jwk.as_dict(is_private=True))
        key = real_key
        if mode == "wrong_key":
            key = other_key
        elif mode == "wrong_audience":
            claims["aud"] = "some-other-application"
        elif mode == "expired":
            claims["iat"] = int(time.time()) - 3600
            claims["exp"] = int(time.time()) - 1800
        elif mode == "wrong_issuer":
            claims["iss"] = "https://impostor.example.org"
        protected = {k: v for k, v in header.items() if k in ("alg", "kid", "typ")}
        return jws.serialize_compact(protected, json.dumps(claims).encode(), key)

    @app.put("/test/misbehave")
    def misbehave():
        mode = (flask.request.get_json(force=True) or {}).get("id_token")
        if mode not in (None, *MODES):
            return flask.jsonify(error=f"mode must be one of {MODES} or null"), 400
        state["mode"] = mode
        return flask.jsonify(id_token=mode)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    os.environ["AUTHLIB_INSECURE_TRANSPORT"] = "1"      # plain http on loopback, tests only
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", args.port, build_app(), threaded=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
