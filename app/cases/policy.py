"""Who may see and work on a joint case (registered with ``app.policy`` at start-up).

People work on a workspace's cases while they hold a current membership of it *and*
their department still takes part (an accepted participation): members of a department
that left lose access at once, whatever their membership says. Leads and members
create, edit, comment, attach and link; observers read. Administrators and auditors
see a case's metadata (its key, title, status, people, dates) for oversight, but not
its description, discussion or files. Nothing changes in an archived or ended workspace.

:func:`participant_workspaces` is the SQL twin of :func:`participation_role`, kept
beside it so that lists and case pages agree (a test checks them on a matrix).
"""

from __future__ import annotations

from functools import cache

from sqlalchemy import bindparam, or_, select

from app.common import utcnow
from app.policy import has_role, rule
from app.workspaces.models import (
    Membership,
    ParticipationStatus,
    WorkspaceDepartment,
    WorkspaceRole,
)

WRITER_ROLES = (WorkspaceRole.LEAD.value, WorkspaceRole.MEMBER.value)


def participation_role(user, workspace) -> str | None:
    """The user's role in ``workspace`` if they take part in its cases now, else ``None``."""
    if workspace is None:
        return None
    membership = workspace.membership_of(user.id)
    if membership is None or not membership.is_current():
        return None
    participation = workspace.participation_for(user.department_id)
    if participation is None or not participation.is_accepted:
        return None
    return membership.role


@cache
def participant_workspaces_by_parameters():
    """:func:`participant_workspaces` with the user and the time as parameters, built once
    (:func:`participant_parameters` gives their values): a list that builds its statement
    for every request then reuses this part, and its cache key, as it is."""
    return (
        select(Membership.workspace_id)
        .join(
            WorkspaceDepartment,
            (WorkspaceDepartment.workspace_id == Membership.workspace_id)
            & (WorkspaceDepartment.department_id == bindparam("participant_department_id")),
        )
        .where(
            Membership.user_id == bindparam("participant_id"),
            or_(
                Membership.expires_at.is_(None),
                Membership.expires_at > bindparam("participant_at"),
            ),
            WorkspaceDepartment.status == ParticipationStatus.ACCEPTED.value,
        )
    )


def participant_parameters(user) -> dict:
    """The values of :func:`participant_workspaces_by_parameters` for ``user`` now."""
    return {
        "participant_id": user.id,
        "participant_department_id": user.department_id,
        "participant_at": utcnow(),
    }


def participant_workspaces(user):
    """SQL: ids of the workspaces whose cases ``user`` reads, as :func:`participation_role`."""
    return participant_workspaces_by_parameters().params(participant_parameters(user))


def oversees(user) -> bool:
    return has_role(user, "admin", "auditor")


def _workspace_of(obj):
    """Rules take a workspace (to create in, to list) or a case (whose workspace decides)."""
    return getattr(obj, "workspace", obj)


@rule("case.list")
def _list(user, workspace) -> bool:
    """Seeing a workspace's cases at all: participants, or oversight (metadata)."""
    workspace = _workspace_of(workspace)
    return workspace is not None and (
        oversees(user) or participation_role(user, workspace) is not None
    )


@rule("case.view")
def _view(user, case) -> bool:
    """A case's metadata: participants of its workspace, administrators and auditors."""
    return case is not None and _list(user, case)


@rule("case.read")
def _read(user, case) -> bool:
    """A case's content (description, timeline, comments, files): participants only."""
    return case is not None and participation_role(user, _workspace_of(case)) is not None


@rule("case.create", "case.update", "case.comment", "case.attach", "case.link")
def _write(user, obj) -> bool:
    """Leads and members of a workspace that can still change."""
    workspace = _workspace_of(obj)
    if workspace is None or not workspace.is_writable():
        return False
    return participation_role(user, workspace) in WRITER_ROLES
