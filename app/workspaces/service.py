"""Workspaces: creating them, inviting departments, answering invitations, managing members.

Every public function that changes something is one transaction: it loads (and locks)
the workspace, checks that the actor may see it, that it is still writable and that
policy allows the change, validates the input (all field errors at once), changes
state, writes the audit entry, publishes the event on ``workspace:<id>`` (with a human
sentence in ``text``), adds notifications, and commits once. A refusal changes nothing.

Where existence is sensitive the answer is ``NotFound`` for "missing" and "not yours"
alike; a former member whose membership expired is told so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import and_, case, or_, select
from sqlalchemy.orm import selectinload, undefer

from app import audit
from app.accounts.models import Delegation, Department, Region, User, UserRole
from app.accounts.service import acting_for
from app.common import Page, paginate, utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.notifications.service import notify
from app.policy import can, is_signed_in, require
from app.realtime import after_commit, events_after, evict_from_room, last_seq, publish
from app.realtime.models import Event
from app.workspaces.models import (
    Membership,
    ParticipationStatus,
    Workspace,
    WorkspaceDepartment,
    WorkspaceRole,
    WorkspaceState,
    WorkspaceStatus,
)
from app.workspaces.policy import current_membership

NAME_MAX = 200
PURPOSE_MAX = 5000
REASON_MAX = 2000
MAX_YEARS_AHEAD = 5
FEED_SIZE = 50
CANDIDATE_LIMIT = 500
ROLES = [role.value for role in WorkspaceRole]
STATES = [state.value for state in WorkspaceState]
_UNSET: Any = object()


def workspace_stream(workspace_id: int) -> str:
    return f"workspace:{workspace_id}"


def workspace_path(workspace_id: int) -> str:
    """The workspace page's path, for notification links (no request context needed)."""
    return f"/workspaces/{workspace_id}"


# Loading and visibility ---------------------------------------------------------------------


def _load(workspace_id: Any, *, lock: bool = False) -> Workspace | None:
    if not isinstance(workspace_id, int) or isinstance(workspace_id, bool):
        return None
    stmt = (
        select(Workspace)
        .where(Workspace.id == workspace_id)
        .options(
            selectinload(Workspace.participations),
            selectinload(Workspace.memberships),
            undefer(Workspace.member_count),
        )
    )
    if lock:
        stmt = stmt.with_for_update(of=Workspace).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def _ensure_visible(actor: User, workspace: Workspace | None) -> Workspace:
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
                "Your membership of this workspace ended at "
                f"{describe_expiry(membership.expires_at)}. Ask one of its leads to renew it."
            )
    raise NotFound("Workspace not found.")


def _ensure_writable(workspace: Workspace) -> None:
    reason = workspace.read_only_reason()
    if reason:
        raise Conflict(reason, code="read_only")


def _lead_only(actor: User, workspace: Workspace) -> str:
    membership = current_membership(actor, workspace)
    if membership is not None and membership.role == WorkspaceRole.OBSERVER:
        return "Observers can read this workspace but not change it."
    return "Only the workspace's leads can do that."


def _for_change(actor: User, workspace_id: Any, action: str) -> Workspace:
    """Load and lock a workspace the actor may change with ``action``.

    Raises:
        NotFound: missing or not visible.
        Conflict: archived or past its end date (code ``read_only``).
        Forbidden: the actor is not one of its leads.
    """
    workspace = _ensure_visible(actor, _load(workspace_id, lock=True))
    _ensure_writable(workspace)
    require(actor, action, workspace, _lead_only(actor, workspace))
    return workspace


def get_workspace(actor: User, workspace_id: int) -> Workspace:
    """A workspace the actor may see, with its departments and members loaded.

    Raises:
        NotFound: missing or not visible to the actor (the same answer for both).
    """
    return _ensure_visible(actor, _load(workspace_id))


def editable_workspace(actor: User, workspace_id: int) -> Workspace:
    """A workspace the actor may edit now, for showing the edit form.

    Raises:
        NotFound, Conflict (read-only), Forbidden (not a lead).
    """
    workspace = _ensure_visible(actor, _load(workspace_id))
    _ensure_writable(workspace)
    require(actor, "workspace.update", workspace, _lead_only(actor, workspace))
    return workspace


# Lists --------------------------------------------------------------------------------------


def _acting_department_ids(actor: User) -> list[int]:
    """The departments whose invitations the actor answers: their own, if head or deputy."""
    return [actor.department_id] if acting_for(actor, actor.department_id) else []


