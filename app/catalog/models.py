"""Datasets a department publishes in the catalog, their declared columns and uploaded versions."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.accounts.models import Department, User
from app.common import utcnow
from app.extensions import db


class Classification(enum.StrEnum):
    """How sensitive a dataset is as a whole; only ``public`` contents are shown to all."""

    PUBLIC = "public"
    INTERNAL = "internal"
    RESTRICTED = "restricted"
    PERSONAL = "personal"


class ColumnType(enum.StrEnum):
    """The type every value of a column must parse as when a version is uploaded."""

    TEXT = "text"
    INTEGER = "integer"
    DECIMAL = "decimal"
    DATE = "date"
    DATETIME = "datetime"
    BOOLEAN = "boolean"


class Sensitivity(enum.StrEnum):
    """What a column says about people: nothing, who they are, or something about them."""

    NONE = "none"
    PERSONAL_IDENTIFIER = "personal_identifier"
    PERSONAL = "personal"


UPDATE_FREQUENCIES = ("real-time", "daily", "weekly", "monthly", "quarterly", "yearly", "ad hoc")


class Dataset(db.Model):
    """A body of data a department owns and describes, whether or not anyone may read it.

    ``residency_jurisdiction`` is a jurisdiction code as in ``Region.jurisdiction`` (HK,
    MO, CN ...): the data must stay there, and ``cross_border_allowed`` says whether use
    from another jurisdiction may be requested at all. ``version`` grows with every edit
    of the dataset's own fields or columns, so an edit based on an older one is refused.
    """

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    steward_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    classification: Mapped[str] = mapped_column(String(16), index=True)
    residency_jurisdiction: Mapped[str] = mapped_column(String(32), index=True)
    cross_border_allowed: Mapped[bool] = mapped_column(Boolean, default=False)
    update_frequency: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime)

    owner_department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    steward: Mapped[User] = relationship(foreign_keys=[steward_id])
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id])
    columns: Mapped[list[DatasetColumn]] = relationship(
        back_populates="dataset",
        order_by="DatasetColumn.position",
        cascade="all, delete-orphan",
    )
    versions: Mapped[list[DatasetVersion]] = relationship(
        back_populates="dataset",
        order_by="DatasetVersion.number.desc()",
        cascade="all, delete-orphan",
    )

    @property
    def is_public(self) -> bool:
        return self.classification == Classification.PUBLIC

    @property
    def has_personal_columns(self) -> bool:
        return any(column.is_personal for column in self.columns)

    @property
    def latest_version(self) -> DatasetVersion | None:
        return self.versions[0] if self.versions else None

    def __str__(self) -> str:
        return self.title


class DatasetColumn(db.Model):
    """One declared column; ``position`` (from 0) is its place in every uploaded file."""

    __tablename__ = "dataset_columns"
    __table_args__ = (
        # Named here: the naming convention would give both the same name.
        UniqueConstraint("dataset_id", "position", name="uq_dataset_columns_position"),
        UniqueConstraint("dataset_id", "name", name="uq_dataset_columns_name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(120), index=True)
    type: Mapped[str] = mapped_column(String(16))
    sensitivity: Mapped[str] = mapped_column(String(24), default=Sensitivity.NONE.value)
    description: Mapped[str] = mapped_column(Text, default="")

    dataset: Mapped[Dataset] = relationship(back_populates="columns")

    @property
    def is_personal(self) -> bool:
        return self.sensitivity != Sensitivity.NONE


class DatasetVersion(db.Model):
    """One uploaded CSV file, validated against the columns it was uploaded under.

    ``storage_path`` is relative to ``STORAGE_DIR``; the file is immutable once stored.
    """

    __tablename__ = "dataset_versions"
    __table_args__ = (UniqueConstraint("dataset_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    storage_path: Mapped[str] = mapped_column(String(500))
    original_filename: Mapped[str] = mapped_column(String(255))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    row_count: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    uploaded_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    dataset: Mapped[Dataset] = relationship(back_populates="versions")
    uploaded_by: Mapped[User] = relationship(foreign_keys=[uploaded_by_id])
