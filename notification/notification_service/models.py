"""Shapes a client sends and the shape it gets back."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from shared.auth import Role
from shared.fields import non_blank

TYPE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
# DELETE ?scope=: "me" hides it from the caller's feed, "all" deletes it for every recipient.
DELETE_SCOPES = ("me", "all")
DeleteScope = Literal[DELETE_SCOPES]


class NotificationCreate(BaseModel):
    """Exactly one audience: user_id, role, or broadcast=true (checked in notifications.audience)."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    body: str = Field(min_length=1, max_length=2000)
    type: str = Field(default="info", pattern=TYPE_PATTERN,
                      description="info, booking, maintenance, account, system, ... (lower-case slug)")
    user_id: Optional[str] = Field(default=None, min_length=1, max_length=100)
    role: Optional[Role] = None
    broadcast: StrictBool = False
    idempotency_key: Optional[str] = Field(default=None, min_length=1, max_length=200)

    _check_title = field_validator("title", "body")(non_blank)

    @field_validator("user_id")
    @classmethod
    def _check_user(cls, value):
        return None if value is None else non_blank(value)


class ReadUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read: StrictBool = True


class NotificationPublic(BaseModel):
    id: int
    title: str
    body: str
    type: str
    audience: Literal["user", "role", "broadcast"]
    user_id: Optional[str]
    role: Optional[Role]
    broadcast: bool
    sender_id: str
    created_at: str
    read: bool
    read_at: Optional[str]


class SentNotification(NotificationPublic):
    """An item of the admin console's list (GET /notifications?all=true)."""

    sender_role: str
    idempotency_key: Optional[str]
    read_count: int
    deleted_at: Optional[str]


class UnreadCount(BaseModel):
    unread: int = Field(description="How many notifications of your feed are unread")


class AllRead(BaseModel):
    marked: int = Field(description="How many were unread and are now read")
    unread: int = Field(description="How many of your feed are unread now")


class NotificationDeleted(BaseModel):
    deleted: int = Field(description="The notification's id")
    scope: DeleteScope


class _Page(BaseModel):
    page: int
    per_page: int
    total: int
    pages: int


class NotificationFeed(_Page):
    """A page of a feed: what is addressed to the user, their role or everyone, newest first."""

    notifications: list[NotificationPublic]
    unread: int = Field(description="How many notifications of the whole feed are unread")


class SentPage(_Page):
    """A page of everything sent (GET /notifications?all=true, admins), newest first."""

    notifications: list[SentNotification]