def _visible_clause(actor: User):
    now = utcnow()
    mine = select(Membership.workspace_id).where(
        Membership.user_id == actor.id,
        or_(Membership.expires_at.is_(None), Membership.expires_at > now),
    )
    clause = Workspace.id.in_(mine)
    departments = _acting_department_ids(actor)
    if departments:
        involved = select(WorkspaceDepartment.workspace_id).where(
            WorkspaceDepartment.department_id.in_(departments),
            WorkspaceDepartment.status.in_(
                [ParticipationStatus.INVITED.value, ParticipationStatus.ACCEPTED.value]
            ),
        )
        clause = or_(clause, Workspace.id.in_(involved))
    return clause


def _state_clause(state: str):
    today = utcnow().date()
    if state == WorkspaceState.ARCHIVED:
        return Workspace.status == WorkspaceStatus.ARCHIVED.value
    active = Workspace.status == WorkspaceStatus.ACTIVE.value
    if state == WorkspaceState.ENDED:
        return and_(active, Workspace.ends_on < today)
    return and_(active, Workspace.ends_on >= today)


def _participating(*conditions):
    return Workspace.id.in_(
        select(WorkspaceDepartment.workspace_id)
        .join(Department, Department.id == WorkspaceDepartment.department_id)
        .where(WorkspaceDepartment.status == ParticipationStatus.ACCEPTED.value, *conditions)
    )


def list_workspaces(
    actor: User,
    *,
    q: str | None = None,
    region_id: int | None = None,
    department_id: int | None = None,
    status: str | None = None,
    scope: str = "mine",
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """One page of workspaces, newest first, with their departments loaded.

    ``scope="mine"`` lists the workspaces the actor belongs to or decides on for their
    department; ``scope="all"`` lists every workspace, for administrators and auditors.
    ``region_id`` and ``department_id`` keep workspaces in which a department of that
    region (or that department) participates; ``status`` is active, archived or ended.

    Raises:
        Forbidden: ``scope="all"`` for someone who is neither admin nor auditor.
        Invalid: an unknown status or scope.
    """
    require(actor, "workspace.list")
    fields: dict[str, list[str]] = {}
    if scope not in ("mine", "all"):
        fields["scope"] = ["Choose 'mine' or 'all'."]
    if status and status not in STATES:
        fields["status"] = [f"Choose one of: {', '.join(STATES)}."]
    if fields:
        raise Invalid("The workspaces could not be listed.", fields=fields)
    if scope == "all":
        require(
            actor,
            "workspace.list_all",
            None,
            "Only administrators and auditors can list every workspace.",
        )
    stmt = select(Workspace).options(
        selectinload(Workspace.participations), undefer(Workspace.member_count)
    )
    if scope == "mine":
        stmt = stmt.where(_visible_clause(actor))
    if q and q.strip():
        pattern = f"%{q.strip()}%"
        stmt = stmt.where(or_(Workspace.name.ilike(pattern), Workspace.purpose.ilike(pattern)))
    if region_id:
        stmt = stmt.where(_participating(Department.region_id == region_id))
    if department_id:
        stmt = stmt.where(_participating(Department.id == department_id))
    if status:
        stmt = stmt.where(_state_clause(status))
    stmt = stmt.order_by(Workspace.created_at.desc(), Workspace.id.desc())
    return paginate(stmt, page, per_page)


@dataclass
class FilterOptions:
    regions: list[Region]
    departments: list[Department]
    can_list_all: bool


def filter_options(actor: User) -> FilterOptions:
    """The regions and departments the workspace list can be filtered by."""
    require(actor, "workspace.list")
    regions = list(db.session.scalars(select(Region).order_by(Region.name)))
    departments = list(db.session.scalars(select(Department).order_by(Department.name)))
    return FilterOptions(regions, departments, can(actor, "workspace.list_all"))


def list_members(
    actor: User,
    workspace_id: int,
    *,
    role: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    """One page of a workspace's members: leads first, then members, then observers.

    Raises:
        NotFound: the workspace is missing or not visible.
        Invalid: an unknown role.
    """
    workspace = get_workspace(actor, workspace_id)
    if role and role not in ROLES:
        raise Invalid(
            "The members could not be listed.",
            fields={"role": [f"Choose one of: {', '.join(ROLES)}."]},
        )
    return paginate(_members_stmt(workspace.id, role), page, per_page)


def _members_stmt(workspace_id: int, role: str | None = None):
    rank = case(
        {WorkspaceRole.LEAD.value: 0, WorkspaceRole.MEMBER.value: 1}, value=Membership.role, else_=2
    )
    stmt = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id)
        .order_by(rank, User.display_name, Membership.id)
    )
    if role:
        stmt = stmt.where(Membership.role == role)
    return stmt


