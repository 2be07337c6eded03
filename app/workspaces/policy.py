"""Who may see and change a workspace (gathered by ``app.policy``).

A membership counts only until it expires. Heads of invited or participating
departments (and their current deputies) see the workspace so they can decide;
administrators and auditors see every workspace's metadata without being members.
Only leads change a workspace, and only while it is active (not archived, not past
its end date).
"""

from __future__ import annotations

from app.policy import has_role, rule
from app.workspaces.models import ParticipationStatus

_INVOLVED = (ParticipationStatus.INVITED, ParticipationStatus.ACCEPTED)


def current_membership(user, workspace):
    """The user's membership of ``workspace`` if it exists and has not expired."""
    membership = workspace.membership_of(user.id)
    return membership if membership is not None and membership.is_current() else None


def decides_for(user, workspace) -> bool:
    """Whether the user heads (or deputises for the head of) an invited or joined department."""
    participation = workspace.participation_for(user.department_id)
    if participation is None or participation.status not in _INVOLVED:
        return False
    return _acts_for(user, participation.department_id)


def _acts_for(user, department_id: int) -> bool:
    from app.accounts.service import acting_for

    return acting_for(user, department_id) is not None


@rule("workspace.create")
def _create(user, _obj) -> bool:
    return has_role(user, "officer", "head")


@rule("workspace.list")
def _list_own(user, _obj) -> bool:
    return True


@rule("workspace.list_all")
def _list_all(user, _obj) -> bool:
    return has_role(user, "admin", "auditor")


@rule("workspace.view")
def _view(user, workspace) -> bool:
    if workspace is None:
        return False
    if has_role(user, "admin", "auditor"):
        return True
    return current_membership(user, workspace) is not None or decides_for(user, workspace)


@rule(
    "workspace.update",
    "workspace.archive",
    "workspace.invite",
    "workspace.withdraw_invitation",
    "workspace.manage_members",
)
def _lead(user, workspace) -> bool:
    if workspace is None or not workspace.is_writable():
        return False
    membership = current_membership(user, workspace)
    return membership is not None and membership.is_lead


@rule("workspace.respond")
def _respond(user, participation) -> bool:
    """The invited department's head, or the head's current deputy, answers a pending invitation."""
    if participation is None or not participation.is_pending:
        return False
    if not participation.workspace.is_writable():
        return False
    return _acts_for(user, participation.department_id)
