"""Shapes a client sends (identity never among them: it comes from the token)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# The ticket lifecycle, defined here only (docs/DEVELOPING.md, "Where is the rule for X"):
# the schema's CHECKs are generated from these, and pages read them at GET /meta.
# The only moves a ticket may make; anything else is 409 invalid_transition.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("in_progress",),
    "in_progress": ("resolved",),
    "resolved": ("closed", "open"),
    "closed": (),
}
STATUSES = tuple(TRANSITIONS)
INITIAL_STATUS = "open"
OPEN_STATUSES = ("open", "in_progress")   # counted as open work (analytics, duplicates)
# How the owner's notification words a move into each status ("is now in progress").
STATUS_WORDS = {"open": "reopened", "in_progress": "in progress", "resolved": "resolved", "closed": "closed"}
Status = Literal[STATUSES]
PRIORITIES = ("urgent", "standard")
BATCH_MAX = 50


def _text(value: str) -> str:
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketCreate(_Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    location: Optional[str] = Field(default=None, max_length=200)

    _check_title = field_validator("title", "description")(_text)

    @field_validator("location")
    @classmethod
    def _check_location(cls, value):
        if value is None:
            return None
        value = " ".join(value.split())
        return value or None


class TicketBatch(_Strict):
    tickets: list[TicketCreate] = Field(min_length=1, max_length=BATCH_MAX)


class TicketUpdate(_Strict):
    status: Optional[Status] = None
    category: Optional[str] = Field(default=None, min_length=1, max_length=50)
    department: Optional[str] = Field(default=None, min_length=1, max_length=50)
    comment: Optional[str] = Field(default=None, min_length=1, max_length=2000)

    @field_validator("comment")
    @classmethod
    def _check_comment(cls, value):
        return None if value is None else _text(value)

    @model_validator(mode="after")
    def _something(self):
        if self.status is None and self.category is None and self.department is None and self.comment is None:
            raise ValueError("send at least one of status, category, department, comment")
        return self
