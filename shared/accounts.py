"""When two email addresses are the same account: the one normalisation of the platform.

user-management stores `normalize_email(email)` as the unique key of a user and looks
users up by it; the gateway counts failed logins under it. Using one function everywhere
is the point: "  Student@Example.com", "ｓｔｕｄｅｎｔ@example.com" (full-width letters)
and "student@example.com" are one account, so none of them gets a login counter, or a
registration, of its own.

The rules: surrounding whitespace goes, Unicode NFKC folds compatibility characters
(full-width letters, ligatures, the Kelvin sign) into their plain forms, and casefold()
ignores case the Unicode way ("Straße" and "strasse" match). NFKC runs again after
casefolding because casefold() can produce characters that NFKC would change.
"""
from __future__ import annotations

import unicodedata
from typing import NamedTuple


class DevAccount(NamedTuple):
    email: str
    name: str
    role: str
    password: str


# The default accounts, development and testing only (DESIGN decision 10; production gets
# none): user-management seeds them on first start, start_all.sh prints them and the
# tests sign in with them. Defined once, here.
DEFAULT_USERS = (
    DevAccount("admin@example.com", "Admin User", "admin", "admin123"),
    DevAccount("faculty@example.com", "Faculty User", "faculty", "faculty123"),
    DevAccount("student@example.com", "Student User", "student", "student123"),
)


def clean_email(email: str) -> str:
    """The address as stored and shown: NFKC, no surrounding whitespace, case kept."""
    return unicodedata.normalize("NFKC", email).strip()


def normalize_email(email: str) -> str:
    """The key an address is compared by (login, registration, uniqueness, throttling)."""
    return unicodedata.normalize("NFKC", clean_email(email).casefold()).strip()


# The first admin of a production install when ADMIN_EMAIL is not set (user-management).
FIRST_ADMIN_EMAIL = "admin@example.com"


def break_glass_email(settings) -> str:
    """The key (normalize_email) of the break-glass admin: the one local account that keeps
    its password when LOCAL_LOGIN_ENABLED=false, and that single sign-on never takes over.
    BREAK_GLASS_ADMIN_EMAIL, else the first admin's address (ADMIN_EMAIL, else
    FIRST_ADMIN_EMAIL)."""
    env = settings.env
    return normalize_email(env.str("BREAK_GLASS_ADMIN_EMAIL") or env.str("ADMIN_EMAIL") or FIRST_ADMIN_EMAIL)
