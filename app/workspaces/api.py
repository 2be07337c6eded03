"""REST API of the workspaces domain.

Each route parses its input through a schema, calls one service function and dumps the
result; visibility, policy and validation live in :mod:`app.workspaces.service`.
"""

from __future__ import annotations

from app.api import api_user, endpoint
from app.api.schemas import EventBatchSchema, EventsQuerySchema
from app.workspaces import schemas, service

TAG = "Workspaces"


@endpoint(
    "/workspaces",
    summary="List your workspaces (or every workspace, for administrators and auditors)",
    tag=TAG,
    query=schemas.WorkspaceListQuerySchema(),
    response=schemas.WorkspaceSchema(),
    paginated=True,
    errors=(403,),
    plain_caller=True,
)
def list_workspaces(query: dict):
    return service.list_workspace_answers(api_user(), **query)


@endpoint(
    "/workspaces",
    "POST",
    summary="Create a workspace owned by your department; you become its lead",
    tag=TAG,
    body=schemas.WorkspaceCreateSchema(),
    response=schemas.WorkspaceSchema(),
    status=201,
    errors=(403,),
)
def create_workspace(body: dict):
    return service.create_workspace(api_user(), **body)


@endpoint(
    "/workspaces/<int:workspace_id>",
    summary="A workspace with its departments",
    tag=TAG,
    response=schemas.WorkspaceSchema(),
    errors=(404,),
)
def get_workspace(workspace_id: int):
    return service.get_workspace(api_user(), workspace_id)


@endpoint(
    "/workspaces/<int:workspace_id>",
    "PATCH",
    summary="Change name, purpose or end date (leads; send the version you read)",
    tag=TAG,
    body=schemas.WorkspaceUpdateSchema(),
    response=schemas.WorkspaceSchema(),
    errors=(403, 404, 409),
)
def update_workspace(workspace_id: int, body: dict):
    return service.update_workspace(api_user(), workspace_id, **body)


@endpoint(
    "/workspaces/<int:workspace_id>/archive",
    "POST",
    summary="Archive a workspace: it becomes read-only (leads)",
    tag=TAG,
    response=schemas.WorkspaceSchema(),
    errors=(403, 404, 409),
)
def archive_workspace(workspace_id: int):
    return service.archive_workspace(api_user(), workspace_id)


@endpoint(
    "/workspaces/<int:workspace_id>/departments",
    "POST",
    summary="Invite a department of any region or jurisdiction (leads)",
    tag=TAG,
    body=schemas.InviteSchema(),
    response=schemas.ParticipationSchema(),
    status=201,
    errors=(403, 404, 409),
)
def invite_department(workspace_id: int, body: dict):
    return service.invite_department(api_user(), workspace_id, body["department_id"])


@endpoint(
    "/workspaces/<int:workspace_id>/departments/<int:department_id>/accept",
    "POST",
    summary="Accept an invitation for your department (its head or the head's deputy)",
    tag=TAG,
    response=schemas.ParticipationSchema(),
    errors=(403, 404, 409),
)
def accept_invitation(workspace_id: int, department_id: int):
    return service.accept_invitation(api_user(), workspace_id, department_id)


@endpoint(
    "/workspaces/<int:workspace_id>/departments/<int:department_id>/decline",
    "POST",
    summary="Decline an invitation for your department, with a reason",
    tag=TAG,
    body=schemas.DeclineSchema(),
    response=schemas.ParticipationSchema(),
    errors=(403, 404, 409),
)
def decline_invitation(workspace_id: int, department_id: int, body: dict):
    return service.decline_invitation(
        api_user(), workspace_id, department_id, reason=body["reason"]
    )


@endpoint(
    "/workspaces/<int:workspace_id>/departments/<int:department_id>/withdraw",
    "POST",
    summary="Withdraw a pending invitation (leads)",
    tag=TAG,
    response=schemas.ParticipationSchema(),
    errors=(403, 404, 409),
)
def withdraw_invitation(workspace_id: int, department_id: int):
    return service.withdraw_invitation(api_user(), workspace_id, department_id)


@endpoint(
    "/workspaces/<int:workspace_id>/members",
    summary="A workspace's members: leads first, then members, then observers",
    tag=TAG,
    query=schemas.MemberListQuerySchema(),
    response=schemas.MembershipSchema(),
    paginated=True,
    errors=(404,),
)
def list_members(workspace_id: int, query: dict):
    return service.list_members(api_user(), workspace_id, **query)


@endpoint(
    "/workspaces/<int:workspace_id>/members",
    "POST",
    summary="Add a member from a participating department (leads)",
    tag=TAG,
    body=schemas.MemberCreateSchema(),
    response=schemas.MembershipSchema(),
    status=201,
    errors=(403, 404, 409),
)
def add_member(workspace_id: int, body: dict):
    return service.add_member(api_user(), workspace_id, **body)


@endpoint(
    "/workspaces/<int:workspace_id>/members/<int:user_id>",
    "PATCH",
    summary="Change a member's role or expiry (leads)",
    tag=TAG,
    body=schemas.MemberUpdateSchema(),
    response=schemas.MembershipSchema(),
    errors=(403, 404, 409),
)
def update_member(workspace_id: int, user_id: int, body: dict):
    return service.update_member(api_user(), workspace_id, user_id, **body)


@endpoint(
    "/workspaces/<int:workspace_id>/members/<int:user_id>",
    "DELETE",
    summary="Remove a member; their live updates stop at once (leads)",
    tag=TAG,
    status=204,
    errors=(403, 404, 409),
)
def remove_member(workspace_id: int, user_id: int):
    service.remove_member(api_user(), workspace_id, user_id)


@endpoint(
    "/workspaces/<int:workspace_id>/events",
    summary="The workspace's live events after a sequence number, for catching up",
    tag=TAG,
    query=EventsQuerySchema(),
    response=EventBatchSchema(),
    errors=(404,),
    plain_caller=True,
)
def workspace_events(workspace_id: int, query: dict):
    return service.workspace_events(api_user(), workspace_id, query["after"])