# The workspace page -------------------------------------------------------------------------


@dataclass
class WorkspaceOverview:
    """Everything the workspace page shows to one viewer."""

    workspace: Workspace
    viewer_membership: Membership | None
    members: Page
    events: list[Event]
    last_seq: int
    can_manage: bool
    respondable: WorkspaceDepartment | None
    read_only_reason: str | None
    member_candidates: list[User]
    invitable_departments: list[Department]


def workspace_overview(
    actor: User, workspace_id: int, *, members_page: int = 1
) -> WorkspaceOverview:
    """The workspace page: facts, departments, a page of members, the latest activity.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    workspace = get_workspace(actor, workspace_id)
    stream = workspace_stream(workspace.id)
    events = list(
        db.session.scalars(
            select(Event).where(Event.stream == stream).order_by(Event.seq.desc()).limit(FEED_SIZE)
        )
    )
    can_manage = can(actor, "workspace.manage_members", workspace)
    own = workspace.participation_for(actor.department_id)
    respondable = own if own is not None and can(actor, "workspace.respond", own) else None
    return WorkspaceOverview(
        workspace=workspace,
        viewer_membership=current_membership(actor, workspace),
        members=paginate(_members_stmt(workspace.id), members_page, 50),
        events=events,
        last_seq=last_seq(stream),
        can_manage=can_manage,
        respondable=respondable,
        read_only_reason=workspace.read_only_reason(),
        member_candidates=_member_candidates(workspace) if can_manage else [],
        invitable_departments=_invitable_departments(workspace) if can_manage else [],
    )


def _member_candidates(workspace: Workspace) -> list[User]:
    accepted = [p.department_id for p in workspace.participations if p.is_accepted]
    members = [m.user_id for m in workspace.memberships]
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.department_id.in_(accepted),
                User.active.is_(True),
                User.id.not_in(members),
            )
            .order_by(User.display_name)
            .limit(CANDIDATE_LIMIT)
        )
    )


def _invitable_departments(workspace: Workspace) -> list[Department]:
    taken = [
        p.department_id
        for p in workspace.participations
        if p.status in (ParticipationStatus.INVITED, ParticipationStatus.ACCEPTED)
    ]
    return list(
        db.session.scalars(
            select(Department)
            .join(Region, Region.id == Department.region_id)
            .where(Department.id.not_in(taken))
            .order_by(Region.name, Department.name)
        )
    )


def workspace_events(actor: User, workspace_id: int, after: int = 0) -> dict:
    """The workspace's events after ``after`` (at most 500, oldest first) and its last seq.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    workspace = get_workspace(actor, workspace_id)
    stream = workspace_stream(workspace.id)
    return {
        "items": [event.as_message() for event in events_after(stream, max(after, 0))],
        "last_seq": last_seq(stream),
    }


# Validation helpers -------------------------------------------------------------------------


def _clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _check_name(name: str, fields: dict) -> None:
    if not name:
        fields["name"] = ["Give the workspace a name."]
    elif len(name) > NAME_MAX:
        fields["name"] = [f"Keep the name within {NAME_MAX} characters."]


def _check_purpose(purpose: str, fields: dict) -> None:
    if not purpose:
        fields["purpose"] = ["Say what the departments will work on together."]
    elif len(purpose) > PURPOSE_MAX:
        fields["purpose"] = [f"Keep the purpose within {PURPOSE_MAX} characters."]


def _check_end_date(ends_on: Any, fields: dict) -> None:
    today = utcnow().date()
    if not isinstance(ends_on, date) or isinstance(ends_on, datetime):
        fields["ends_on"] = ["Give the date the workspace ends."]
    elif ends_on <= today:
        fields["ends_on"] = ["The end date must be in the future."]
    elif ends_on > today + timedelta(days=366 * MAX_YEARS_AHEAD):
        fields["ends_on"] = [f"A workspace runs for at most {MAX_YEARS_AHEAD} years."]


def _check_role(role: Any, fields: dict) -> None:
    if role not in ROLES:
        fields["role"] = ["Choose lead, member or observer."]


