"""A workspace's members: adding people of participating departments, changing their role or
expiry, removing them. Whoever loses sight of the workspace loses its live stream at once.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from app.accounts.models import User
from app.actions import action
from app.common import utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.policy import can
from app.security import INT32_MAX
from app.workspaces.access import (
    UNSET,
    WorkspaceError,
    check_expiry,
    check_role,
    current_leads,
    expiry_text,
    for_change,
    label,
    role_name,
    workspace_path,
    workspace_stream,
)
from app.workspaces.models import Membership, Workspace, WorkspaceRole


def add_member(
    actor: User,
    workspace_id: int,
    *,
    user_id: int,
    role: str = WorkspaceRole.MEMBER.value,
    expires_at: datetime | date | None = None,
) -> Membership:
    """Add a person from a participating department; a date expiry means its end of day (UTC).

    Raises:
        NotFound, Forbidden (not a lead), Conflict (read-only),
        Invalid (person inactive or unknown, department not joined, already a member,
        unknown role, expiry not in the future).
    """
    with action(actor, "workspace.member_added") as act:
        workspace = for_change(actor, workspace_id, "workspace.manage_members")
        act.workspace_id = workspace.id
        fields: dict[str, list[str]] = {}
        user = _addable(actor, workspace, user_id, fields)
        check_role(role, fields)
        expiry = check_expiry(expires_at, fields)
        if fields:
            raise Invalid(_("The member was not added."), fields=fields)
        # The relationships, not only the ids: the response names both people, and they
        # stay in the session as long as the membership does.
        membership = Membership(
            user=user, role=role, expires_at=expiry, added_by=actor, added_at=utcnow()
        )
        workspace.memberships.append(membership)
        db.session.flush()
        act.target("membership", membership)
        act.detail.update(user_id=user.id, role=role, expires_at=expiry)
        act.publish(
            workspace_stream(workspace.id),
            text=_l(
                "%(actor)s added %(member)s as %(role)s",
                actor=label(actor),
                member=label(user),
                role=role_name(role),
            ),
            user_id=user.id,
            member=user.display_name,
            role=role,
        )
        params = {"actor": label(actor), "workspace": workspace.name, "role": role_name(role)}
        act.notify(
            [user],
            subject=_l("You were added to %(workspace)s", workspace=workspace.name),
            text=_l(
                "%(actor)s added you to the workspace %(workspace)s as %(role)s until %(end)s.",
                end=expiry_text(expiry),
                **params,
            )
            if expiry
            else _l("%(actor)s added you to the workspace %(workspace)s as %(role)s.", **params),
            link=workspace_path(workspace.id),
        )
    return membership


NOT_A_CANDIDATE = _l("Choose an active person from a participating department.")


def _addable(actor: User, workspace: Workspace, user_id: Any, fields: dict) -> User | None:
    """The person to add, or ``None`` with the reason in ``fields["user_id"]``.

    Only the people a lead may pick are looked up: active, of a department that accepted.
    Anyone else gets one vague answer, so that "add member" cannot tell a lead who
    exists, where they work or whether they were deactivated, unless the lead may see
    that account anyway (``user.view``: admins and auditors).
    """
    if not isinstance(user_id, int) or isinstance(user_id, bool) or not 0 < user_id <= INT32_MAX:
        fields["user_id"] = [str(NOT_A_CANDIDATE)]
        return None
    accepted = [p.department_id for p in workspace.participations if p.is_accepted]
    user = (
        db.session.scalars(
            select(User)
            .where(User.id == user_id, User.active.is_(True), User.department_id.in_(accepted))
            .options(joinedload(User.role_links))
        )
        .unique()
        .first()
    )
    if user is None:
        fields["user_id"] = [_why_not_a_candidate(actor, user_id)]
        return None
    existing = workspace.membership_of(user.id)
    if existing is not None and existing.is_current():
        fields["user_id"] = [
            _(
                "%(name)s is already a member. Change their role or expiry instead.",
                name=user.display_name,
            )
        ]
    elif existing is not None:
        fields["user_id"] = [
            _(
                "%(name)s is already a member (the membership has expired). "
                "Change their role or expiry instead.",
                name=user.display_name,
            )
        ]
    return user


def _why_not_a_candidate(actor: User, user_id: int) -> str:
    """Name the department that has not joined only to someone who may see the person."""
    user = db.session.get(User, user_id)
    if user is None or not user.active or not can(actor, "user.view", user):
        return str(NOT_A_CANDIDATE)
    return _(
        "%(name)s's department, %(department)s, has not joined this workspace. "
        "Invite the department first, or wait for its head to accept.",
        name=user.display_name,
        department=user.department.name,
    )


def _membership_or_404(workspace: Workspace, user_id: Any) -> Membership:
    membership = workspace.membership_of(user_id) if isinstance(user_id, int) else None
    if membership is None:
        raise NotFound(_("That person is not a member of this workspace."))
    return membership


def _ensure_another_lead(workspace: Workspace, membership: Membership) -> None:
    if membership.is_lead and membership.is_current():
        if not current_leads(workspace, excluding=membership):
            raise Conflict(
                _(
                    "%(name)s is the workspace's only lead. Make someone else a lead first.",
                    name=membership.user.display_name,
                ),
                code=WorkspaceError.LAST_LEAD,
            )


def update_member(
    actor: User,
    workspace_id: int,
    user_id: int,
    *,
    role: str = UNSET,
    expires_at: datetime | date | None = UNSET,
) -> Membership:
    """Change a member's role and/or expiry (``expires_at=None`` removes the expiry).

    Raises:
        NotFound (workspace or member), Forbidden (not a lead),
        Conflict (read-only; demoting the last lead), Invalid (bad role or expiry).
    """
    with action(actor, "workspace.member_updated") as act:
        workspace = for_change(actor, workspace_id, "workspace.manage_members")
        act.workspace_id = workspace.id
        membership = _membership_or_404(workspace, user_id)
        act.target("membership", membership.id)
        diff = _membership_changes(membership, role, expires_at)
        if not diff:
            act.nothing_changed()
            return membership
        if "role" in diff and membership.is_lead:
            _ensure_another_lead(workspace, membership)
        for key, change in diff.items():
            setattr(membership, key, change["to"])
        user = membership.user
        act.detail.update(user_id=user.id, changes=diff)
        text = _describe_membership_change(label(actor), membership, diff)
        act.publish(
            workspace_stream(workspace.id),
            text=text,
            user_id=user.id,
            member=user.display_name,
            role=membership.role,
            expires_at=membership.expires_at.isoformat() + "Z" if membership.expires_at else None,
        )
        act.notify(
            [user],
            subject=_l("Your membership of %(workspace)s changed", workspace=workspace.name),
            text=text,
            link=workspace_path(workspace.id),
        )
        act.recheck_access(user.id)
    return membership


def _membership_changes(membership: Membership, role: Any, expires_at: Any) -> dict:
    """What the request changes, checked together.

    Raises:
        Invalid: a bad role or expiry (both reported).
    """
    fields: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if role is not UNSET:
        check_role(role, fields)
        changes["role"] = role
    if expires_at is not UNSET:
        changes["expires_at"] = check_expiry(expires_at, fields)
    if fields:
        raise Invalid(_("The membership was not changed."), fields=fields)
    return {
        key: {"from": getattr(membership, key), "to": value}
        for key, value in changes.items()
        if getattr(membership, key) != value
    }


def _describe_membership_change(actor: str, membership: Membership, diff: dict) -> LazyString:
    """The change as one whole sentence (translators need whole sentences, not pieces)."""
    params = {
        "actor": actor,
        "member": label(membership.user),
        "name": membership.user.display_name,
        "role": role_name(membership.role),
    }
    end = expiry_text(membership.expires_at) if membership.expires_at else None
    if "role" in diff and "expires_at" in diff:
        if end is None:
            return _l(
                "%(actor)s made %(member)s %(role)s and removed the expiry of their membership",
                **params,
            )
        return _l(
            "%(actor)s made %(member)s %(role)s and set their membership to end at %(end)s",
            end=end,
            **params,
        )
    if "role" in diff:
        return _l("%(actor)s made %(member)s %(role)s", **params)
    if end is None:
        return _l("%(actor)s removed the expiry of %(name)s's membership", **params)
    return _l("%(actor)s set %(name)s's membership to end at %(end)s", end=end, **params)


def remove_member(actor: User, workspace_id: int, user_id: int) -> None:
    """Remove a member; once committed, their live connections stop receiving the workspace.

    Raises:
        NotFound (workspace or member), Forbidden (not a lead),
        Conflict (read-only; removing the last lead).
    """
    with action(actor, "workspace.member_removed") as act:
        workspace = for_change(actor, workspace_id, "workspace.manage_members")
        act.workspace_id = workspace.id
        membership = _membership_or_404(workspace, user_id)
        _ensure_another_lead(workspace, membership)
        user = membership.user
        act.target("membership", membership.id)
        act.detail.update(user_id=user.id, role=membership.role)
        workspace.memberships.remove(membership)
        act.publish(
            workspace_stream(workspace.id),
            text=_l("%(actor)s removed %(member)s", actor=label(actor), member=label(user)),
            user_id=user.id,
            member=user.display_name,
        )
        act.notify(
            [user],
            subject=_l("You were removed from %(workspace)s", workspace=workspace.name),
            text=_l(
                "%(actor)s removed you from the workspace %(workspace)s.",
                actor=label(actor),
                workspace=workspace.name,
            ),
        )
        act.recheck_access(user.id)
