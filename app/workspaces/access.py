"""Loading a workspace for a viewer or a change, the checks every workspace operation shares,
and the workspace domain's error codes.

Where existence is sensitive the answer is ``NotFound`` for "missing" and "not yours"
alike; a former member whose membership expired is told so.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import (
    defaultload,
    joinedload,
    lazyload,
    load_only,
    selectinload,
    undefer,
)

from app.accounts.models import User
from app.common import name_problem, utcnow
from app.errors import Conflict, NotFound
from app.extensions import db
from app.i18n import format_day, format_moment
from app.policy import can, is_signed_in, require
from app.workspaces.models import (
    Membership,
    Workspace,
    WorkspaceDepartment,
    WorkspaceRole,
    WorkspaceState,
    forget_single_memberships,
    workspace_with_membership,
)
from app.workspaces.policy import current_membership


class WorkspaceError(enum.StrEnum):
    """Machine-readable codes of the workspace domain's refusals (API ``error.code``)."""

    READ_ONLY = "read_only"
    STALE = "stale"
    ALREADY_INVITED = "already_invited"
    ALREADY_PARTICIPATING = "already_participating"
    NOT_PENDING = "not_pending"
    INVITATION_WITHDRAWN = "invitation_withdrawn"
    ALREADY_ANSWERED = "already_answered"
    LAST_LEAD = "last_lead"


NAME_MAX = 200
PURPOSE_MAX = 5000
REASON_MAX = 2000
MAX_YEARS_AHEAD = 5
FEED_SIZE = 50
CANDIDATE_LIMIT = 500
ROLES = [role.value for role in WorkspaceRole]
STATES = [state.value for state in WorkspaceState]
UNSET: Any = object()


def workspace_stream(workspace_id: int) -> str:
    return f"workspace:{workspace_id}"


def workspace_path(workspace_id: int) -> str:
    """The workspace page's path, for notification links (no request context needed)."""
    return f"/workspaces/{workspace_id}"


# Loading and visibility ---------------------------------------------------------------------


_DECIDED_BY = (
    WorkspaceDepartment.invited_by,
    WorkspaceDepartment.responded_by,
    WorkspaceDepartment.responded_on_behalf_of,
    WorkspaceDepartment.withdrawn_by,
)


def _named(relationship, *, roles=lazyload):
    """The people a department's part names, joined to it (the page shows their names):
    without this each one was a statement, then another for their roles. Anything else
    about them still loads if asked; ``roles=joinedload`` brings their roles too."""
    return joinedload(relationship).options(
        load_only(User.id, User.username, User.display_name, User.active),
        lazyload(User.department),
        roles(User.role_links),
    )


_VIEWER_LOADING = (
    undefer(Workspace.member_count),
    _named(Workspace.created_by),
    joinedload(Workspace.participations).options(*(_named(by) for by in _DECIDED_BY)),
)
"""What a read for one viewer loads with the workspace. Built once: loader options are
immutable, and building these took more Python than the rest of the workspace's read."""


def load_workspace(
    workspace_id: Any, *, lock: bool = False, members: bool = True, viewer_id: int | None = None
) -> Workspace | None:
    """The workspace with its departments; ``lock`` locks its row for a change.

    A locked load also loads every membership, unless ``members`` is false: a change that
    asks only about the actor (editing the name, purpose or end date) then fetches the
    actor's membership alone, instead of every member with their roles. A read for
    ``viewer_id`` brings that user's membership in the same statement (a page asks it
    first), and the departments too.
    """
    if not isinstance(workspace_id, int) or isinstance(workspace_id, bool):
        return None
    if viewer_id is not None and not lock:
        return workspace_with_membership(workspace_id, viewer_id, *_VIEWER_LOADING)
    if lock:
        # A change may check or touch any membership (last lead, notifications): load them
        # all, and refresh everything it loads (so no partial users over the actor's). Two
        # statements: the locked workspace with its departments and the people who decided
        # them (whom the response names), then its members with their users and roles.
        # Refreshing a person resets their roles, and the actor is often one of them (the
        # creator): their roles come in the same statement, not in one more after it.
        stmt = (
            select(Workspace)
            .where(Workspace.id == workspace_id)
            .options(
                undefer(Workspace.member_count),
                defaultload(Workspace.created_by).joinedload(User.role_links),
                joinedload(Workspace.participations).options(
                    *(_named(by, roles=joinedload) for by in _DECIDED_BY)
                ),
            )
            .with_for_update(of=Workspace)
            .execution_options(populate_existing=True)
        )
        if members:
            stmt = stmt.options(
                selectinload(Workspace.memberships)
                .joinedload(Membership.user)
                .joinedload(User.role_links)
            )
    else:
        stmt = (
            select(Workspace)
            .where(Workspace.id == workspace_id)
            .options(
                undefer(Workspace.member_count),
                defaultload(Workspace.created_by).lazyload(User.role_links),
                selectinload(Workspace.participations).options(*(_named(by) for by in _DECIDED_BY)),
            )
        )
    workspace = db.session.scalars(stmt).unique().first()
    if workspace is not None:
        # Reads ask only the viewer's membership (``Workspace.membership_of``), fetched
        # afresh for this load.
        forget_single_memberships(workspace)
    return workspace


def ensure_visible(actor: User, workspace: Workspace | None) -> Workspace:
    """Return the workspace if the actor may see it.

    Raises:
        NotFound: missing, or not visible to the actor; an expired member hears why.
    """
    if workspace is not None and can(actor, "workspace.view", workspace):
        return workspace
    if workspace is not None and is_signed_in(actor):
        membership = workspace.membership_of(actor.id)
        if membership is not None and not membership.is_current():
            raise NotFound(
                _(
                    "Your membership of this workspace ended at %(end)s. "
                    "Ask one of its leads to renew it.",
                    end=describe_expiry(membership.expires_at),
                )
            )
    raise NotFound(_("Workspace not found."))


