"""The password rule of the platform (NIST SP 800-63B, section 5.1.1.2), owned here.

Every way a password is set goes through `password_problem`: an admin creating a user,
self-registration through the gateway (which forwards to POST /users), and a password
change. A password is refused when it has fewer than 8 characters, is only whitespace,
or is one of the most common passwords (common_passwords.txt). No composition rules
("one digit, one symbol"): NIST advises against them. The passwords of the development
accounts (admin123, ...) are written by the seed, not through this rule.
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 8
MAX_LENGTH = 128
COMMON_PASSWORDS = Path(__file__).with_name("common_passwords.txt")
# The password_hash of an account without a password (single sign-on, imported users):
# no password matches it (werkzeug's check_password_hash refuses a hash without "$").
NO_PASSWORD = "!"


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    lines = COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
    return frozenset(line for line in lines if line and not line.startswith("#"))


def password_problem(password: str) -> str | None:
    """Why this password may not be used, for a person to read; None when it is fine."""
    # Characters are counted as a person sees them (NFKC, as NIST advises).
    text = unicodedata.normalize("NFKC", password)
    if not text.strip():
        return "must not be empty or only spaces"
    if len(text) < MIN_LENGTH:
        return f"must be at least {MIN_LENGTH} characters long"
    if len(text) > MAX_LENGTH:
        return f"must be at most {MAX_LENGTH} characters long"
    if text.strip().casefold() in common_passwords():
        return "is one of the most commonly used passwords; choose a less predictable one"
    return None
