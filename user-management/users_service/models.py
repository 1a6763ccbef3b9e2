"""Shapes a client sends and the shape it gets back (the hash is never in UserPublic)."""
from __future__ import annotations

import re
from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator

from shared.accounts import clean_email
from shared.auth import DEFAULT_ROLE, Role

from .passwords import MAX_LENGTH, password_problem

EMAIL = re.compile(r"^[^@\s]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9-]{1,63})+$")


def _email(value: str) -> str:
    value = clean_email(value)
    if len(value) > 254 or not EMAIL.match(value):
        raise ValueError("must be a valid email address")
    return value


def _password(value: str) -> str:
    problem = password_problem(value)
    if problem:
        raise ValueError(problem)
    return value


def _name(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_max_length=200)


class UserCreate(_Strict):
    name: str = Field(min_length=1, max_length=100)
    email: str
    password: str = Field(max_length=MAX_LENGTH)   # the rule: passwords.py
    role: Role = DEFAULT_ROLE

    _check_email = field_validator("email")(_email)
    _check_name = field_validator("name")(_name)
    _check_password = field_validator("password")(_password)


class UserUpdate(_Strict):
    name: Optional[str] = Field(default=None, min_length=1, max_length=100)
    email: Optional[str] = None
    role: Optional[Role] = None
    password: Optional[str] = Field(default=None, max_length=MAX_LENGTH)
    current_password: Optional[str] = Field(default=None, max_length=MAX_LENGTH)

    @field_validator("email")
    @classmethod
    def _check_email(cls, value):
        return None if value is None else _email(value)

    @field_validator("name")
    @classmethod
    def _check_name(cls, value):
        return None if value is None else _name(value)

    @field_validator("password")
    @classmethod
    def _check_password(cls, value):
        return None if value is None else _password(value)


class Credentials(_Strict):
    email: str = Field(min_length=1, max_length=254)
    password: str = Field(min_length=1, max_length=MAX_LENGTH)


class PasswordChange(_Strict):
    """A password change by someone who has no token yet (the first admin's one-time
    password): their email and current password, and the new one."""
    email: str = Field(min_length=1, max_length=254)
    current_password: str = Field(min_length=1, max_length=MAX_LENGTH)
    password: str = Field(max_length=MAX_LENGTH)

    _check_password = field_validator("password")(_password)


class EndedToken(_Strict):
    user_id: str = Field(min_length=1, max_length=200)
    jti: str = Field(min_length=1, max_length=200)
    expires_at: int = Field(ge=0, le=2**53)


class UserPublic(BaseModel):
    id: str
    email: str
    name: str
    role: Role
    created_at: str
    updated_at: str


class UserPage(BaseModel):
    users: list[UserPublic]
    page: int
    per_page: int
    total: int
    pages: int


class RoleList(BaseModel):
    roles: list[Role] = Field(description="The platform's roles (shared.auth.ROLES)")
    default: Role = Field(description="The role of a new account unless an admin chooses another")


class UserDeleted(BaseModel):
    deleted: str = Field(description="The user's id")


class SessionsEnded(BaseModel):
    user_id: str
    sessions_ended_before: float = Field(description="Unix time: every token issued before it stops working")


class Revocation(BaseModel):
    id: int
    user_id: str
    jti: Optional[str] = Field(description="One ended token; null: every token issued before not_before")
    not_before: Optional[float]
    expires_at: int


class RevocationFeed(BaseModel):
    """Ended sessions after a cursor, oldest first (shared/revocation.py reads it)."""

    cursor: int
    events: list[Revocation]
    more: bool


class TokenEnded(BaseModel):
    ended: str = Field(description="The token's jti")


class IdentitySignIn(_Strict):
    """The gateway's single sign-on, after it verified the provider's ID token
    (identities.py): who the provider says the person is."""
    issuer: str = Field(min_length=1, max_length=500, examples=["https://login.example.edu"])
    subject: str = Field(min_length=1, max_length=255, examples=["248289761001"])
    email: str = Field(examples=["jane.doe@example.edu"])
    name: str = Field(min_length=1, max_length=100, examples=["Jane Doe"])
    role: Optional[Role] = Field(default=None, description="The role the provider's claim maps to; "
                                 "null: roles are not the provider's business (no OIDC_ROLE_CLAIM)")
    email_verified: Optional[bool] = None

    _check_email = field_validator("email")(_email)
    _check_name = field_validator("name")(_name)


class PasswordResetRequest(_Strict):
    email: str = Field(min_length=1, max_length=254, examples=["student@example.com"])


class PasswordResetConfirm(_Strict):
    """The token from the e-mailed link, and the new password (the rule: passwords.py)."""
    token: str = Field(min_length=16, max_length=200)
    password: str = Field(max_length=MAX_LENGTH)

    _check_password = field_validator("password")(_password)


class ResetAccepted(BaseModel):
    message: str


class UserImportBody(BaseModel):
    """A CSV file as text: a header naming email, name and role, then a row per person."""
    model_config = ConfigDict(extra="forbid")
    csv: str = Field(min_length=1, examples=["email,name,role\nada@example.edu,Ada Lovelace,faculty\n"])


class ImportProblem(BaseModel):
    line: int = Field(description="The line of the file (the header is line 1)")
    email: str
    reason: str


class ImportReport(BaseModel):
    """The dry run of an import: nothing was written."""
    rows: int = Field(description="Data rows in the file")
    new: int = Field(description="Accounts the import would create")
    problem_count: int
    problems: list[ImportProblem] = Field(description="Each bad row (the first 1,000), by line")


class ImportJob(BaseModel):
    id: str
    status: Literal["running", "done", "failed"]
    total: int = Field(description="Data rows in the file")
    importable: int
    done: int = Field(description="Importable rows handled so far (progress: done / importable)")
    created: int
    skipped: int
    created_at: str
    updated_at: str
    error: Optional[str]