def ensure_writable(workspace: Workspace) -> None:
    reason = workspace.read_only_reason()
    if reason:
        raise Conflict(reason, code=WorkspaceError.READ_ONLY)


def lead_only_message(actor: User, workspace: Workspace) -> str:
    membership = current_membership(actor, workspace)
    if membership is not None and membership.role == WorkspaceRole.OBSERVER:
        return _("Observers can read this workspace but not change it.")
    return _("Only the workspace's leads can do that.")


def for_change(actor: User, workspace_id: Any, action: str, *, members: bool = True) -> Workspace:
    """Load and lock a workspace the actor may change with ``action``.

    ``members=False`` for a change that touches no membership (see :func:`load_workspace`).

    Raises:
        NotFound: missing or not visible.
        Conflict: archived or past its end date (code ``read_only``).
        Forbidden: the actor is not one of its leads.
    """
    workspace = ensure_visible(actor, load_workspace(workspace_id, lock=True, members=members))
    ensure_writable(workspace)
    require(actor, action, workspace, lead_only_message(actor, workspace))
    return workspace


def get_workspace(actor: User, workspace_id: int) -> Workspace:
    """A workspace the actor may see, with its departments and the actor's membership.

    Raises:
        NotFound: missing or not visible to the actor (the same answer for both).
    """
    viewer_id = actor.id if is_signed_in(actor) else None
    return ensure_visible(actor, load_workspace(workspace_id, viewer_id=viewer_id))


def can_view_workspace(actor: User, workspace_id: int) -> bool:
    """Whether the actor may open the workspace's page now (after an answer, for instance)."""
    workspace = load_workspace(workspace_id)
    return workspace is not None and can(actor, "workspace.view", workspace)


def editable_workspace(actor: User, workspace_id: int) -> Workspace:
    """A workspace the actor may edit now, for showing the edit form.

    Raises:
        NotFound, Conflict (read-only), Forbidden (not a lead).
    """
    workspace = ensure_visible(actor, load_workspace(workspace_id))
    ensure_writable(workspace)
    require(actor, "workspace.update", workspace, lead_only_message(actor, workspace))
    return workspace


# Validation helpers -------------------------------------------------------------------------


def clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def check_name(name: str, fields: dict) -> None:
    if not name:
        fields["name"] = [_("Give the workspace a name.")]
    elif len(name) > NAME_MAX:
        fields["name"] = [_("Keep the name within %(count)s characters.", count=NAME_MAX)]
    elif problem := name_problem(name):
        fields["name"] = [problem]


def check_purpose(purpose: str, fields: dict) -> None:
    if not purpose:
        fields["purpose"] = [_("Say what the departments will work on together.")]
    elif len(purpose) > PURPOSE_MAX:
        fields["purpose"] = [_("Keep the purpose within %(count)s characters.", count=PURPOSE_MAX)]


def check_end_date(ends_on: Any, fields: dict) -> None:
    today = utcnow().date()
    if not isinstance(ends_on, date) or isinstance(ends_on, datetime):
        fields["ends_on"] = [_("Give the date the workspace ends.")]
    elif ends_on <= today:
        fields["ends_on"] = [_("The end date must be in the future.")]
    elif ends_on > today + timedelta(days=366 * MAX_YEARS_AHEAD):
        fields["ends_on"] = [
            _("A workspace runs for at most %(count)s years.", count=MAX_YEARS_AHEAD)
        ]


def check_role(role: Any, fields: dict) -> None:
    if role not in ROLES:
        fields["role"] = [_("Choose lead, member or observer.")]


def check_expiry(expires: Any, fields: dict) -> datetime | None:
    """A membership expiry as naive UTC; a date means "until the end of that day" (UTC)."""
    if expires is None:
        return None
    if isinstance(expires, datetime):
        at = expires.astimezone(UTC).replace(tzinfo=None) if expires.tzinfo else expires
    elif isinstance(expires, date):
        at = datetime.combine(expires + timedelta(days=1), time.min)
    else:
        fields["expires_at"] = [_("Give a date, or leave it empty for no expiry.")]
        return None
    if at <= utcnow():
        fields["expires_at"] = [_("The expiry must be in the future.")]
    return at


def describe_expiry(expires_at: datetime) -> str:
    """An expiry in words, in the current locale: "the end of 22 Jan 2027" for day-based ones.

    A day-based expiry is the end of that day in UTC; a moment is shown in the reader's zone.
    """
    if expires_at.time() == time.min:
        last_day = (expires_at - timedelta(days=1)).date()
        return _("the end of %(day)s", day=format_day(last_day))
    return format_moment(expires_at)


def expiry_text(expires_at: datetime) -> LazyString:
    """An expiry in words, rendered in whichever language a live text is read in."""
    return LazyString(describe_expiry, expires_at)


_ROLE_NAMES = {
    WorkspaceRole.LEAD.value: _l("lead"),
    WorkspaceRole.MEMBER.value: _l("member"),
    WorkspaceRole.OBSERVER.value: _l("observer"),
}


def role_name(role: str) -> LazyString | str:
    """A member role in words, in the language the sentence around it is read in."""
    return _ROLE_NAMES.get(role, role)


def label(user: User) -> str:
    return f"{user.display_name} ({user.department.name})"


def current_leads(workspace: Workspace, *, excluding: Membership | None = None) -> list[User]:
    return [
        m.user
        for m in workspace.memberships
        if m is not excluding and m.is_lead and m.is_current() and m.user.active
    ]
