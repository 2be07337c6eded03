"""Reading workspaces: the lists, the workspace page, members, and the activity catch-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import Row, and_, case, or_, select
from sqlalchemy.orm import (
    aliased,
    defaultload,
    joinedload,
    load_only,
    raiseload,
    selectinload,
    undefer,
)

from app.accounts.choices import DepartmentChoice, RegionChoice, departments_and_regions
from app.accounts.models import Department, Region, User
from app.common import Page, paginate, paginate_counted, text_matches, utcnow
from app.errors import Invalid
from app.extensions import db
from app.policy import can, require
from app.realtime import encoded_messages_after, last_seq, latest_events
from app.workspaces.access import (
    CANDIDATE_LIMIT,
    FEED_SIZE,
    ROLES,
    STATES,
    get_workspace,
    workspace_stream,
)
from app.workspaces.models import (
    Membership,
    ParticipationStatus,
    Workspace,
    WorkspaceDepartment,
    WorkspaceRole,
    WorkspaceState,
    WorkspaceStatus,
    workspace_state,
)
from app.workspaces.policy import (
    answering_for,
    current_membership,
    involved_clause,
    is_current_member,
)

# Lists --------------------------------------------------------------------------------------


def _state_clause(state: str):
    today = utcnow().date()
    if state == WorkspaceState.ARCHIVED:
        return Workspace.status == WorkspaceStatus.ARCHIVED.value
    active = Workspace.status == WorkspaceStatus.ACTIVE.value
    if state == WorkspaceState.ENDED:
        return and_(active, Workspace.ends_on < today)
    return and_(active, Workspace.ends_on >= today)


def _user_ref(relationship):
    """A user named in a list: only what ``UserRefSchema`` dumps, nothing loaded after it."""
    return joinedload(relationship).options(
        load_only(User.id, User.username, User.display_name),
        raiseload(User.department),
        raiseload(User.role_links),
    )


_LIST_LOADING = (
    undefer(Workspace.member_count),
    _user_ref(Workspace.created_by),
    selectinload(Workspace.participations).options(
        _user_ref(WorkspaceDepartment.invited_by),
        _user_ref(WorkspaceDepartment.responded_by),
        _user_ref(WorkspaceDepartment.responded_on_behalf_of),
        _user_ref(WorkspaceDepartment.withdrawn_by),
    ),
)
"""What a page of the workspace list shows (the list page and ``WorkspaceSchema``), in
three statements whatever the page's length: the page with its owner and creator, then
every department of those workspaces with the four people named on it. Anything else a
dump touches raises, so a new field cannot silently load rows one by one again."""


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
    stmt = _listed(
        actor, select(Workspace).options(*_LIST_LOADING), q, region_id, department_id, status, scope
    )
    return paginate(stmt, page, per_page)


@dataclass(frozen=True)
class ListedDepartment:
    name: str
    jurisdiction: str


@dataclass(frozen=True)
class WorkspaceRow:
    """A workspace as the list page shows it: its departments taking part, and whether
    the reader's department is invited to it."""

    id: int
    name: str
    purpose: str
    owner: str
    ends_on: date
    status: str
    member_count: int
    departments: list[ListedDepartment]
    own_invited: bool

    def state(self, today: date | None = None) -> WorkspaceState:
        return workspace_state(self.status, self.ends_on, today)


_OWNER = aliased(Department, name="owner")


