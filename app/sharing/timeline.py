"""What every change of a request leaves behind: a timeline entry, and the live news of it.

Each transition records a :class:`TimelineEntry` and announces one sentence on three kinds
of stream: the request's own (its page), its workspace's (the activity feed) and the
``user:<id>`` streams of everyone whose queues or counts it may change.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from app.accounts.acting import deciders
from app.accounts.models import Role, User, UserRole
from app.actions import Action
from app.common import utcnow
from app.extensions import db
from app.sharing.access import request_stream
from app.sharing.models import DataRequest, EntryKind, TimelineEntry
from app.workspaces.access import workspace_stream


def record(
    request: DataRequest,
    kind: EntryKind,
    actor: User,
    *,
    role: str | None = None,
    head: User | None = None,
    note: str | None = None,
    detail: dict[str, Any] | None = None,
) -> TimelineEntry:
    """Add a timeline entry; ``head`` is whom a deputy acted for (ignored when it is the actor)."""
    entry = TimelineEntry(
        kind=kind.value,
        role=role,
        actor_id=actor.id,
        on_behalf_of_id=head.id if head is not None and head.id != actor.id else None,
        note=note or None,
        detail=detail or {},
        created_at=utcnow(),
    )
    request.entries.append(entry)
    request.updated_at = entry.created_at
    return entry


def dpos() -> list[User]:
    """Every active data protection officer."""
    return list(
        db.session.scalars(
            select(User).where(
                User.active.is_(True), User.role_links.any(UserRole.role == Role.DPO.value)
            )
        )
    )


def next_deciders(request: DataRequest) -> list[User]:
    """Who must act now on a request waiting for a decision (never its requester)."""
    people: list[User] = []
    if request.status == "submitted":
        people = deciders(request.requesting_department_id)
    elif request.status == "endorsed":
        if not request.owner_approval_in:
            people += deciders(request.owner_department_id)
        if request.needs_dpo and not request.dpo_approval_in:
            people += dpos()
    approved = {request.owner_approved_by_id, request.dpo_approved_by_id}
    return [p for p in people if p.id != request.requester_id and p.id not in approved]


def audience(request: DataRequest, *, had_dpo: bool = False) -> set[int]:
    """Everyone whose "filed" or "waiting" lists a change of this request may alter."""
    people = {request.requester_id}
    people.update(u.id for u in deciders(request.requesting_department_id))
    people.update(u.id for u in deciders(request.owner_department_id))
    if request.needs_dpo or had_dpo:
        people.update(u.id for u in dpos())
    return people


def announce(
    act: Action, request: DataRequest, text: str, *, had_dpo: bool = False, **data: Any
) -> None:
    """Publish ``text`` on the request's, the workspace's and the affected people's streams."""
    act.target("data_request", request)
    act.workspace_id = request.workspace_id
    payload = {"request_id": request.id, "status": request.status, **data}
    act.publish(request_stream(request.id), text=text, **payload)
    act.publish(workspace_stream(request.workspace_id), text=text, **payload)
    for user_id in sorted(audience(request, had_dpo=had_dpo)):
        act.publish(f"user:{user_id}", text=text, **payload)
