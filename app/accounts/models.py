"""Regions, departments, users with their roles, delegations and API tokens."""

from __future__ import annotations

import enum
from datetime import date, datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, Date, DateTime, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.common import utcnow
from app.extensions import db


class Role(enum.StrEnum):
    OFFICER = "officer"
    HEAD = "head"
    DPO = "dpo"
    AUDITOR = "auditor"
    ADMIN = "admin"


class Region(db.Model):
    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    jurisdiction: Mapped[str] = mapped_column(String(32), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    departments: Mapped[list[Department]] = relationship(back_populates="region")

    def __str__(self) -> str:
        return f"{self.name} ({self.jurisdiction})"


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id"), index=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    region: Mapped[Region] = relationship(back_populates="departments", lazy="joined")
    parent: Mapped[Department | None] = relationship(remote_side=[id], lazy="joined", join_depth=1)

    def __str__(self) -> str:
        return self.name


class User(UserMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254), unique=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime)
    # Saved choices; ``None`` means "not chosen": the browser's language, the default zone.
    locale: Mapped[str | None] = mapped_column(String(16))
    timezone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    department: Mapped[Department] = relationship(lazy="joined")
    role_links: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", back_populates="user"
    )

    @property
    def roles(self) -> set[Role]:
        return {Role(link.role) for link in self.role_links}

    def has_role(self, role: Role) -> bool:
        return any(link.role == role for link in self.role_links)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    # The key of the server-side session this request runs in (only its hash is stored);
    # a plain attribute, not a column: it belongs to the request, not to the account.
    session_key = None

    def get_id(self) -> str:
        """Session identity: id, a version (bumping it ends every session) and the key of
        one server-side session (ending that row ends this browser's session)."""
        return f"{self.id}:{self.session_version}:{self.session_key or ''}"

    def __str__(self) -> str:
        return self.display_name


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(String(16), primary_key=True)

    user: Mapped[User] = relationship(back_populates="role_links")


class Delegation(db.Model):
    """A head names a deputy of their own department to act for them for a date range."""

    __tablename__ = "delegations"

    id: Mapped[int] = mapped_column(primary_key=True)
    head_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    head: Mapped[User] = relationship(foreign_keys=[head_id], lazy="joined")
    deputy: Mapped[User] = relationship(foreign_keys=[deputy_id], lazy="joined")

    def is_current(self, on: date) -> bool:
        return self.revoked_at is None and self.starts_on <= on <= self.ends_on


class ApiToken(db.Model):
    """A personal API token. Only a hash of the secret is stored; the prefix finds the row."""

    __tablename__ = "api_tokens"
    __table_args__ = (UniqueConstraint("prefix"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    prefix: Mapped[str] = mapped_column(String(16))
    secret_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime)

    user: Mapped[User] = relationship(lazy="joined")

    def is_usable(self, now: datetime) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class UserSession(db.Model):
    """One signed-in browser: signing out, idling or outliving its maximum age ends it.

    The cookie carries a random key; only its keyed hash is stored, so reading this
    table does not let anyone sign in as its users.
    """

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime)