def _check_expiry(expires: Any, fields: dict) -> datetime | None:
    """A membership expiry as naive UTC; a date means "until the end of that day" (UTC)."""
    if expires is None:
        return None
    if isinstance(expires, datetime):
        at = expires.astimezone(UTC).replace(tzinfo=None) if expires.tzinfo else expires
    elif isinstance(expires, date):
        at = datetime.combine(expires + timedelta(days=1), time.min)
    else:
        fields["expires_at"] = ["Give a date, or leave it empty for no expiry."]
        return None
    if at <= utcnow():
        fields["expires_at"] = ["The expiry must be in the future."]
    return at


def describe_expiry(expires_at: datetime) -> str:
    """An expiry in words: "the end of 22 Jan 2027 (UTC)" for day-based ones."""
    if expires_at.time() == time.min:
        last_day = (expires_at - timedelta(days=1)).date()
        return f"the end of {last_day:%d %b %Y} (UTC)"
    return f"{expires_at:%d %b %Y, %H:%M} UTC"


def _label(user: User) -> str:
    return f"{user.display_name} ({user.department.name})"


def _publish(actor: User, workspace: Workspace, event_type: str, text: str, **data) -> None:
    publish(
        workspace_stream(workspace.id),
        event_type,
        {
            "text": text,
            "actor": actor.display_name,
            "actor_id": actor.id,
            "workspace_id": workspace.id,
            **data,
        },
    )


def _current_leads(workspace: Workspace, *, excluding: Membership | None = None) -> list[User]:
    return [
        m.user
        for m in workspace.memberships
        if m is not excluding and m.is_lead and m.is_current() and m.user.active
    ]


def _deciders(department_id: int) -> list[User]:
    """The people who answer for a department: its heads and their current deputies."""
    today = utcnow().date()
    heads = db.session.scalars(
        select(User).where(
            User.department_id == department_id,
            User.active.is_(True),
            User.role_links.any(UserRole.role == "head"),
        )
    )
    deputies = db.session.scalars(
        select(User)
        .join(Delegation, Delegation.deputy_id == User.id)
        .where(
            Delegation.department_id == department_id,
            Delegation.revoked_at.is_(None),
            Delegation.starts_on <= today,
            Delegation.ends_on >= today,
        )
    ).unique()
    people = {user.id: user for user in heads}
    for deputy in deputies:
        if deputy.id not in people and acting_for(deputy, department_id) is not None:
            people[deputy.id] = deputy
    return list(people.values())


# Creating and changing a workspace ----------------------------------------------------------


def ensure_may_create(actor: User) -> None:
    """Refuse people who may not create workspaces before they fill in the form.

    Raises:
        Forbidden: the actor is not an officer or head.
    """
    require(
        actor,
        "workspace.create",
        None,
        "Only officers and heads of a department can create a workspace.",
    )


def create_workspace(actor: User, *, name: str, purpose: str, ends_on: date) -> Workspace:
    """Open a workspace owned by the actor's department, with the actor as its first lead.

    Raises:
        Forbidden: the actor is not an officer or head.
        Invalid: missing name or purpose, or an end date not in the future.
    """
    ensure_may_create(actor)
    name, purpose = _clean(name), _clean(purpose)
    fields: dict[str, list[str]] = {}
    _check_name(name, fields)
    _check_purpose(purpose, fields)
    _check_end_date(ends_on, fields)
    if fields:
        raise Invalid("The workspace was not created.", fields=fields)
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
    audit.record(
        actor,
        "workspace.created",
        "workspace",
        workspace.id,
        workspace_id=workspace.id,
        detail={"name": name, "ends_on": ends_on, "owner_department_id": actor.department_id},
    )
    _publish(
        actor,
        workspace,
        "workspace.created",
        f"{_label(actor)} created the workspace {name}",
        name=name,
        ends_on=ends_on.isoformat(),
    )
    db.session.commit()
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
    workspace = _for_change(actor, workspace_id, "workspace.update")
    if version != workspace.version:
        raise Conflict(
            "Someone changed this workspace after you opened it. "
            "Reload the page to see their change, then make yours again.",
            code="stale",
        )
    fields: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if name is not None:
        changes["name"] = _clean(name)
        _check_name(changes["name"], fields)
    if purpose is not None:
        changes["purpose"] = _clean(purpose)
        _check_purpose(changes["purpose"], fields)
    if ends_on is not None:
        changes["ends_on"] = ends_on
        _check_end_date(ends_on, fields)
    if fields:
        raise Invalid("The workspace was not changed.", fields=fields)
    diff = {
        key: {"from": getattr(workspace, key), "to": value}
        for key, value in changes.items()
        if getattr(workspace, key) != value
    }
    if not diff:
        return workspace
    for key, value in changes.items():
        setattr(workspace, key, value)
    workspace.version += 1
    audit.record(
        actor,
        "workspace.updated",
        "workspace",
        workspace.id,
        workspace_id=workspace.id,
        detail={"changes": diff},
    )
    labels = {"name": "name", "purpose": "purpose", "ends_on": "end date"}
    changed = " and ".join(labels[key] for key in diff)
    _publish(
        actor,
        workspace,
        "workspace.updated",
        f"{_label(actor)} changed the workspace's {changed}",
        changed=sorted(diff),
        version=workspace.version,
    )
    db.session.commit()
    return workspace