def list_workspace_rows(
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
    """:func:`list_workspaces` for the list page: plain rows of what its table shows.

    Two statements: the page with its count, each owner's name and member count, then
    the page's departments with their jurisdictions. No workspace, department or user
    object is built, nor the people named on each invitation (the API's dump names them).

    Raises:
        Forbidden: ``scope="all"`` for someone who is neither admin nor auditor.
        Invalid: an unknown status or scope.
    """
    owner = _OWNER
    columns = select(
        Workspace.id,
        Workspace.name,
        Workspace.purpose,
        owner.name,
        Workspace.ends_on,
        Workspace.status,
        Workspace.member_count,
    ).join(owner, owner.id == Workspace.owner_department_id)
    stmt = _listed(actor, columns, q, region_id, department_id, status, scope)
    found = paginate_counted(stmt, page, per_page, rows=True)
    taking_part: dict[int, list[ListedDepartment]] = {row.id: [] for row in found.items}
    invited: set[int] = set()
    if taking_part:
        for workspace_id, own, status_now, name, jurisdiction in db.session.execute(
            select(
                WorkspaceDepartment.workspace_id,
                WorkspaceDepartment.department_id == actor.department_id,
                WorkspaceDepartment.status,
                Department.name,
                Region.jurisdiction,
            )
            .join(Department, Department.id == WorkspaceDepartment.department_id)
            .join(Region, Region.id == Department.region_id)
            .where(WorkspaceDepartment.workspace_id.in_(taking_part))
            .order_by(WorkspaceDepartment.id)
        ):
            if status_now == ParticipationStatus.ACCEPTED:
                taking_part[workspace_id].append(ListedDepartment(name, jurisdiction))
            if own and status_now == ParticipationStatus.INVITED:
                invited.add(workspace_id)
    found.items = [
        WorkspaceRow(*row[:7], departments=taking_part[row.id], own_invited=row.id in invited)
        for row in found.items
    ]
    return found


def _listed(actor: User, stmt, q, region_id, department_id, status, scope):
    """``stmt`` (a select from workspaces) narrowed to what the actor asked to list.

    Raises:
        Forbidden: ``scope="all"`` for someone who is neither admin nor auditor.
        Invalid: an unknown status or scope.
    """
    require(actor, "workspace.list")
    fields: dict[str, list[str]] = {}
    if scope not in ("mine", "all"):
        fields["scope"] = [_("Choose 'mine' or 'all'.")]
    if status and status not in STATES:
        fields["status"] = [_("Choose one of: %(choices)s.", choices=", ".join(STATES))]
    if fields:
        raise Invalid(_("The workspaces could not be listed."), fields=fields)
    if scope == "all":
        require(
            actor,
            "workspace.list_all",
            None,
            _("Only administrators and auditors can list every workspace."),
        )
    if scope == "mine":
        stmt = stmt.where(involved_clause(actor))
    if q and q.strip():
        text = q.strip()
        stmt = stmt.where(
            or_(text_matches(Workspace.name, text), text_matches(Workspace.purpose, text))
        )
    if region_id:
        stmt = stmt.where(_participating(Department.region_id == region_id))
    if department_id:
        stmt = stmt.where(_participating(Department.id == department_id))
    if status:
        stmt = stmt.where(_state_clause(status))
    return stmt.order_by(Workspace.created_at.desc(), Workspace.id.desc())


@dataclass
class FilterOptions:
    regions: list[RegionChoice]
    departments: list[DepartmentChoice]
    can_list_all: bool


def filter_options(actor: User) -> FilterOptions:
    """The regions and departments the workspace list can be filtered by (one statement)."""
    require(actor, "workspace.list")
    departments, regions = departments_and_regions()
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
            _("The members could not be listed."),
            fields={"role": [_("Choose one of: %(choices)s.", choices=", ".join(ROLES))]},
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
        # Members are shown with their department, never their site-wide roles.
        .options(defaultload(Membership.user).lazyload(User.role_links))
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
    events: list[Row]
    last_seq: int
    can_manage: bool
    respondable: WorkspaceDepartment | None
    answering_as_deputy: bool
    read_only_reason: str | None
    member_candidates: list[MemberCandidate]
    invitable_departments: list[Department]


def workspace_overview(
    actor: User, workspace_id: int, *, members_page: int = 1
) -> WorkspaceOverview:
    """The workspace page: facts, departments, a page of members, the latest activity.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    workspace = get_workspace(actor, workspace_id)
    events, position = latest_events(workspace_stream(workspace.id), FEED_SIZE)
    can_manage = can(actor, "workspace.manage_members", workspace)
    own = workspace.participation_for(actor.department_id)
    respondable = own if own is not None and can(actor, "workspace.respond", own) else None
    head = answering_for(actor, respondable)
    return WorkspaceOverview(
        workspace=workspace,
        viewer_membership=current_membership(actor, workspace),
        members=paginate_counted(_members_stmt(workspace.id), members_page, 50),
        events=events,
        last_seq=position,
        can_manage=can_manage,
        respondable=respondable,
        answering_as_deputy=head is not None and head.id != actor.id,
        read_only_reason=workspace.read_only_reason(),
        member_candidates=_member_candidates(workspace) if can_manage else [],
        invitable_departments=_invitable_departments(workspace) if can_manage else [],
    )


@dataclass(frozen=True)
class MemberCandidate:
    """A person the member picker offers: just what its option shows."""

    id: int
    display_name: str
    department_name: str


def _member_candidates(workspace: Workspace) -> list[MemberCandidate]:
    """Active people of the accepted departments who are not members yet.

    Only three columns per person: a picker of a few hundred people built no user
    objects (with their departments, regions and roles) to show a name.
    """
    accepted = [p.department_id for p in workspace.participations if p.is_accepted]
    members = select(Membership.user_id).where(Membership.workspace_id == workspace.id)
    rows = db.session.execute(
        select(User.id, User.display_name, Department.name)
        .join(Department, Department.id == User.department_id)
        .where(
            User.department_id.in_(accepted),
            User.active.is_(True),
            User.id.not_in(members),
        )
        .order_by(User.display_name)
        .limit(CANDIDATE_LIMIT)
    )
    return [MemberCandidate(*row) for row in rows]


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

    A current member is let in by one single-row query, as when subscribing to the
    stream; only others (heads of involved departments, oversight, outsiders) pay for
    loading the workspace and the full rule.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    if not db.session.scalar(select(is_current_member(actor.id, workspace_id, utcnow()))):
        get_workspace(actor, workspace_id)
    stream = workspace_stream(workspace_id)
    return {
        "items": encoded_messages_after(stream, max(after, 0)),
        "last_seq": last_seq(stream),
    }
