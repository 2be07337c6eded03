"""Joint cases of a workspace: who works on them, what was said and attached, what they link to.

A case's timeline is not a table of its own: every change is an action that stores a
live event on the ``case:<id>`` stream (:mod:`app.realtime`), and those stored events,
with their before/after details, are the timeline.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Department, Region, User
from app.common import utcnow
from app.extensions import db
from app.workspaces.models import Workspace


class CaseStatus(enum.StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    BLOCKED = "blocked"
    RESOLVED = "resolved"
    CLOSED = "closed"


class CasePriority(enum.StrEnum):
    LOW = "low"
    NORMAL = "normal"
    HIGH = "high"
    URGENT = "urgent"


class LinkKind(enum.StrEnum):
    """What a case may link to: a data request or a grant of the same workspace."""

    REQUEST = "request"
    GRANT = "grant"


STATUSES = [status.value for status in CaseStatus]
PRIORITIES = [priority.value for priority in CasePriority]
# A case still needs work in these statuses: only they can be overdue.
ACTIVE_STATUSES = [CaseStatus.OPEN.value, CaseStatus.IN_PROGRESS.value, CaseStatus.BLOCKED.value]


def is_overdue(status: str, due_on: date | None, today: date | None = None) -> bool:
    """Past its due date and still needing work: what flags a case, or a row of a list."""
    return due_on is not None and status in ACTIVE_STATUSES and due_on < (today or utcnow().date())


class CaseCounter(db.Model):
    """The last case number handed out in a workspace, and the prefix of its case keys.

    Creating a case locks this row (``SELECT ... FOR UPDATE`` on PostgreSQL), so two
    people creating cases at once get consecutive numbers, never the same one.
    """

    __tablename__ = "case_counters"

    workspace_id: Mapped[int] = mapped_column(
        ForeignKey("workspaces.id", ondelete="CASCADE"), primary_key=True
    )
    prefix: Mapped[str] = mapped_column(String(8))
    last_number: Mapped[int] = mapped_column(Integer, default=0)


case_departments = Table(
    "case_departments",
    db.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", ForeignKey("departments.id"), primary_key=True, index=True),
)

case_assignees = Table(
    "case_assignees",
    db.metadata,
    Column("case_id", ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class Case(db.Model):
    """A piece of joint work, numbered within its workspace (``FLOOD-12``).

    ``version`` grows with every change of the case's own fields; an edit based on an
    older version is refused, so nobody's edit silently overwrites another's.
    ``reminded_due_on`` is the due date an overdue reminder was last sent for, which
    makes the reminder command idempotent and re-arms it when the due date moves.
    """

    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("workspace_id", "number"),
        Index("ix_cases_workspace_id_status", "workspace_id", "status"),
        Index("ix_cases_status_due_on", "status", "due_on"),
        # The lists' order, most recently changed first: a page is the first entries of
        # one of these (a workspace's, or every case's) instead of a sort of every match.
        Index("ix_cases_workspace_id_updated_at_id", "workspace_id", "updated_at", "id"),
        Index("ix_cases_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    key: Mapped[str] = mapped_column(String(24))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN.value)
    priority: Mapped[str] = mapped_column(String(16), default=CasePriority.NORMAL.value)
    region_id: Mapped[int | None] = mapped_column(ForeignKey("regions.id"), index=True)
    due_on: Mapped[date | None] = mapped_column(Date)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    reminded_due_on: Mapped[date | None] = mapped_column(Date)

    # Whether the reader at hand may read the description (set by the services; not stored).
    content_visible = False

    workspace: Mapped[Workspace] = relationship()
    region: Mapped[Region | None] = relationship(lazy="joined")
    created_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)
    departments: Mapped[list[Department]] = relationship(
        secondary=case_departments, order_by="Department.name"
    )
    assignees: Mapped[list[User]] = relationship(
        secondary=case_assignees, order_by="User.display_name"
    )

    def is_overdue(self, today: date | None = None) -> bool:
        """Past its due date and still needing work (open, in progress or blocked)."""
        return is_overdue(self.status, self.due_on, today)

    def __str__(self) -> str:
        return f"{self.key} {self.title}"


class CaseComment(db.Model):
    __tablename__ = "case_comments"
    __table_args__ = (Index("ix_case_comments_case_id_id", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    author: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class CaseAttachment(db.Model):
    """A file attached to a case, kept under ``STORAGE_DIR`` by a generated name.

    ``content_type`` is what the content was recognised as, never what the uploader
    claimed; ``original_name`` is the sanitised name shown and offered on download.
    """

    __tablename__ = "case_attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    original_name: Mapped[str] = mapped_column(String(200))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    uploaded_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)


class CaseLink(db.Model):
    """A link from a case to a data request or a grant of its workspace, by kind and id."""

    __tablename__ = "case_links"
    __table_args__ = (UniqueConstraint("case_id", "kind", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    target_id: Mapped[int] = mapped_column(Integer)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    created_by: Mapped[User] = relationship(lazy="joined", innerjoin=True)
