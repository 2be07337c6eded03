"""A workspace's life: opening it, changing its details, archiving it.

Each change is one action on the workspace's stream: the audit entry, the live event
with a sentence for the feed, notifications, one commit.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString

from app.accounts.models import User
from app.actions import action
from app.common import utcnow
from app.errors import Conflict, Invalid
from app.extensions import db
from app.policy import require
from app.workspaces.access import (
    WorkspaceError,
    check_end_date,
    check_name,
    check_purpose,
    clean,
    for_change,
    label,
    workspace_path,
    workspace_stream,
)
from app.workspaces.models import (
    Membership,
    ParticipationStatus,
    Workspace,
    WorkspaceDepartment,
    WorkspaceRole,
    WorkspaceStatus,
)

_FIELD_NAMES = {"name": _l("name"), "purpose": _l("purpose"), "ends_on": _l("end date")}


def _changed_text(actor: str, diff: dict) -> LazyString:
    """Which details changed, as live text: one field, or a list of them."""
    names = [_FIELD_NAMES[key] for key in ("name", "purpose", "ends_on") if key in diff]
    if len(names) == 1:
        return _l("%(actor)s changed the workspace's %(field)s", actor=actor, field=names[0])
    return _l(
        "%(actor)s changed the workspace's details: %(fields)s",
        actor=actor,
        fields=LazyString(_join_names, names),
    )


def _join_names(names: list) -> str:
    """Field names joined in the reading language's list style ("name, purpose")."""
    return _(", ").join(str(name) for name in names)


def ensure_may_create(actor: User) -> None:
    """Refuse people who may not create workspaces before they fill in the form.

    Raises:
        Forbidden: the actor is not an officer or head.
    """
    require(
        actor,
        "workspace.create",
        None,
        _("Only officers and heads of a department can create a workspace."),
    )


def create_workspace(actor: User, *, name: str, purpose: str, ends_on: date) -> Workspace:
    """Open a workspace owned by the actor's department, with the actor as its first lead.

    Raises:
        Forbidden: the actor is not an officer or head.
        Invalid: missing name or purpose, or an end date not in the future.
    """
    with action(actor, "workspace.created") as act:
        ensure_may_create(actor)
        name, purpose = clean(name), clean(purpose)
        fields: dict[str, list[str]] = {}
        check_name(name, fields)
        check_purpose(purpose, fields)
        check_end_date(ends_on, fields)
        if fields:
            raise Invalid(_("The workspace was not created."), fields=fields)
        workspace = _new_workspace(actor, name, purpose, ends_on)
        act.target("workspace", workspace.id)
        act.workspace_id = workspace.id
        act.detail.update(name=name, ends_on=ends_on, owner_department_id=actor.department_id)
        act.publish(
            workspace_stream(workspace.id),
            text=_l("%(actor)s created the workspace %(name)s", actor=label(actor), name=name),
            name=name,
            ends_on=ends_on.isoformat(),
        )
    return workspace


def _new_workspace(actor: User, name: str, purpose: str, ends_on: date) -> Workspace:
    now = utcnow()
    workspace = Workspace(
        name=name,
        purpose=purpose,
        owner_department_id=actor.department_id,
        ends_on=ends_on,
        status=WorkspaceStatus.ACTIVE.value,
        version=1,
        created_by_id=actor.id,
        created_at=now,
    )
    workspace.participations.append(
        WorkspaceDepartment(
            department_id=actor.department_id,
            status=ParticipationStatus.ACCEPTED.value,
            invited_by_id=actor.id,
            invited_at=now,
            responded_at=now,
        )
    )
    workspace.memberships.append(
        Membership(
            user_id=actor.id, role=WorkspaceRole.LEAD.value, added_by_id=actor.id, added_at=now
        )
    )
    db.session.add(workspace)
    db.session.flush()
    return workspace


def update_workspace(
    actor: User,
    workspace_id: int,
    *,
    version: int,
    name: str | None = None,
    purpose: str | None = None,
    ends_on: date | None = None,
) -> Workspace:
    """Change a workspace's name, purpose or end date; ``version`` is the one the edit saw.

    Raises:
        NotFound, Forbidden (not a lead), Conflict (read-only; ``stale`` version),
        Invalid (bad values).
    """
    with action(actor, "workspace.updated") as act:
        workspace = for_change(actor, workspace_id, "workspace.update", members=False)
        act.target("workspace", workspace.id)
        act.workspace_id = workspace.id
        if version != workspace.version:
            raise Conflict(
                _(
                    "Someone changed this workspace after you opened it. "
                    "Reload the page to see their change, then make yours again."
                ),
                code=WorkspaceError.STALE,
            )
        diff = _changes(workspace, name=name, purpose=purpose, ends_on=ends_on)
        if not diff:
            act.nothing_changed()
            return workspace
        for key, change in diff.items():
            setattr(workspace, key, change["to"])
        workspace.version += 1
        act.detail["changes"] = diff
        act.publish(
            workspace_stream(workspace.id),
            text=_changed_text(label(actor), diff),
            changed=sorted(diff),
            version=workspace.version,
        )
    return workspace


def _changes(workspace: Workspace, **given: Any) -> dict[str, dict[str, Any]]:
    """The given fields that differ from the workspace's, checked together.

    Raises:
        Invalid: any given value breaks a rule (every problem is reported).
    """
    fields: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if given["name"] is not None:
        changes["name"] = clean(given["name"])
        check_name(changes["name"], fields)
    if given["purpose"] is not None:
        changes["purpose"] = clean(given["purpose"])
        check_purpose(changes["purpose"], fields)
    if given["ends_on"] is not None:
        changes["ends_on"] = given["ends_on"]
        check_end_date(given["ends_on"], fields)
    if fields:
        raise Invalid(_("The workspace was not changed."), fields=fields)
    return {
        key: {"from": getattr(workspace, key), "to": value}
        for key, value in changes.items()
        if getattr(workspace, key) != value
    }


def archive_workspace(actor: User, workspace_id: int) -> Workspace:
    """Archive a workspace: from now on it is read-only for everyone.

    Raises:
        NotFound, Forbidden (not a lead), Conflict (already archived or ended).
    """
    with action(actor, "workspace.archived") as act:
        workspace = for_change(actor, workspace_id, "workspace.archive")
        act.target("workspace", workspace.id)
        act.workspace_id = workspace.id
        workspace.status = WorkspaceStatus.ARCHIVED.value
        workspace.archived_at = utcnow()
        workspace.archived_by_id = actor.id
        workspace.version += 1
        act.publish(
            workspace_stream(workspace.id),
            text=_l("%(actor)s archived the workspace; it is now read-only", actor=label(actor)),
            version=workspace.version,
        )
        act.notify(
            [m.user for m in workspace.memberships if m.is_current() and m.user_id != actor.id],
            subject=_l("%(workspace)s was archived", workspace=workspace.name),
            text=_l(
                "%(actor)s archived the workspace %(workspace)s. It stays readable.",
                actor=label(actor),
                workspace=workspace.name,
            ),
            link=workspace_path(workspace.id),
        )
    return workspace
