"""Departments in a workspace: inviting them, withdrawing an invitation, and the answer of
the invited department's head (or the head's current deputy, recorded on their behalf).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import Department, User
from app.actions import Action, action
from app.common import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.i18n import format_day
from app.policy import is_signed_in, require
from app.workspaces.access import (
    REASON_MAX,
    WorkspaceError,
    clean,
    current_leads,
    ensure_visible,
    ensure_writable,
    for_change,
    label,
    load_workspace,
    workspace_path,
    workspace_stream,
)
from app.workspaces.models import ParticipationStatus, Workspace, WorkspaceDepartment
from app.workspaces.policy import answering_for, invitation_deciders


def invite_department(actor: User, workspace_id: int, department_id: int) -> WorkspaceDepartment:
    """Invite a department, of any region or jurisdiction; its head decides.

    A department that declined, or whose invitation was withdrawn, can be invited again.
    Its heads and their current deputies are notified.

    Raises:
        NotFound, Forbidden (not a lead), Conflict (read-only; already invited or taking part),
        Invalid (no such department).
    """
    with action(actor, "workspace.department_invited") as act:
        workspace = for_change(actor, workspace_id, "workspace.invite")
        act.workspace_id = workspace.id
        department = _invitable(workspace, department_id)
        participation = workspace.participation_for(department.id)
        again = participation is not None
        if participation is None:
            participation = WorkspaceDepartment(department=department)
            workspace.participations.append(participation)
        _reset_invitation(participation, actor)
        db.session.flush()
        act.target("workspace_department", participation)
        act.detail.update(department_id=department.id, department=department.name, again=again)
        region = department.region
        act.publish(
            workspace_stream(workspace.id),
            text=_l(
                "%(actor)s invited %(department)s (%(region)s, %(jurisdiction)s)",
                actor=label(actor),
                department=department.name,
                region=region.name,
                jurisdiction=region.jurisdiction,
            ),
            department_id=department.id,
            department=department.name,
        )
        act.notify(
            invitation_deciders(department.id),
            kind="workspace.invitation",
            subject=_l(
                "%(department)s is invited to %(workspace)s",
                department=department.name,
                workspace=workspace.name,
            ),
            text=_l(
                "%(actor)s invited %(department)s to the workspace %(workspace)s. As its head, "
                "or the head's deputy, you can accept or decline on the workspace page.",
                actor=label(actor),
                department=department.name,
                workspace=workspace.name,
            ),
            link=workspace_path(workspace.id),
        )
    return participation


def _invitable(workspace: Workspace, department_id: Any) -> Department:
    """The department to invite, if it exists and is not invited or taking part already.

    Raises:
        Invalid: no such department. Conflict: already invited, or already taking part.
    """
    department = (
        db.session.get(Department, department_id)
        if isinstance(department_id, int) and not isinstance(department_id, bool)
        else None
    )
    if department is None:
        raise Invalid(
            _("The department was not invited."),
            fields={"department_id": [_("Choose an existing department.")]},
        )
    participation = workspace.participation_for(department.id)
    if participation is not None and participation.is_pending:
        raise Conflict(
            _(
                "%(department)s has already been invited; its head has not answered yet.",
                department=department.name,
            ),
            code=WorkspaceError.ALREADY_INVITED,
        )
    if participation is not None and participation.is_accepted:
        raise Conflict(
            _("%(department)s already takes part in this workspace.", department=department.name),
            code=WorkspaceError.ALREADY_PARTICIPATING,
        )
    return department


def _reset_invitation(participation: WorkspaceDepartment, actor: User) -> None:
    participation.status = ParticipationStatus.INVITED.value
    participation.invited_by = actor
    participation.invited_at = utcnow()
    participation.responded_by = None
    participation.responded_on_behalf_of = None
    participation.responded_at = None
    participation.decline_reason = None
    participation.withdrawn_by = None
    participation.withdrawn_at = None


def _participation_or_404(workspace: Workspace, department_id: Any) -> WorkspaceDepartment:
    participation = (
        workspace.participation_for(department_id) if isinstance(department_id, int) else None
    )
    if participation is None:
        raise NotFound(_("That department has not been invited to this workspace."))
    return participation


def withdraw_invitation(actor: User, workspace_id: int, department_id: int) -> WorkspaceDepartment:
    """Withdraw a pending invitation; the department's heads and deputies are told.

    Raises:
        NotFound (workspace or invitation), Forbidden (not a lead),
        Conflict (read-only; the invitation is no longer pending).
    """
    with action(actor, "workspace.invitation_withdrawn") as act:
        workspace = for_change(actor, workspace_id, "workspace.withdraw_invitation")
        act.workspace_id = workspace.id
        participation = _participation_or_404(workspace, department_id)
        department = participation.department
        if not participation.is_pending:
            messages = {
                ParticipationStatus.ACCEPTED: _l(
                    "%(department)s has already accepted; "
                    "a participating department's invitation cannot be withdrawn.",
                    department=department.name,
                ),
                ParticipationStatus.DECLINED: _l(
                    "%(department)s already declined the invitation.", department=department.name
                ),
                ParticipationStatus.WITHDRAWN: _l("This invitation has already been withdrawn."),
            }
            raise Conflict(
                messages[ParticipationStatus(participation.status)],
                code=WorkspaceError.NOT_PENDING,
            )
        participation.status = ParticipationStatus.WITHDRAWN.value
        participation.withdrawn_by = actor
        participation.withdrawn_at = utcnow()
        act.target("workspace_department", participation.id)
        act.detail.update(department_id=department.id, department=department.name)
        act.publish(
            workspace_stream(workspace.id),
            text=_l(
                "%(actor)s withdrew the invitation to %(department)s",
                actor=label(actor),
                department=department.name,
            ),
            department_id=department.id,
            department=department.name,
        )
        deciders = invitation_deciders(department.id)
        act.notify(
            deciders,
            subject=_l("Invitation to %(workspace)s withdrawn", workspace=workspace.name),
            text=_l(
                "%(actor)s withdrew the invitation of %(department)s to the workspace "
                "%(workspace)s. Nothing needs to be done.",
                actor=label(actor),
                department=department.name,
                workspace=workspace.name,
            ),
        )
        act.recheck_access(*(user.id for user in deciders))
    return participation


def _answerable(
    actor: User, workspace_id: Any, department_id: Any
) -> tuple[Workspace, WorkspaceDepartment, User]:
    """The locked workspace, the invitation and the head the actor answers for.

    Raises:
        NotFound: no such workspace or invitation that the actor may know of.
        Forbidden: policy does not let the actor answer for the invited department.
        Conflict: read-only workspace; invitation withdrawn or already answered.
    """
    workspace = load_workspace(workspace_id, lock=True)
    participation = (
        workspace.participation_for(department_id)
        if workspace is not None and isinstance(department_id, int)
        else None
    )
    head = answering_for(actor, participation) if is_signed_in(actor) else None
    if head is None:
        ensure_visible(actor, workspace)
        if participation is None:
            raise NotFound(_("That department has not been invited to this workspace."))
        require(
            actor,
            "workspace.respond",
            participation,
            _(
                "Only the head of %(department)s, or the head's current deputy, "
                "can answer this invitation.",
                department=participation.department.name,
            ),
        )
    ensure_writable(workspace)
    _ensure_pending(participation)
    require(actor, "workspace.respond", participation)
    return workspace, participation, head


def _ensure_pending(participation: WorkspaceDepartment) -> None:
    department = participation.department
    if participation.status == ParticipationStatus.WITHDRAWN:
        by, on = participation.withdrawn_by, participation.withdrawn_at
        message = (
            _(
                "The invitation of %(department)s was withdrawn by %(name)s on %(day)s; "
                "there is nothing to answer.",
                department=department.name,
                name=by.display_name,
                day=format_day(on.date()),
            )
            if by is not None and on is not None
            else _(
                "The invitation of %(department)s was withdrawn; there is nothing to answer.",
                department=department.name,
            )
        )
        raise Conflict(message, code=WorkspaceError.INVITATION_WITHDRAWN)
    if participation.status in (ParticipationStatus.ACCEPTED, ParticipationStatus.DECLINED):
        raise Conflict(
            _("%(department)s already accepted this invitation.", department=department.name)
            if participation.status == ParticipationStatus.ACCEPTED
            else _("%(department)s already declined this invitation.", department=department.name),
            code=WorkspaceError.ALREADY_ANSWERED,
        )


def accept_invitation(actor: User, workspace_id: int, department_id: int) -> WorkspaceDepartment:
    """Accept an invitation for the actor's department, as its head or the head's deputy.

    A deputy's acceptance is recorded on behalf of the head. The workspace's leads are told.

    Raises:
        NotFound, Forbidden (not the head or a current deputy),
        Conflict (read-only; withdrawn or already answered).
    """
    with action(actor, "workspace.department_accepted") as act:
        workspace, participation, head = _answerable(actor, workspace_id, department_id)
        _answer(act, head, workspace, participation, ParticipationStatus.ACCEPTED, None)
    return participation


def decline_invitation(
    actor: User, workspace_id: int, department_id: int, *, reason: str
) -> WorkspaceDepartment:
    """Decline an invitation for the actor's department, with a reason the leads will read.

    Raises:
        NotFound, Forbidden, Conflict (as for accepting), Invalid (no reason).
    """
    with action(actor, "workspace.department_declined") as act:
        workspace, participation, head = _answerable(actor, workspace_id, department_id)
        reason = _check_reason(reason)
        _answer(act, head, workspace, participation, ParticipationStatus.DECLINED, reason)
        act.recheck_access(*(user.id for user in invitation_deciders(participation.department_id)))
    return participation


def _check_reason(reason: Any) -> str:
    reason = clean(reason)
    if not reason:
        problem = _("Say why the department declines, for the workspace's leads.")
    elif len(reason) > REASON_MAX:
        problem = _("Keep the reason within %(count)s characters.", count=REASON_MAX)
    else:
        return reason
    raise Invalid(_("The invitation was not declined."), fields={"reason": [problem]})


def _answer(
    act: Action,
    head: User,
    workspace: Workspace,
    participation: WorkspaceDepartment,
    decision: ParticipationStatus,
    reason: str | None,
) -> None:
    actor = act.actor
    participation.status = decision.value
    participation.responded_by = actor
    participation.responded_on_behalf_of = head if head.id != actor.id else None
    participation.responded_at = utcnow()
    participation.decline_reason = reason
    department = participation.department
    act.target("workspace_department", participation.id)
    act.workspace_id = workspace.id
    act.department_id = department.id
    act.detail.update(department_id=department.id, department=department.name)
    if head.id != actor.id:
        act.detail.update(on_behalf_of=head.id, on_behalf_of_name=head.display_name)
    if reason:
        act.detail["reason"] = reason
    accepted = decision == ParticipationStatus.ACCEPTED
    params = {"department": department.name, "workspace": workspace.name}
    deputy_for = head if head.id != actor.id else None
    text = _answer_text(label(actor), deputy_for, None if accepted else reason or "", **params)
    act.publish(
        workspace_stream(workspace.id),
        text=text,
        department_id=department.id,
        department=department.name,
        on_behalf_of=head.display_name if head.id != actor.id else None,
    )
    act.notify(
        current_leads(workspace),
        subject=_l("%(department)s accepted the invitation to %(workspace)s", **params)
        if accepted
        else _l("%(department)s declined the invitation to %(workspace)s", **params),
        text=text,
        link=workspace_path(workspace.id),
    )


def _answer_text(actor: str, head: User | None, reason: str | None, **places: str):
    """The answer as a whole sentence (one per form, for translators), as live text."""
    if reason is None and head is None:
        return _l(
            "%(actor)s accepted the invitation of %(department)s to %(workspace)s",
            actor=actor,
            **places,
        )
    if reason is None:
        return _l(
            "%(actor)s, on behalf of %(head)s, accepted the invitation of %(department)s "
            "to %(workspace)s",
            actor=actor,
            head=head.display_name,
            **places,
        )
    if head is None:
        return _l(
            "%(actor)s declined the invitation of %(department)s to %(workspace)s: %(reason)s",
            actor=actor,
            reason=reason,
            **places,
        )
    return _l(
        "%(actor)s, on behalf of %(head)s, declined the invitation of %(department)s "
        "to %(workspace)s: %(reason)s",
        actor=actor,
        head=head.display_name,
        reason=reason,
        **places,
    )
