"""Shapes a client sends and the shape it gets back."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from shared.auth import Role
from shared.fields import non_blank

from .preferences import MODES

TYPE_PATTERN = r"^[a-z][a-z0-9_-]{0,31}$"
# DELETE ?scope=: "me" hides it from the caller's feed, "all" deletes it for every recipient.
DELETE_SCOPES = ("me", "all")
DeleteScope = Literal[DELETE_SCOPES]
LINK_MAX = 500


def relative_link(value: str | None) -> str | None:
    """A link of a notification: a path on this site ("/booking?booking=12"), never another
    site ("//evil.example", "https://..."), never a script, never spaces or control characters."""
    if value is None:
        return None
    value = value.strip()
    if not value:
        return None
    if not value.startswith("/") or value.startswith("//") or "\\" in value:
        raise ValueError('must be a relative path starting with "/" (such as /booking?booking=12)')
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError("must not contain spaces or control characters")
    return value


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
    link: Optional[str] = Field(default=None, max_length=LINK_MAX,
                                description='What the notification is about: a relative URL on this site, '
                                            'such as "/booking?booking=12" or "/maintenance?ticket=7"')

    important: StrictBool = Field(default=False, description="E-mailed to everyone it reaches, whatever they chose "
                                                              "(admins' announcements)")
    ics: Optional[str] = Field(default=None, max_length=100_000,
                               description="An iCalendar text attached to the e-mail (booking confirmations)")

    _check_title = field_validator("title", "body")(non_blank)

    @field_validator("ics")
    @classmethod
    def _check_ics(cls, value):
        if value is not None and not value.startswith("BEGIN:VCALENDAR"):
            raise ValueError("must be an iCalendar text (BEGIN:VCALENDAR ...)")
        return value

    @field_validator("user_id")
    @classmethod
    def _check_user(cls, value):
        return None if value is None else non_blank(value)

    _check_link = field_validator("link")(relative_link)


class ReadUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    read: StrictBool = True


class NotificationPublic(BaseModel):
    id: int
    title: str
    body: str
    type: str
    link: Optional[str] = Field(default=None, description="A relative URL of what it is about, if any")
    important: bool = False
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


Mode = Literal[MODES]


class NotificationPreferences(BaseModel):
    """Per kind of notification: in_app (the feed only), email (and an e-mail each time) or
    digest (and one e-mail a day with all of them)."""

    bookings: Mode
    tickets: Mode
    account: Mode
    announcements: Mode


class PreferencesUpdate(BaseModel):
    """The kinds to change; the others stay as they are."""

    model_config = ConfigDict(extra="forbid")

    bookings: Optional[Mode] = None
    tickets: Optional[Mode] = None
    account: Optional[Mode] = None
    announcements: Optional[Mode] = None


class PreferencesAnswer(BaseModel):
    preferences: NotificationPreferences
    email_enabled: bool = Field(description="False when this platform sends no e-mail (no SMTP_HOST)")
    digest_hour: int = Field(description="The hour of the daily digest, in the campus time zone")
    timezone: str = Field(description="The campus time zone (IANA)")