def archive_workspace(actor: User, workspace_id: int) -> Workspace:
    """Archive a workspace: from now on it is read-only for everyone.

    Raises:
        NotFound, Forbidden (not a lead), Conflict (already archived or ended).
    """
    workspace = _for_change(actor, workspace_id, "workspace.archive")
    now = utcnow()
    workspace.status = WorkspaceStatus.ARCHIVED.value
    workspace.archived_at = now
    workspace.archived_by_id = actor.id
    workspace.version += 1
    audit.record(actor, "workspace.archived", "workspace", workspace.id, workspace_id=workspace.id)
    _publish(
        actor,
        workspace,
        "workspace.archived",
        f"{_label(actor)} archived the workspace; it is now read-only",
        version=workspace.version,
    )
    members = [m.user for m in workspace.memberships if m.is_current() and m.user_id != actor.id]
    notify(
        members,
        "workspace.archived",
        f"{workspace.name} was archived",
        f"{_label(actor)} archived the workspace {workspace.name}. It stays readable.",
        workspace_path(workspace.id),
        actor=actor,
    )
    db.session.commit()
    return workspace


# Departments --------------------------------------------------------------------------------


def invite_department(actor: User, workspace_id: int, department_id: int) -> WorkspaceDepartment:
    """Invite a department, of any region or jurisdiction; its head decides.

    A department that declined, or whose invitation was withdrawn, can be invited again.
    Its heads and their current deputies are notified.

    Raises:
        NotFound, Forbidden (not a lead), Conflict (read-only; already invited or taking part),
        Invalid (no such department).
    """
    workspace = _for_change(actor, workspace_id, "workspace.invite")
    department = (
        db.session.get(Department, department_id)
        if isinstance(department_id, int) and not isinstance(department_id, bool)
        else None
    )
    if department is None:
        raise Invalid(
            "The department was not invited.",
            fields={"department_id": ["Choose an existing department."]},
        )
    participation = workspace.participation_for(department.id)
    if participation is not None and participation.is_pending:
        raise Conflict(
            f"{department.name} has already been invited; its head has not answered yet.",
            code="already_invited",
        )
    if participation is not None and participation.is_accepted:
        raise Conflict(
            f"{department.name} already takes part in this workspace.",
            code="already_participating",
        )
    again = participation is not None
    if participation is None:
        participation = WorkspaceDepartment(department_id=department.id)
        workspace.participations.append(participation)
    participation.status = ParticipationStatus.INVITED.value
    participation.invited_by_id = actor.id
    participation.invited_at = utcnow()
    participation.responded_by_id = None
    participation.responded_on_behalf_of_id = None
    participation.responded_at = None
    participation.decline_reason = None
    participation.withdrawn_by_id = None
    participation.withdrawn_at = None
    db.session.flush()
    region = department.region
    audit.record(
        actor,
        "workspace.department_invited",
        "workspace_department",
        participation.id,
        workspace_id=workspace.id,
        detail={"department_id": department.id, "department": department.name, "again": again},
    )
    _publish(
        actor,
        workspace,
        "workspace.department_invited",
        f"{_label(actor)} invited {department.name} ({region.name}, {region.jurisdiction})",
        department_id=department.id,
        department=department.name,
    )
    notify(
        _deciders(department.id),
        "workspace.invitation",
        f"{department.name} is invited to {workspace.name}",
        f"{_label(actor)} invited {department.name} to the workspace {workspace.name}. "
        "As its head, or the head's deputy, you can accept or decline on the workspace page.",
        workspace_path(workspace.id),
        actor=actor,
    )
    db.session.commit()
    return participation


def _participation_or_404(workspace: Workspace, department_id: Any) -> WorkspaceDepartment:
    participation = (
        workspace.participation_for(department_id) if isinstance(department_id, int) else None
    )
    if participation is None:
        raise NotFound("That department has not been invited to this workspace.")
    return participation


