"""Shapes a client sends (identity never among them: it comes from the token) and the shapes
it gets back (tickets.py builds every answer through these, so the document cannot drift)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator, model_validator

from shared.fields import non_blank

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
Priority = Literal[PRIORITIES]
# What a ticket_events row may record (tickets.py writes them; GET /tickets/{id} shows them).
# "commented" is only in histories written before comments had a table of their own.
EVENT_TYPES = ("created", "classified", "duplicate_flagged", "status_changed", "priority_changed",
               "category_changed", "department_changed", "assigned", "escalated", "commented")
EventType = Literal[EVENT_TYPES]
BATCH_MAX = 50
BULK_MAX = 100
# SLA thresholds at which a ticket is escalated once (escalation.py): past its due time
# while open; an urgent ticket with half its time gone and nobody assigned.
ESCALATIONS = ("overdue", "urgent_half_unassigned")
# GET /tickets?assignee=: these words, or a user id.
ASSIGNEE_WORDS = ("mine", "unassigned")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketCreate(_Strict):
    title: str = Field(min_length=1, max_length=200)
    description: str = Field(min_length=1, max_length=5000)
    location: Optional[str] = Field(default=None, max_length=200)

    _check_title = field_validator("title", "description")(non_blank)

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
    """An admin's change. assignee_id: an admin's user id, or null to unassign (absent: unchanged)."""

    status: Optional[Status] = None
    priority: Optional[Priority] = None
    priority_reason: Optional[str] = Field(default=None, min_length=1, max_length=500,
                                           description="Why the priority is overridden (required with priority)")
    category: Optional[str] = Field(default=None, min_length=1, max_length=50)
    department: Optional[str] = Field(default=None, min_length=1, max_length=50)
    assignee_id: Optional[str] = Field(default=None, min_length=1, max_length=100,
                                       description="An admin's user id (GET /users/by-role/admin); null unassigns")
    comment: Optional[str] = Field(default=None, min_length=1, max_length=2000,
                                   description="A public comment from the admin, also quoted in the status notification")

    @field_validator("comment", "priority_reason")
    @classmethod
    def _check_text(cls, value):
        return None if value is None else non_blank(value)

    @model_validator(mode="after")
    def _something(self):
        if self.priority is not None and self.priority_reason is None:
            raise ValueError("priority_reason: say why the priority is overridden")
        if self.priority_reason is not None and self.priority is None:
            raise ValueError("priority_reason comes with a priority")
        sent = {name for name in self.model_fields_set if name == "assignee_id" or getattr(self, name) is not None}
        if not sent - {"priority_reason"}:
            raise ValueError("send at least one of status, priority, category, department, assignee_id, comment")
        return self

    @property
    def assigns(self) -> bool:
        """The assignee is to change (to someone, or to nobody with null)."""
        return "assignee_id" in self.model_fields_set


class CommentCreate(_Strict):
    body: str = Field(min_length=1, max_length=2000, examples=["The technician will come this afternoon."])
    internal: StrictBool = Field(default=False, description="Staff only: never shown or sent to the reporter")

    _check_body = field_validator("body")(non_blank)


class BulkStatus(_Strict):
    ids: list[int] = Field(min_length=1, max_length=BULK_MAX, description="The tickets to move, all or none")
    status: Status
    comment: Optional[str] = Field(default=None, min_length=1, max_length=2000)

    _check_comment = field_validator("comment")(lambda value: None if value is None else non_blank(value))

    @field_validator("ids")
    @classmethod
    def _distinct(cls, value):
        if len(set(value)) != len(value):
            raise ValueError("each id once")
        return value


# ----------------------------------------------------------------------------- answers
class TicketPublic(BaseModel):
    """A ticket as its viewer may see it (tickets.public); also what the live updates carry."""

    id: int
    title: str
    description: str
    location: Optional[str]
    category: str
    confidence: Optional[float] = Field(description="The classifier's confidence; staff only (null for reporters)")
    classification_method: str = Field(description="model or keywords: what classified it")
    needs_review: bool
    priority: Priority
    impact: str
    sla_hours: int
    sla_due_at: str
    department: str
    status: Status
    possible_duplicate_of: Optional[int] = Field(
        description="The open ticket this one may duplicate; only for admins, or when both are yours")
    similar_report_exists: bool
    user_id: str
    user_name: str
    user_email: str
    created_at: str
    updated_at: str
    resolved_at: Optional[str]
    closed_at: Optional[str]
    assignee_id: Optional[str] = Field(description="The admin who handles it, or null")
    assignee_name: Optional[str]
    first_response_at: Optional[str] = Field(description="When staff first acted on it (a status change or a "
                                                         "public comment)")
    overdue: bool = Field(description="Open work past its due time")


# The columns tickets.py reads; the rest of TicketPublic is worked out from them.
COMPUTED_TICKET_FIELDS = ("similar_report_exists", "overdue")
TICKET_COLUMNS = tuple(name for name in TicketPublic.model_fields if name not in COMPUTED_TICKET_FIELDS)


class EventActor(BaseModel):
    id: str
    name: str
    role: str = Field(description="A role, or service for another service")


class TicketEvent(BaseModel):
    id: int
    event_type: EventType
    actor: EventActor
    old_value: Optional[str]
    new_value: Optional[str]
    comment: Optional[str]
    created_at: str


class TicketComment(BaseModel):
    id: int
    ticket_id: int
    body: str
    author_id: str
    author_name: str
    author_role: str = Field(description="A role, or service for another service")
    internal: bool = Field(description="Staff only; a reporter never sees one")
    created_at: str


class TicketDetail(TicketPublic):
    """GET /tickets/{id}: the ticket with its history (the timeline) and its comments, oldest first."""

    history: list[TicketEvent]
    comments: list[TicketComment] = Field(description="Internal ones only for staff")
    attachments: list["AttachmentPublic"] = Field(description="Its photos, oldest first (attachments.py)")


class TicketsCreated(BaseModel):
    tickets: list[TicketPublic]
    count: int


class QueueCounters(BaseModel):
    """Over the open tickets the viewer may see, whatever the filters."""

    urgent: int
    overdue: int
    unassigned: int


class TicketPage(BaseModel):
    items: list[TicketPublic] = Field(description="Yours, newest first; for admins every ticket, what needs action "
                                                  "first: open before done, overdue, then urgent, then by due time")
    page: int
    per_page: int
    total: int
    pages: int
    counters: QueueCounters


class TicketsChanged(BaseModel):
    items: list[TicketPublic] = Field(description="Every ticket named, as it is now, in the order sent")
    changed: int = Field(description="How many changed (the others already had the status)")


class CategoryInfo(BaseModel):
    name: str
    department: str = Field(description="Where tickets of this category are routed")


class CategoryList(BaseModel):
    categories: list[CategoryInfo]


class DepartmentList(BaseModel):
    departments: list[str]


class StatusRules(BaseModel):
    statuses: list[Status]
    transitions: dict[Status, list[Status]] = Field(description="Each status: the statuses it may move to")


class TicketMeta(StatusRules):
    """GET /meta: the ticket rules the pages read instead of restating them."""

    initial_status: Status
    open_statuses: list[Status]
    priorities: list[Priority]
    categories: list[CategoryInfo]
    departments: list[str]


class SlaCounts(BaseModel):
    breaches: int
    open_past_due: int
    resolved_late: int


class DayCount(BaseModel):
    date: str
    count: int


class ClassifierStats(BaseModel):
    active_method: str
    methods: dict[str, int]
    mean_confidence: Optional[float]
    needs_review: int


class DepartmentStats(BaseModel):
    department: str
    total: int
    open: int
    sla_breaches: int
    mean_time_to_resolve_hours: Optional[float]
    sla_met: int = Field(description="Resolved by their due time")
    sla_missed: int = Field(description="Resolved late, or open past due")
    sla_compliance: Optional[float] = Field(description="sla_met / (sla_met + sla_missed); null when neither")


class PriorityTimes(BaseModel):
    priority: Priority
    total: int
    responded: int
    mean_first_response_hours: Optional[float] = Field(description="Created to the first staff action")
    resolved: int
    mean_resolution_hours: Optional[float] = Field(description="Created to resolved")


class TicketAnalytics(BaseModel):
    total: int
    by_status: dict[Status, int]
    by_category: dict[str, int]
    by_priority: dict[Priority, int]
    by_department: dict[str, int]
    sla: SlaCounts
    mean_time_to_resolve_hours: Optional[float]
    resolved_count: int
    tickets_per_day: list[DayCount] = Field(description="The last 30 days, oldest first")
    classifier: ClassifierStats
    possible_duplicates: int
    departments: list[DepartmentStats]
    priorities: list[PriorityTimes]
    generated_at: str


# ----------------------------------------------------------------------------- photos
class AttachmentUpload(BaseModel):
    """POST /tickets/{id}/attachments: multipart/form-data with one file part."""

    file: bytes = Field(description="A JPEG, PNG, WebP or HEIC photo of at most 10 MB; decoded, not trusted by "
                                    "its name or type")


class AttachmentPublic(BaseModel):
    """A photo of a ticket, as stored: re-encoded without EXIF, with a thumbnail."""

    id: int
    content_type: str = Field(description="From the decoded image: image/jpeg (also for HEIC), image/png, image/webp")
    size: int = Field(description="Bytes of the stored file")
    width: int
    height: int
    url: str = Field(description="GET it with the token; only who may see the ticket may")
    thumbnail_url: str
    created_at: str


TicketDetail.model_rebuild()
