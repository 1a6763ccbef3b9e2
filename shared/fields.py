"""Checks that request models of several services share (pydantic field validators)."""
from __future__ import annotations


def non_blank(value: str) -> str:
    """Text with its surrounding spaces removed, refused when nothing else is left:
    `_check = field_validator("title")(non_blank)`."""
    value = value.strip()
    if not value:
        raise ValueError("must not be empty")
    return value