def _when(moment: datetime | None) -> str:
    return f" on {moment:%d %b %Y}" if moment else ""


def _evict_those_who_lost_sight(workspace: Workspace, users: list[User]) -> None:
    """After commit, take out of the workspace's room whoever of ``users`` may no longer view it."""
    for user in users:
        if not can(user, "workspace.view", workspace):
            after_commit(evict_from_room, user.id, workspace_stream(workspace.id))


def withdraw_invitation(actor: User, workspace_id: int, department_id: int) -> WorkspaceDepartment:
    """Withdraw a pending invitation; the department's heads and deputies are told.

    Raises:
        NotFound (workspace or invitation), Forbidden (not a lead),
        Conflict (read-only; the invitation is no longer pending).
    """
    workspace = _for_change(actor, workspace_id, "workspace.withdraw_invitation")
    participation = _participation_or_404(workspace, department_id)
    department = participation.department
    if not participation.is_pending:
        messages = {
            ParticipationStatus.ACCEPTED: f"{department.name} has already accepted; "
            "a participating department's invitation cannot be withdrawn.",
            ParticipationStatus.DECLINED: f"{department.name} already declined the invitation.",
            ParticipationStatus.WITHDRAWN: "This invitation has already been withdrawn.",
        }
        raise Conflict(messages[ParticipationStatus(participation.status)], code="not_pending")
    participation.status = ParticipationStatus.WITHDRAWN.value
    participation.withdrawn_by_id = actor.id
    participation.withdrawn_at = utcnow()
    audit.record(
        actor,
        "workspace.invitation_withdrawn",
        "workspace_department",
        participation.id,
        workspace_id=workspace.id,
        detail={"department_id": department.id, "department": department.name},
    )
    _publish(
        actor,
        workspace,
        "workspace.invitation_withdrawn",
        f"{_label(actor)} withdrew the invitation to {department.name}",
        department_id=department.id,
        department=department.name,
    )
    notify(
        _deciders(department.id),
        "workspace.invitation_withdrawn",
        f"Invitation to {workspace.name} withdrawn",
        f"{_label(actor)} withdrew the invitation of {department.name} to the workspace "
        f"{workspace.name}. Nothing needs to be done.",
        None,
        actor=actor,
    )
    _evict_those_who_lost_sight(workspace, _deciders(department.id))
    db.session.commit()
    return participation


def _answerable(
    actor: User, workspace_id: Any, department_id: Any
) -> tuple[Workspace, WorkspaceDepartment, User]:
    """The locked workspace, the invitation and the head the actor answers for.

    Raises:
        NotFound: no such workspace or invitation that the actor may know of.
        Forbidden: the actor does not answer for the invited department.
        Conflict: read-only workspace; invitation withdrawn or already answered.
    """
    workspace = _load(workspace_id, lock=True)
    participation = (
        workspace.participation_for(department_id)
        if workspace is not None and isinstance(department_id, int)
        else None
    )
    head = (
        acting_for(actor, participation.department_id)
        if participation is not None and is_signed_in(actor)
        else None
    )
    if head is None:
        _ensure_visible(actor, workspace)
        if participation is None:
            raise NotFound("That department has not been invited to this workspace.")
        raise Forbidden(
            f"Only the head of {participation.department.name}, or the head's current "
            "deputy, can answer this invitation."
        )
    _ensure_writable(workspace)
    department = participation.department
    if participation.status == ParticipationStatus.WITHDRAWN:
        by = f" by {participation.withdrawn_by.display_name}" if participation.withdrawn_by else ""
        raise Conflict(
            f"The invitation of {department.name} was withdrawn{by}"
            f"{_when(participation.withdrawn_at)}; there is nothing to answer.",
            code="invitation_withdrawn",
        )
    if participation.status in (ParticipationStatus.ACCEPTED, ParticipationStatus.DECLINED):
        raise Conflict(
            f"{department.name} already {participation.status} this invitation"
            f"{_when(participation.responded_at)}.",
            code="already_answered",
        )
    require(actor, "workspace.respond", participation)
    return workspace, participation, head


def _answered_by(actor: User, head: User) -> str:
    if head.id == actor.id:
        return _label(actor)
    return f"{_label(actor)}, on behalf of {head.display_name},"


