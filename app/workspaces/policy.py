"""Who may see and change a workspace (registered with ``app.policy`` at start-up).

A membership counts only until it expires. Heads of invited or participating
departments (and their current deputies) see the workspace so they can decide;
administrators and auditors see every workspace's metadata without being members.
Only leads change a workspace, and only while it is active (not archived, not past
its end date).

:func:`involved_clause` is the SQL twin of :func:`is_involved`, kept beside it so the
workspace list and the workspace page agree (a test checks them on a matrix).
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sqlalchemy import ColumnElement, bindparam, exists, or_, select

from app.accounts.acting import acting_for, deciders
from app.common import utcnow
from app.policy import has_role, rule
from app.workspaces.models import (
    ANSWERING_FOR,
    Membership,
    ParticipationStatus,
    Workspace,
    WorkspaceDepartment,
)

_INVOLVED = (ParticipationStatus.INVITED, ParticipationStatus.ACCEPTED)


def current_membership(user, workspace):
    """The user's membership of ``workspace`` if it exists and has not expired."""
    membership = workspace.membership_of(user.id)
    return membership if membership is not None and membership.is_current() else None


def is_current_member(user_id: Any, workspace_id: Any, now: Any) -> ColumnElement[bool]:
    """Whether the user has a membership of the workspace unexpired at ``now``, as SQL.

    A current member may always view the workspace (:func:`_view`), so the live stream
    asks this over one row before loading the workspace and the user for the full rule,
    in the same statement as its other questions. The arguments are values or bind
    parameters (the live stream builds its statements once).
    """
    return exists().where(
        Membership.workspace_id == workspace_id,
        Membership.user_id == user_id,
        or_(Membership.expires_at.is_(None), Membership.expires_at > now),
    )


def decides_for(user, workspace) -> bool:
    """Whether the user heads (or deputises for the head of) an invited or joined department."""
    participation = workspace.participation_for(user.department_id)
    if participation is None or participation.status not in _INVOLVED:
        return False
    return _acts_for(user, participation.department_id)


def _acts_for(user, department_id: int) -> bool:
    return acting_for(user, department_id) is not None


def is_involved(user, workspace) -> bool:
    """A current member, or someone who decides for an invited or joined department."""
    return current_membership(user, workspace) is not None or decides_for(user, workspace)


def involved_clause(user):
    """SQL condition on ``Workspace`` true exactly where :func:`is_involved` is."""
    acting = acting_for(user, user.department_id) is not None
    return _involved(user.id, utcnow(), user.department_id if acting else None)


def _involved(user_id: Any, now: Any, deciding_for: Any) -> ColumnElement[bool]:
    """:func:`involved_clause` of values or bind parameters; ``deciding_for`` is the
    department the user heads or deputises for, or ``None``."""
    mine = select(Membership.workspace_id).where(
        Membership.user_id == user_id,
        or_(Membership.expires_at.is_(None), Membership.expires_at > now),
    )
    clause = Workspace.id.in_(mine)
    if deciding_for is not None:
        involved = select(WorkspaceDepartment.workspace_id).where(
            WorkspaceDepartment.department_id == deciding_for,
            WorkspaceDepartment.status.in_([status.value for status in _INVOLVED]),
        )
        clause = or_(clause, Workspace.id.in_(involved))
    return clause


@cache
def involved_holds(deciding: bool) -> ColumnElement[bool]:
    """:func:`involved_clause` with the user as bind parameters, built once for each shape.

    The parameters are what :func:`involved_parameters` gives; ``deciding`` says
    whether the user decides for their department (the clause then has a second part).
    """
    return _involved(
        bindparam("involved_user_id"),
        bindparam("involved_now"),
        bindparam("involved_department_id") if deciding else None,
    )


def involved_parameters(user) -> tuple[bool, dict[str, Any]]:
    """The shape of :func:`involved_holds` for ``user`` and its bind parameters."""
    deciding = acting_for(user, user.department_id) is not None
    parameters = {"involved_user_id": user.id, "involved_now": utcnow()}
    if deciding:
        parameters["involved_department_id"] = user.department_id
    return deciding, parameters


def invitation_deciders(department_id: int) -> list:
    """Who answers a department's invitation: the people :func:`_respond` lets answer."""
    return deciders(department_id)


def answering_for(user, participation):
    """The head on whose behalf ``user`` answers this invitation, or ``None``.

    Kept on the loaded invitation for each user asked (and forgotten when it is expired or
    read again): answering asks it twice, to find the head a deputy answers for and in the
    ``workspace.respond`` rule, and for a deputy each time is a query.
    """
    if participation is None:
        return None
    asked = participation.__dict__.setdefault(ANSWERING_FOR, {})
    if user.id not in asked:
        asked[user.id] = acting_for(user, participation.department_id)
    return asked[user.id]


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
    return is_involved(user, workspace)


@rule("workspace.oversee")
def _oversee(user, workspace) -> bool:
    """Administrators and auditors read a workspace's metadata without taking part in it."""
    return workspace is not None and has_role(user, "admin", "auditor")


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
    return answering_for(user, participation) is not None
