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


def clean_email(email: str) -> str:
    """The address as stored and shown: NFKC, no surrounding whitespace, case kept."""
    return unicodedata.normalize("NFKC", email).strip()


def normalize_email(email: str) -> str:
    """The key an address is compared by (login, registration, uniqueness, throttling)."""
    return unicodedata.normalize("NFKC", clean_email(email).casefold()).strip()
