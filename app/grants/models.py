"""Grants: the scoped, expiring, revocable access that an approved data request creates.

A grant is a record here; reading data through it (extracts with the grant's projection,
row filter and masking) is built on top of it.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import User
from app.catalog.models import Dataset
from app.common import utcnow
from app.extensions import db
from app.workspaces.models import Workspace


class Masking(enum.StrEnum):
    """What a read through the grant does to a column's values."""

    NONE = "none"
    PSEUDONYMISE = "pseudonymise"
    REDACT = "redact"


grant_users = Table(
    "grant_users",
    db.metadata,
    Column("grant_id", ForeignKey("grants.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id"), primary_key=True, index=True),
)


class Grant(db.Model):
    """Access to one dataset for a workspace's members (or only the named users).

    ``columns`` is the projection, ``row_filter`` maps a column to the values rows may
    have, ``masking`` maps every granted column to a :class:`Masking`. The grant is
    active from ``valid_from`` until ``expires_at`` unless ``revoked_at`` is set.
    """

    __tablename__ = "grants"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("data_requests.id"), unique=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id"), index=True)
    grantee_workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id"), index=True)
    columns: Mapped[list[str]] = mapped_column(JSON, default=list)
    row_filter: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    masking: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    purpose: Mapped[str] = mapped_column(Text)
    legal_basis: Mapped[str] = mapped_column(Text)
    valid_from: Mapped[datetime] = mapped_column(DateTime)
    expires_at: Mapped[datetime] = mapped_column(DateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    revoke_reason: Mapped[str | None] = mapped_column(Text)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    # Set by ``flask grants expire`` so each notice goes out once, however often it runs.
    expiry_reminded_at: Mapped[datetime | None] = mapped_column(DateTime)
    expired_notified_at: Mapped[datetime | None] = mapped_column(DateTime)

    dataset: Mapped[Dataset] = relationship()
    grantee_workspace: Mapped[Workspace] = relationship()
    grantee_users: Mapped[list[User]] = relationship(secondary=grant_users)
    revoked_by: Mapped[User | None] = relationship(foreign_keys=[revoked_by_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])

    def is_active(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.revoked_at is None and self.valid_from <= now < self.expires_at

    def state(self, now: datetime | None = None) -> str:
        """``revoked``, ``expired``, ``pending`` (not yet started) or ``active``."""
        now = now or utcnow()
        if self.revoked_at is not None:
            return "revoked"
        if now >= self.expires_at:
            return "expired"
        if now < self.valid_from:
            return "pending"
        return "active"

    def as_detail(self) -> dict[str, Any]:
        """What the audit entry of the grant's creation records."""
        return {
            "request_id": self.request_id,
            "dataset_id": self.dataset_id,
            "workspace_id": self.grantee_workspace_id,
            "columns": self.columns,
            "row_filter": self.row_filter,
            "masking": self.masking,
            "valid_from": self.valid_from.isoformat(),
            "expires_at": self.expires_at.isoformat(),
        }


class AccessKind(enum.StrEnum):
    """How data left the platform through a grant."""

    PREVIEW = "preview"
    DOWNLOAD = "download"
    API = "api"


class AccessEvent(db.Model):
    """One read through a grant: who, how, how many rows, when.

    Recorded in the same transaction as the decision to serve, so there is no read
    without its record; the contents themselves are never stored.
    """

    __tablename__ = "grant_access_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    grant_id: Mapped[int] = mapped_column(ForeignKey("grants.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    kind: Mapped[str] = mapped_column(Text)
    output_format: Mapped[str] = mapped_column(Text)
    version_id: Mapped[int | None] = mapped_column(ForeignKey("dataset_versions.id"))
    rows_returned: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, index=True)

    grant: Mapped[Grant] = relationship()
    user: Mapped[User] = relationship()
