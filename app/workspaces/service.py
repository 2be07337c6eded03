"""Workspaces: the operations that views, the API and the command line call.

The work lives in modules along the domain's seams, each readable in one sitting:
:mod:`~app.workspaces.access` (loading a workspace for a viewer or a change, shared
checks, error codes), :mod:`~app.workspaces.browse` (lists, the workspace page, the
activity catch-up), :mod:`~app.workspaces.lifecycle` (create, edit, archive),
:mod:`~app.workspaces.invitations` (departments) and :mod:`~app.workspaces.members`.
Every change is one action (:mod:`app.actions`).
"""

from app.workspaces.access import (
    NAME_MAX,
    PURPOSE_MAX,
    REASON_MAX,
    WorkspaceError,
    can_view_workspace,
    describe_expiry,
    editable_workspace,
    get_workspace,
    workspace_path,
    workspace_stream,
)
from app.workspaces.browse import (
    FilterOptions,
    WorkspaceOverview,
    filter_options,
    list_members,
    list_workspace_answers,
    list_workspace_rows,
    list_workspaces,
    workspace_events,
    workspace_overview,
)
from app.workspaces.invitations import (
    accept_invitation,
    decline_invitation,
    invite_department,
    withdraw_invitation,
)
from app.workspaces.lifecycle import (
    archive_workspace,
    create_workspace,
    ensure_may_create,
    update_workspace,
)
from app.workspaces.members import add_member, remove_member, update_member

__all__ = [
    "NAME_MAX",
    "PURPOSE_MAX",
    "REASON_MAX",
    "FilterOptions",
    "WorkspaceError",
    "WorkspaceOverview",
    "accept_invitation",
    "add_member",
    "archive_workspace",
    "create_workspace",
    "decline_invitation",
    "describe_expiry",
    "can_view_workspace",
    "editable_workspace",
    "ensure_may_create",
    "filter_options",
    "get_workspace",
    "invite_department",
    "list_members",
    "list_workspace_answers",
    "list_workspace_rows",
    "list_workspaces",
    "remove_member",
    "update_member",
    "update_workspace",
    "withdraw_invitation",
    "workspace_events",
    "workspace_overview",
    "workspace_path",
    "workspace_stream",
]
