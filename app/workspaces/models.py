"""Workspaces, the departments taking part in them, and their members."""

from __future__ import annotations

import enum
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import (
    Date,
    DateTime,
    ForeignKey,
    Integer,
    Select,
    String,
    Text,
    UniqueConstraint,
    bindparam,
    event,
    func,
    inspect,
    select,
)
from sqlalchemy.orm import Mapped, column_property, lazyload, mapped_column, relationship

from app.accounts.models import Department, User
from app.common import utcnow
from app.extensions import db
from app.i18n import format_day


class WorkspaceStatus(enum.StrEnum):
    ACTIVE = "active"
    ARCHIVED = "archived"


class WorkspaceState(enum.StrEnum):
    """What a reader sees: archived by a lead, ended by its date, or active."""

    ACTIVE = "active"
    ARCHIVED = "archived"
    ENDED = "ended"


class ParticipationStatus(enum.StrEnum):
    INVITED = "invited"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"


class WorkspaceRole(enum.StrEnum):
    LEAD = "lead"
    MEMBER = "member"
    OBSERVER = "observer"


def workspace_state(status: str, ends_on: date, today: date | None = None) -> WorkspaceState:
    """Archived, else ended once its end date is past (``today`` defaults to UTC's), else active."""
    if status == WorkspaceStatus.ARCHIVED:
        return WorkspaceState.ARCHIVED
    if ends_on < (today or utcnow().date()):
        return WorkspaceState.ENDED
    return WorkspaceState.ACTIVE


class Workspace(db.Model):
    """A virtual organisation with a purpose and a sunset, owned by one department.

    ``version`` grows with every change of the workspace's own fields, so an edit based
    on an older version is refused instead of silently overwriting someone else's.
    """

    __tablename__ = "workspaces"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(Text)
    owner_department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    ends_on: Mapped[date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default=WorkspaceStatus.ACTIVE.value)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    archived_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    archived_at: Mapped[datetime | None] = mapped_column(DateTime)

    owner_department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    created_by: Mapped[User] = relationship(foreign_keys=[created_by_id], lazy="joined")
    archived_by: Mapped[User | None] = relationship(foreign_keys=[archived_by_id])
    participations: Mapped[list[WorkspaceDepartment]] = relationship(
        back_populates="workspace",
        order_by="WorkspaceDepartment.id",
        cascade="all, delete-orphan",
    )
    memberships: Mapped[list[Membership]] = relationship(
        back_populates="workspace", order_by="Membership.id", cascade="all, delete-orphan"
    )

    def state(self, today: date | None = None) -> WorkspaceState:
        return workspace_state(self.status, self.ends_on, today)

    def is_writable(self, today: date | None = None) -> bool:
        return self.state(today) == WorkspaceState.ACTIVE

    def read_only_reason(self, today: date | None = None) -> str | None:
        """Why nothing in this workspace can change any more, or ``None`` if it can."""
        state = self.state(today)
        if state == WorkspaceState.ARCHIVED:
            if self.archived_at is None:
                return _("This workspace was archived. It is read-only.")
            return _(
                "This workspace was archived on %(day)s. It is read-only.",
                day=format_day(self.archived_at.date()),
            )
        if state == WorkspaceState.ENDED:
            return _(
                "This workspace ended on %(day)s. It is read-only.", day=format_day(self.ends_on)
            )
        return None

    def participation_for(self, department_id: int) -> WorkspaceDepartment | None:
        return next((p for p in self.participations if p.department_id == department_id), None)

    def membership_of(self, user_id: int) -> Membership | None:
        """The user's membership, from the loaded members or, if they were not loaded, by
        fetching that one row (once per user while the workspace stays loaded).

        Seeing a workspace, following its stream and most reads only ask about the viewer,
        so they need not load every member with their users to answer.
        """
        if "memberships" not in inspect(self).unloaded:
            return next((m for m in self.memberships if m.user_id == user_id), None)
        asked = self.__dict__.setdefault(_SINGLE_MEMBERSHIPS, {})
        if user_id not in asked:
            asked[user_id] = db.session.scalar(
                select(Membership)
                .where(Membership.workspace_id == self.id, Membership.user_id == user_id)
                .options(lazyload(Membership.user))
            )
        return asked[user_id]

    def __str__(self) -> str:
        return self.name


_SINGLE_MEMBERSHIPS = "_single_memberships"


def workspace_with_membership(workspace_id: int, user_id: int, *options) -> Workspace | None:
    """The workspace (loaded with ``options``) and user ``user_id``'s membership of it, in one
    statement; ``None`` when there is no such workspace.

    A page about a workspace asks first who its viewer is there: the membership comes in
    the workspace's own statement, and :meth:`Workspace.membership_of` finds it. A
    workspace already loaded in the session, with that membership known, costs nothing.
    """
    held = db.session.identity_map.get(db.session.identity_key(Workspace, workspace_id))
    if held is not None and user_id in held.__dict__.get(_SINGLE_MEMBERSHIPS, {}):
        return held
    found = (
        db.session.execute(
            _with_membership_statement(options),
            {"workspace_id": workspace_id, "viewer_id": user_id},
        )
        .unique()
        .first()
    )
    if found is None:
        return None
    workspace, membership = found
    workspace.__dict__.setdefault(_SINGLE_MEMBERSHIPS, {})[user_id] = membership
    return workspace