def accept_invitation(actor: User, workspace_id: int, department_id: int) -> WorkspaceDepartment:
    """Accept an invitation for the actor's department, as its head or the head's deputy.

    A deputy's acceptance is recorded on behalf of the head. The workspace's leads are told.

    Raises:
        NotFound, Forbidden (not the head or a current deputy),
        Conflict (read-only; withdrawn or already answered).
    """
    workspace, participation, head = _answerable(actor, workspace_id, department_id)
    _answer(actor, head, workspace, participation, ParticipationStatus.ACCEPTED, None)
    db.session.commit()
    return participation


def decline_invitation(
    actor: User, workspace_id: int, department_id: int, *, reason: str
) -> WorkspaceDepartment:
    """Decline an invitation for the actor's department, with a reason the leads will read.

    Raises:
        NotFound, Forbidden, Conflict (as for accepting), Invalid (no reason).
    """
    workspace, participation, head = _answerable(actor, workspace_id, department_id)
    reason = _clean(reason)
    if not reason:
        raise Invalid(
            "The invitation was not declined.",
            fields={"reason": ["Say why the department declines, for the workspace's leads."]},
        )
    if len(reason) > REASON_MAX:
        raise Invalid(
            "The invitation was not declined.",
            fields={"reason": [f"Keep the reason within {REASON_MAX} characters."]},
        )
    _answer(actor, head, workspace, participation, ParticipationStatus.DECLINED, reason)
    _evict_those_who_lost_sight(workspace, _deciders(participation.department_id))
    db.session.commit()
    return participation


def _answer(
    actor: User,
    head: User,
    workspace: Workspace,
    participation: WorkspaceDepartment,
    decision: ParticipationStatus,
    reason: str | None,
) -> None:
    participation.status = decision.value
    participation.responded_by_id = actor.id
    participation.responded_on_behalf_of_id = head.id if head.id != actor.id else None
    participation.responded_at = utcnow()
    participation.decline_reason = reason
    department = participation.department
    detail: dict[str, Any] = {"department_id": department.id, "department": department.name}
    if head.id != actor.id:
        detail.update(on_behalf_of=head.id, on_behalf_of_name=head.display_name)
    if reason:
        detail["reason"] = reason
    verb = "accepted" if decision == ParticipationStatus.ACCEPTED else "declined"
    audit.record(
        actor,
        f"workspace.department_{verb}",
        "workspace_department",
        participation.id,
        workspace_id=workspace.id,
        department_id=department.id,
        detail=detail,
    )
    text = (
        f"{_answered_by(actor, head)} {verb} the invitation of {department.name} "
        f"to {workspace.name}"
    )
    if reason:
        text += f": {reason}"
    _publish(
        actor,
        workspace,
        f"workspace.department_{verb}",
        text,
        department_id=department.id,
        department=department.name,
        on_behalf_of=head.display_name if head.id != actor.id else None,
    )
    notify(
        _current_leads(workspace),
        f"workspace.department_{verb}",
        f"{department.name} {verb} the invitation to {workspace.name}",
        text,
        workspace_path(workspace.id),
        actor=actor,
    )


# Members ------------------------------------------------------------------------------------


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
    workspace = _for_change(actor, workspace_id, "workspace.manage_members")
    user = (
        db.session.get(User, user_id)
        if isinstance(user_id, int) and not isinstance(user_id, bool)
        else None
    )
    fields: dict[str, list[str]] = {}
    if user is None or not user.active:
        fields["user_id"] = ["Choose an active person from a participating department."]
    else:
        participation = workspace.participation_for(user.department_id)
        existing = workspace.membership_of(user.id)
        if participation is None or not participation.is_accepted:
            fields["user_id"] = [
                f"{user.display_name}'s department, {user.department.name}, has not joined "
                "this workspace. Invite the department first, or wait for its head to accept."
            ]
        elif existing is not None:
            state = "" if existing.is_current() else " (the membership has expired)"
            fields["user_id"] = [
                f"{user.display_name} is already a member{state}. "
                "Change their role or expiry instead."
            ]
    _check_role(role, fields)
    expiry = _check_expiry(expires_at, fields)
    if fields:
        raise Invalid("The member was not added.", fields=fields)
    membership = Membership(
        user_id=user.id, role=role, expires_at=expiry, added_by_id=actor.id, added_at=utcnow()
    )
    workspace.memberships.append(membership)
    db.session.flush()
    audit.record(
        actor,
        "workspace.member_added",
        "membership",
        membership.id,
        workspace_id=workspace.id,
        detail={"user_id": user.id, "role": role, "expires_at": expiry},
    )
    _publish(
        actor,
        workspace,
        "workspace.member_added",
        f"{_label(actor)} added {_label(user)} as {role}",
        user_id=user.id,
        member=user.display_name,
        role=role,
    )
    until = f" until {describe_expiry(expiry)}" if expiry else ""
    notify(
        [user],
        "workspace.member_added",
        f"You were added to {workspace.name}",
        f"{_label(actor)} added you to the workspace {workspace.name} as {role}{until}.",
        workspace_path(workspace.id),
        actor=actor,
    )
    db.session.commit()
    return membership


