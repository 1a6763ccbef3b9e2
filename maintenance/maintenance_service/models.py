"""Shapes a client sends (identity never among them: it comes from the token) and the shapes
it gets back (tickets.py builds every answer through these, so the document cannot drift)."""
from __future__ import annotations

from typing import Literal, Optional

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

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
EVENT_TYPES = ("created", "duplicate_flagged", "status_changed", "category_changed", "department_changed",
               "commented")
EventType = Literal[EVENT_TYPES]
BATCH_MAX = 50


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
    status: Optional[Status] = None
    category: Optional[str] = Field(default=None, min_length=1, max_length=50)
    department: Optional[str] = Field(default=None, min_length=1, max_length=50)
    comment: Optional[str] = Field(default=None, min_length=1, max_length=2000)

    @field_validator("comment")
    @classmethod
    def _check_comment(cls, value):
        return None if value is None else non_blank(value)

    @model_validator(mode="after")
    def _something(self):
        if self.status is None and self.category is None and self.department is None and self.comment is None:
            raise ValueError("send at least one of status, category, department, comment")
        return self


# ----------------------------------------------------------------------------- answers
class TicketPublic(BaseModel):
    """A ticket as its viewer may see it (tickets.public); also what the live updates carry."""

    id: int
    title: str
    description: str
    location: Optional[str]
    category: str
    confidence: float
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


# The columns tickets.py reads; the rest of TicketPublic is worked out from them.
COMPUTED_TICKET_FIELDS = ("similar_report_exists",)
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


class TicketDetail(TicketPublic):
    """GET /tickets/{id}: the ticket with its history, oldest first."""

    history: list[TicketEvent]


class TicketsCreated(BaseModel):
    tickets: list[TicketPublic]
    count: int


class TicketPage(BaseModel):
    tickets: list[TicketPublic] = Field(description="Yours, or every ticket for admins; newest first")
    page: int
    per_page: int
    total: int
    pages: int


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
    generated_at: str