_WITH_MEMBERSHIP: dict[tuple[int, ...], tuple[tuple, Select]] = {}


def _with_membership_statement(options: tuple) -> Select:
    """The statement of :func:`workspace_with_membership` for ``options``, built once.

    Callers pass options built once (module constants), so the same statement object
    serves every request and SQLAlchemy works its cache key out once, not on every read
    (walking a statement with a dozen eager loads took several hundred calls).
    """
    key = tuple(id(option) for option in options)
    known = _WITH_MEMBERSHIP.get(key)
    if known is not None and all(a is b for a, b in zip(known[0], options, strict=True)):
        return known[1]
    statement = (
        select(Workspace, Membership)
        .outerjoin(
            Membership,
            (Membership.workspace_id == Workspace.id)
            & (Membership.user_id == bindparam("viewer_id")),
        )
        .where(Workspace.id == bindparam("workspace_id"))
        .options(*options, lazyload(Membership.user))
    )
    if len(_WITH_MEMBERSHIP) >= _WITH_MEMBERSHIP_MAX:
        _WITH_MEMBERSHIP.clear()
    _WITH_MEMBERSHIP[key] = (options, statement)
    return statement


_WITH_MEMBERSHIP_MAX = 16


@event.listens_for(Workspace, "expire")
@event.listens_for(Workspace, "refresh")
def forget_single_memberships(workspace: Workspace | None, *_args) -> None:
    """Memberships fetched one by one are as stale as the rest once the workspace is."""
    if workspace is not None:  # expiring an object already garbage-collected
        workspace.__dict__.pop(_SINGLE_MEMBERSHIPS, None)


class WorkspaceDepartment(db.Model):
    """A department's part in a workspace: invited, then accepted or declined by its head.

    One row per workspace and department; inviting again after a decline or a withdrawal
    reuses the row (the audit log keeps the history).
    """

    __tablename__ = "workspace_departments"
    # The unique constraint's index also serves lookups by workspace.
    __table_args__ = (UniqueConstraint("workspace_id", "department_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    invited_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    responded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime)
    decline_reason: Mapped[str | None] = mapped_column(Text)
    withdrawn_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime)

    workspace: Mapped[Workspace] = relationship(back_populates="participations")
    department: Mapped[Department] = relationship(lazy="joined", innerjoin=True)
    invited_by: Mapped[User | None] = relationship(foreign_keys=[invited_by_id])
    responded_by: Mapped[User | None] = relationship(foreign_keys=[responded_by_id])
    responded_on_behalf_of: Mapped[User | None] = relationship(
        foreign_keys=[responded_on_behalf_of_id]
    )
    withdrawn_by: Mapped[User | None] = relationship(foreign_keys=[withdrawn_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status == ParticipationStatus.INVITED

    @property
    def is_accepted(self) -> bool:
        return self.status == ParticipationStatus.ACCEPTED


ANSWERING_FOR = "_answering_for"
"""Where :func:`app.workspaces.policy.answering_for` keeps its answers on an invitation."""


@event.listens_for(WorkspaceDepartment, "expire")
@event.listens_for(WorkspaceDepartment, "refresh")
def forget_answers(participation: WorkspaceDepartment | None, *_args) -> None:
    """Who answers for the department is as stale as the rest once the invitation is."""
    if participation is not None:
        participation.__dict__.pop(ANSWERING_FOR, None)


def membership_is_current(expires_at: datetime | None, now: datetime | None = None) -> bool:
    """Whether a membership ending at ``expires_at`` (``None``: never) still holds ``now``."""
    return expires_at is None or expires_at > (now or utcnow())


def last_day_of_access(expires_at: datetime | None) -> date | None:
    """The last (UTC) day a membership ending at ``expires_at`` gives access, if it ends."""
    if expires_at is None:
        return None
    return (expires_at - timedelta(microseconds=1)).date()


class Membership(db.Model):
    """A person's role in a workspace; past ``expires_at`` it counts as no membership."""

    __tablename__ = "memberships"
    # The unique constraint's index also serves lookups by workspace.
    __table_args__ = (UniqueConstraint("workspace_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))
    expires_at: Mapped[datetime | None] = mapped_column(DateTime)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    added_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    workspace: Mapped[Workspace] = relationship(back_populates="memberships")
    user: Mapped[User] = relationship(foreign_keys=[user_id], lazy="joined", innerjoin=True)
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])

    def is_current(self, now: datetime | None = None) -> bool:
        return membership_is_current(self.expires_at, now)

    @property
    def last_day(self) -> date | None:
        """The last (UTC) day of access, as the forms show and take an expiry."""
        return last_day_of_access(self.expires_at)

    @property
    def is_lead(self) -> bool:
        return self.role == WorkspaceRole.LEAD


Workspace.member_count = column_property(
    select(func.count(Membership.id))
    .where(Membership.workspace_id == Workspace.id)
    .correlate_except(Membership)
    .scalar_subquery(),
    deferred=True,
)