def _membership_or_404(workspace: Workspace, user_id: Any) -> Membership:
    membership = workspace.membership_of(user_id) if isinstance(user_id, int) else None
    if membership is None:
        raise NotFound("That person is not a member of this workspace.")
    return membership


def _ensure_another_lead(workspace: Workspace, membership: Membership) -> None:
    if membership.is_lead and membership.is_current():
        if not _current_leads(workspace, excluding=membership):
            raise Conflict(
                f"{membership.user.display_name} is the workspace's only lead. "
                "Make someone else a lead first.",
                code="last_lead",
            )


def update_member(
    actor: User,
    workspace_id: int,
    user_id: int,
    *,
    role: str = _UNSET,
    expires_at: datetime | date | None = _UNSET,
) -> Membership:
    """Change a member's role and/or expiry (``expires_at=None`` removes the expiry).

    Raises:
        NotFound (workspace or member), Forbidden (not a lead),
        Conflict (read-only; demoting the last lead), Invalid (bad role or expiry).
    """
    workspace = _for_change(actor, workspace_id, "workspace.manage_members")
    membership = _membership_or_404(workspace, user_id)
    fields: dict[str, list[str]] = {}
    changes: dict[str, Any] = {}
    if role is not _UNSET:
        _check_role(role, fields)
        changes["role"] = role
    if expires_at is not _UNSET:
        changes["expires_at"] = _check_expiry(expires_at, fields)
    if fields:
        raise Invalid("The membership was not changed.", fields=fields)
    diff = {
        key: {"from": getattr(membership, key), "to": value}
        for key, value in changes.items()
        if getattr(membership, key) != value
    }
    if not diff:
        return membership
    if "role" in diff and membership.is_lead:
        _ensure_another_lead(workspace, membership)
    for key, value in changes.items():
        setattr(membership, key, value)
    user = membership.user
    audit.record(
        actor,
        "workspace.member_updated",
        "membership",
        membership.id,
        workspace_id=workspace.id,
        detail={"user_id": user.id, "changes": diff},
    )
    parts = []
    if "role" in diff:
        parts.append(f"made {_label(user)} {membership.role}")
    if "expires_at" in diff:
        subject = "their" if parts else f"{user.display_name}'s"
        parts.append(
            f"set {subject} membership to end at {describe_expiry(membership.expires_at)}"
            if membership.expires_at
            else f"removed the expiry of {subject} membership"
        )
    text = f"{_label(actor)} " + " and ".join(parts)
    _publish(
        actor,
        workspace,
        "workspace.member_updated",
        text,
        user_id=user.id,
        member=user.display_name,
        role=membership.role,
        expires_at=membership.expires_at.isoformat() + "Z" if membership.expires_at else None,
    )
    notify(
        [user],
        "workspace.member_updated",
        f"Your membership of {workspace.name} changed",
        text,
        workspace_path(workspace.id),
        actor=actor,
    )
    db.session.commit()
    return membership


def remove_member(actor: User, workspace_id: int, user_id: int) -> None:
    """Remove a member; once committed, their live connections stop receiving the workspace.

    Raises:
        NotFound (workspace or member), Forbidden (not a lead),
        Conflict (read-only; removing the last lead).
    """
    workspace = _for_change(actor, workspace_id, "workspace.manage_members")
    membership = _membership_or_404(workspace, user_id)
    _ensure_another_lead(workspace, membership)
    user = membership.user
    workspace.memberships.remove(membership)
    db.session.flush()
    audit.record(
        actor,
        "workspace.member_removed",
        "membership",
        membership.id,
        workspace_id=workspace.id,
        detail={"user_id": user.id, "role": membership.role},
    )
    _publish(
        actor,
        workspace,
        "workspace.member_removed",
        f"{_label(actor)} removed {_label(user)}",
        user_id=user.id,
        member=user.display_name,
    )
    notify(
        [user],
        "workspace.member_removed",
        f"You were removed from {workspace.name}",
        f"{_label(actor)} removed you from the workspace {workspace.name}.",
        None,
        actor=actor,
    )
    _evict_those_who_lost_sight(workspace, [user])
    db.session.commit()
