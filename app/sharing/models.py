"""Data-sharing requests: what one department asks of another, and the timeline of its decisions."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Department, User
from app.catalog.models import Dataset
from app.common import utcnow
from app.extensions import db
from app.workspaces.models import Workspace


class RequestStatus(enum.StrEnum):
    """Where a request stands. ``approved``, ``rejected`` and ``withdrawn`` are final."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    ENDORSED = "endorsed"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"


FINAL_STATUSES = (RequestStatus.APPROVED, RequestStatus.REJECTED, RequestStatus.WITHDRAWN)
EDITABLE_STATUSES = (RequestStatus.DRAFT, RequestStatus.CHANGES_REQUESTED)
# Waiting for someone other than the requester to decide: the SLA clock runs.
PENDING_STATUSES = (RequestStatus.SUBMITTED, RequestStatus.ENDORSED)


class EntryKind(enum.StrEnum):
    """What a timeline entry records."""

    FILED = "filed"
    EDITED = "edited"
    SUBMITTED = "submitted"
    ENDORSED = "endorsed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CHANGES_REQUESTED = "changes_requested"
    WITHDRAWN = "withdrawn"
    DATASET_LINKED = "dataset_linked"
    COMMENTED = "commented"


class ApproverRole(enum.StrEnum):
    """In which capacity someone decided: for the requesting side, the owner, or as dpo."""

    ENDORSER = "endorser"
    OWNER = "owner"
    DPO = "dpo"


class DataRequest(db.Model):
    """A request filed from a workspace for a dataset (or, with none, to a department).

    The scope (``columns``, ``row_filter``, ``reveal_columns``, ``duration_days``) is what
    the request asks for now; a reviewer who approves a narrower scope replaces it, and
    the timeline keeps what was asked before. ``row_filter`` maps a column name to the
    values its rows may have; ``reveal_columns`` names personal columns wanted in clear
    (every other personal column is redacted in the grant).

    Endorsement and the two approvals are kept as columns (who, on whose behalf, when) so
    the queues can ask "whose turn is it" in SQL; the timeline holds their notes.
    """

    __tablename__ = "data_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    requester_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requesting_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    dataset_id: Mapped[int | None] = mapped_column(ForeignKey("datasets.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_filter: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    reveal_columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    duration_days: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(24), index=True, default=RequestStatus.DRAFT.value)
    needs_dpo: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    endorsed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    endorsed_on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    endorsed_at: Mapped[datetime | None] = mapped_column(DateTime)
    owner_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_approved_on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    owner_approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    dpo_approved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    dpo_approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    decided_at: Mapped[datetime | None] = mapped_column(DateTime)

    workspace: Mapped[Workspace] = relationship()
    requester: Mapped[User] = relationship(foreign_keys=[requester_id], lazy="joined")
    requesting_department: Mapped[Department] = relationship(
        foreign_keys=[requesting_department_id], lazy="joined"
    )
    owner_department: Mapped[Department] = relationship(
        foreign_keys=[owner_department_id], lazy="joined"
    )
    dataset: Mapped[Dataset | None] = relationship()
    endorsed_by: Mapped[User | None] = relationship(foreign_keys=[endorsed_by_id])
    endorsed_on_behalf_of: Mapped[User | None] = relationship(
        foreign_keys=[endorsed_on_behalf_of_id]
    )
    owner_approved_by: Mapped[User | None] = relationship(foreign_keys=[owner_approved_by_id])
    owner_approved_on_behalf_of: Mapped[User | None] = relationship(
        foreign_keys=[owner_approved_on_behalf_of_id]
    )
    dpo_approved_by: Mapped[User | None] = relationship(foreign_keys=[dpo_approved_by_id])
    entries: Mapped[list[TimelineEntry]] = relationship(
        back_populates="request", order_by="TimelineEntry.id", cascade="all, delete-orphan"
    )

    @property
    def is_final(self) -> bool:
        return self.status in FINAL_STATUSES

    @property
    def is_editable(self) -> bool:
        return self.status in EDITABLE_STATUSES

    def is_overdue(self, today: date | None = None) -> bool:
        """Past its due date while still waiting for a decision."""
        return (
            self.status in PENDING_STATUSES
            and self.due_on is not None
            and self.due_on < (today or utcnow().date())
        )

    @property
    def owner_approval_in(self) -> bool:
        return self.owner_approved_at is not None

    @property
    def dpo_approval_in(self) -> bool:
        return self.dpo_approved_at is not None

    def scope(self) -> dict[str, Any]:
        """The scope asked for now, as the timeline and the grant record it."""
        return {
            "columns": list(self.columns or []),
            "row_filter": {k: list(v) for k, v in (self.row_filter or {}).items()},
            "reveal_columns": list(self.reveal_columns or []),
            "duration_days": self.duration_days,
        }

    def __str__(self) -> str:
        return self.title


class TimelineEntry(db.Model):
    """One step in a request's life: a decision, an edit, a comment (who, for whom, why)."""

    __tablename__ = "data_request_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("data_requests.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(24))
    role: Mapped[str | None] = mapped_column(String(16))
    actor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    request: Mapped[DataRequest] = relationship(back_populates="entries")
    actor: Mapped[User] = relationship(foreign_keys=[actor_id], lazy="joined")
    on_behalf_of: Mapped[User | None] = relationship(foreign_keys=[on_behalf_of_id], lazy="joined")
