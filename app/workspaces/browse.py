"""Reading workspaces: the lists, the workspace page, members, and the activity catch-up."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import (
    Integer,
    Row,
    Select,
    String,
    and_,
    bindparam,
    case,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import (
    aliased,
    defaultload,
    joinedload,
    load_only,
    raiseload,
    selectinload,
    undefer,
)

from app.accounts.choices import (
    DepartmentChoice,
    RegionChoice,
    departments_and_regions_statement,
    read_departments_and_regions,
)
from app.accounts.models import Department, Region, User
from app.common import (
    AnsweredPage,
    InIds,
    Page,
    iso_day,
    iso_utc,
    paginate,
    paginate_rows,
    plain_rows,
    text_matches,
    utcnow,
)
from app.errors import Invalid
from app.extensions import db
from app.policy import can, require
from app.realtime import catch_up, latest_events
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
    last_day_of_access,
    membership_is_current,
    workspace_state,
)
from app.workspaces.policy import (
    answering_for,
    current_membership,
    involved_clause,
    involved_holds,
    involved_parameters,
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
    stmt = select(Workspace).options(*_LIST_LOADING)
    _check_listing(actor, status, scope)
    if scope == "mine":
        stmt = stmt.where(involved_clause(actor))
    stmt = _filtered(stmt, q, region_id, department_id, status)
    return paginate(stmt.order_by(*_NEWEST_FIRST), page, per_page)


_NEWEST_FIRST = (Workspace.created_at.desc(), Workspace.id.desc())


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
    _check_listing(actor, status, scope)
    parameters: dict = {}
    stmt = _EVERY_LIST_ROW
    if scope == "mine":
        deciding, parameters = involved_parameters(actor)
        stmt = _INVOLVED_LIST_ROWS[deciding]
    stmt = _filtered(stmt, q, region_id, department_id, status)
    found = paginate_rows(stmt, _as_read, page, per_page, parameters=parameters)
    taking_part: dict[int, list[ListedDepartment]] = {row.id: [] for row in found.items}
    invited: set[int] = set()
    if taking_part:
        for workspace_id, own, status_now, name, jurisdiction in db.session.execute(
            _LISTED_DEPARTMENTS,
            {"workspace_ids": list(taking_part), "own_department_id": actor.department_id},
        ):
            if status_now == ParticipationStatus.ACCEPTED:
                taking_part[workspace_id].append(ListedDepartment(name, jurisdiction))
            if own and status_now == ParticipationStatus.INVITED:
                invited.add(workspace_id)
    rows = [
        WorkspaceRow(*row[:7], departments=taking_part[row.id], own_invited=row.id in invited)
        for row in found.items
    ]
    return Page(items=rows, page=found.page, per_page=found.per_page, total=found.total)


def _as_read(row: Row) -> Row:
    return row


def _check_listing(actor: User, status: str | None, scope: str) -> None:
    """Whether the actor may list workspaces so.

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


def _filtered(
    stmt: Select,
    q: str | None,
    region_id: int | None,
    department_id: int | None,
    status: str | None,
) -> Select:
    """``stmt`` kept to the workspaces matching the list's filters (itself, with none)."""
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
    return stmt


_OWNER = aliased(Department)
_OWNER_REGION = aliased(Region)
_CREATOR = aliased(User)
_WORKSPACE_ROWS = (
    select(
        Workspace.id,
        Workspace.name,
        Workspace.purpose,
        Workspace.status,
        Workspace.ends_on,
        Workspace.member_count,
        Workspace.version,
        Workspace.created_at,
        Workspace.archived_at,
        _OWNER.id,
        _OWNER.code,
        _OWNER.name,
        _OWNER_REGION.id,
        _OWNER_REGION.code,
        _OWNER_REGION.name,
        _OWNER_REGION.jurisdiction,
        _OWNER_REGION.created_at,
        _CREATOR.id,
        _CREATOR.username,
        _CREATOR.display_name,
    )
    .join(_OWNER, _OWNER.id == Workspace.owner_department_id)
    .join(_OWNER_REGION, _OWNER_REGION.id == _OWNER.region_id)
    .join(_CREATOR, _CREATOR.id == Workspace.created_by_id)
)
"""A workspace as ``WorkspaceSchema`` shows it, but its departments (aliased tables, so
the filters' subqueries on ``departments`` stay their own)."""

_EVERY_WORKSPACE_ROWS = _WORKSPACE_ROWS.order_by(Workspace.created_at.desc(), Workspace.id.desc())
_INVOLVED_WORKSPACE_ROWS = {
    deciding: _WORKSPACE_ROWS.where(involved_holds(deciding)).order_by(*_NEWEST_FIRST)
    for deciding in (False, True)
}
"""The list's statements without filters, built once: every workspace, and those a user
is involved in (a member; or also deciding for their department), the user a parameter."""

_LIST_ROW = select(
    Workspace.id,
    Workspace.name,
    Workspace.purpose,
    _OWNER.name,
    Workspace.ends_on,
    Workspace.status,
    Workspace.member_count,
).join(_OWNER, _OWNER.id == Workspace.owner_department_id)
_EVERY_LIST_ROW = _LIST_ROW.order_by(*_NEWEST_FIRST)
_INVOLVED_LIST_ROWS = {
    deciding: _LIST_ROW.where(involved_holds(deciding)).order_by(*_NEWEST_FIRST)
    for deciding in (False, True)
}
"""The list page's statements without filters, built once, as the API's above."""

_LISTED_DEPARTMENTS = (
    select(
        WorkspaceDepartment.workspace_id,
        WorkspaceDepartment.department_id == bindparam("own_department_id"),
        WorkspaceDepartment.status,
        Department.name,
        Region.jurisdiction,
    )
    .join(Department, Department.id == WorkspaceDepartment.department_id)
    .join(Region, Region.id == Department.region_id)
    .where(WorkspaceDepartment.workspace_id.in_(bindparam("workspace_ids", expanding=True)))
    .order_by(WorkspaceDepartment.id)
)
"""The departments of a page of the list, and whether each is the reader's own."""

_PARTICIPANT = aliased(Department)
_PARTICIPANT_REGION = aliased(Region)
_PEOPLE = tuple(aliased(User) for _ in range(4))
_PEOPLE_IDS = (
    WorkspaceDepartment.invited_by_id,
    WorkspaceDepartment.responded_by_id,
    WorkspaceDepartment.responded_on_behalf_of_id,
    WorkspaceDepartment.withdrawn_by_id,
)
_PARTICIPATION_ROWS = (
    select(
        WorkspaceDepartment.workspace_id,
        WorkspaceDepartment.status,
        WorkspaceDepartment.invited_at,
        WorkspaceDepartment.responded_at,
        WorkspaceDepartment.decline_reason,
        WorkspaceDepartment.withdrawn_at,
        _PARTICIPANT.id,
        _PARTICIPANT.code,
        _PARTICIPANT.name,
        _PARTICIPANT_REGION.id,
        _PARTICIPANT_REGION.code,
        _PARTICIPANT_REGION.name,
        _PARTICIPANT_REGION.jurisdiction,
        _PARTICIPANT_REGION.created_at,
        *(
            column
            for person in _PEOPLE
            for column in (person.id, person.username, person.display_name)
        ),
    )
    .join(_PARTICIPANT, _PARTICIPANT.id == WorkspaceDepartment.department_id)
    .join(_PARTICIPANT_REGION, _PARTICIPANT_REGION.id == _PARTICIPANT.region_id)
)
for _person, _person_id in zip(_PEOPLE, _PEOPLE_IDS, strict=True):
    _PARTICIPATION_ROWS = _PARTICIPATION_ROWS.outerjoin(_person, _person.id == _person_id)
_PARTICIPATION_ROWS = _PARTICIPATION_ROWS.where(
    InIds(WorkspaceDepartment.workspace_id, "workspace_ids")
).order_by(WorkspaceDepartment.id)
"""Built once, with the page's workspaces as a parameter: its cache key, worked out again
for each new statement, cost as much Python as running it."""


def _region_answer(row, at: int) -> dict:
    """``RegionSchema`` of the five region columns from ``row[at]`` on."""
    return {
        "id": row[at],
        "code": row[at + 1],
        "name": row[at + 2],
        "jurisdiction": row[at + 3],
        "created_at": iso_utc(row[at + 4]),
    }


def _person_answer(row, at: int) -> dict | None:
    """``UserRefSchema`` of the three person columns from ``row[at]`` on (an outer join)."""
    if row[at] is None:
        return None
    return {"id": row[at], "username": row[at + 1], "display_name": row[at + 2]}


def _participation_answer(row) -> dict:
    """A row of :data:`_PARTICIPATION_ROWS` as ``ParticipationSchema`` dumps it."""
    return {
        "department": {
            "id": row[6],
            "code": row[7],
            "name": row[8],
            "region": _region_answer(row, 9),
        },
        "status": row[1],
        "invited_by": _person_answer(row, 14),
        "invited_at": iso_utc(row[2]),
        "responded_by": _person_answer(row, 17),
        "responded_on_behalf_of": _person_answer(row, 20),
        "responded_at": iso_utc(row[3]),
        "decline_reason": row[4],
        "withdrawn_by": _person_answer(row, 23),
        "withdrawn_at": iso_utc(row[5]),
    }


def _workspace_answer(row, today: date) -> dict:
    """A row of :data:`_WORKSPACE_ROWS` as ``WorkspaceSchema`` dumps it, departments aside."""
    if row[3] == WorkspaceStatus.ARCHIVED:
        state = WorkspaceState.ARCHIVED
    elif row[4] < today:
        state = WorkspaceState.ENDED
    else:
        state = WorkspaceState.ACTIVE
    return {
        "id": row[0],
        "name": row[1],
        "purpose": row[2],
        "status": state.value,
        "read_only": state != WorkspaceState.ACTIVE,
        "ends_on": iso_day(row[4]),
        "owner_department": {
            "id": row[9],
            "code": row[10],
            "name": row[11],
            "region": _region_answer(row, 12),
        },
        "departments": [],
        "member_count": row[5],
        "version": row[6],
        "created_by": {"id": row[17], "username": row[18], "display_name": row[19]},
        "created_at": iso_utc(row[7]),
        "archived_at": iso_utc(row[8]),
    }


def list_workspace_answers(
    actor: User,
    *,
    q: str | None = None,
    region_id: int | None = None,
    department_id: int | None = None,
    status: str | None = None,
    scope: str = "mine",
    page: int = 1,
    per_page: int = 25,
) -> AnsweredPage:
    """:func:`list_workspaces` as the API answers it, read as plain columns.

    Two statements whatever the page's length: the page of workspaces with their owner,
    its region and their creator; then the departments of those workspaces with the
    people named on them.

    Raises:
        Forbidden: ``scope="all"`` for someone who is neither admin nor auditor.
        Invalid: an unknown status or scope.
    """
    _check_listing(actor, status, scope)
    parameters: dict = {}
    stmt = _EVERY_WORKSPACE_ROWS
    if scope == "mine":
        deciding, parameters = involved_parameters(actor)
        stmt = _INVOLVED_WORKSPACE_ROWS[deciding]
    stmt = _filtered(stmt, q, region_id, department_id, status)
    today = utcnow().date()
    result = paginate_rows(
        stmt, lambda row: _workspace_answer(row, today), page, per_page, parameters=parameters
    )
    if result.items:
        by_id = {item["id"]: item["departments"] for item in result.items}
        for row in plain_rows(_PARTICIPATION_ROWS, {"workspace_ids": list(by_id)}):
            by_id[row[0]].append(_participation_answer(row))
    return result


@dataclass
class FilterOptions:
    regions: list[RegionChoice]
    departments: list[DepartmentChoice]
    can_list_all: bool


_FILTER_OPTIONS = departments_and_regions_statement()
"""Every department and region (built once, read per page)."""


def filter_options(actor: User) -> FilterOptions:
    """The regions and departments the workspace list can be filtered by (one statement)."""
    require(actor, "workspace.list")
    departments, regions = read_departments_and_regions(_FILTER_OPTIONS)
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


_ROLE_RANK = case(
    {WorkspaceRole.LEAD.value: 0, WorkspaceRole.MEMBER.value: 1}, value=Membership.role, else_=2
)
"""Leads first, then members, then observers."""


def _members_stmt(workspace_id: int, role: str | None = None):
    stmt = (
        select(Membership)
        .join(User, User.id == Membership.user_id)
        .where(Membership.workspace_id == workspace_id)
        # Members are shown with their department, never their site-wide roles.
        .options(defaultload(Membership.user).lazyload(User.role_links))
        .order_by(_ROLE_RANK, User.display_name, Membership.id)
    )
    if role:
        stmt = stmt.where(Membership.role == role)
    return stmt


# The workspace page -------------------------------------------------------------------------


class MemberRow(NamedTuple):
    """A member as the workspace page's table shows them: only the columns it shows."""

    user_id: int
    display_name: str
    active: bool
    department_name: str
    role: str
    expires_at: datetime | None

    def is_current(self, now: datetime | None = None) -> bool:
        return membership_is_current(self.expires_at, now)

    @property
    def last_day(self) -> date | None:
        return last_day_of_access(self.expires_at)


_MEMBER_ROWS = (
    select(
        Membership.user_id,
        User.display_name,
        User.active,
        Department.name,
        Membership.role,
        Membership.expires_at,
    )
    .join(User, User.id == Membership.user_id)
    .join(Department, Department.id == User.department_id)
    .where(Membership.workspace_id == bindparam("workspace_id"))
    .order_by(_ROLE_RANK, User.display_name, Membership.id)
)
"""The members in the order of :func:`_members_stmt`, as plain columns, built once.

A page of fifty members read as memberships with their users and departments built a
few hundred objects to show six values a row."""


def _member_page(workspace_id: int, page: int) -> Page:
    return paginate_rows(
        _MEMBER_ROWS,
        lambda row: MemberRow(*row[:-1]),
        page,
        50,
        parameters={"workspace_id": workspace_id},
    )


@dataclass
class WorkspaceOverview:
    """Everything the workspace page shows to one viewer."""

    workspace: Workspace
    viewer_membership: Membership | None
    members: Page  # of MemberRow
    events: list[Row]
    last_seq: int
    can_manage: bool
    respondable: WorkspaceDepartment | None
    answering_as_deputy: bool
    read_only_reason: str | None
    member_candidates: list[MemberCandidate]
    invitable_departments: list[DepartmentChoice]


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
    people, departments = _pickers(workspace) if can_manage else ([], [])
    return WorkspaceOverview(
        workspace=workspace,
        viewer_membership=current_membership(actor, workspace),
        members=_member_page(workspace.id, members_page),
        events=events,
        last_seq=position,
        can_manage=can_manage,
        respondable=respondable,
        answering_as_deputy=head is not None and head.id != actor.id,
        read_only_reason=workspace.read_only_reason(),
        member_candidates=people,
        invitable_departments=departments,
    )


@dataclass(frozen=True)
class MemberCandidate:
    """A person the member picker offers: just what its option shows."""

    id: int
    display_name: str
    department_name: str


_CANDIDATES = (
    select(
        literal("person", String).label("kind"),
        User.id,
        User.display_name.label("name"),
        Department.name.label("group_name"),
        literal(None, Integer).label("region_id"),
        literal(None, String).label("jurisdiction"),
    )
    .join(Department, Department.id == User.department_id)
    .where(
        User.department_id.in_(bindparam("departments", expanding=True)),
        User.active.is_(True),
        User.id.not_in(
            select(Membership.user_id).where(Membership.workspace_id == bindparam("workspace_id"))
        ),
    )
    .order_by(User.display_name)
    .limit(CANDIDATE_LIMIT)
    .subquery()
)

_UNTAKEN_DEPARTMENTS = (
    select(
        literal("department", String).label("kind"),
        Department.id,
        Department.name,
        Region.name,
        Region.id,
        Region.jurisdiction,
    )
    .join(Region, Region.id == Department.region_id)
    .where(Department.id.not_in(bindparam("taken", expanding=True)))
)

_PICKERS = union_all(select(_CANDIDATES), _UNTAKEN_DEPARTMENTS)
"""The two pickers of a lead's forms in one statement: the people who may be added
(at most ``CANDIDATE_LIMIT``, by name) and the departments that may be invited. Only
what an option shows is read, and the statement is built once."""


def _pickers(workspace: Workspace) -> tuple[list[MemberCandidate], list[DepartmentChoice]]:
    """Active people of the accepted departments who are not members yet, and the
    departments neither invited nor taking part (the pickers sort them for showing)."""
    accepted, taken = [], []
    for participation in workspace.participations:
        if participation.status == ParticipationStatus.ACCEPTED:
            accepted.append(participation.department_id)
        if participation.status in (ParticipationStatus.INVITED, ParticipationStatus.ACCEPTED):
            taken.append(participation.department_id)
    rows = db.session.execute(
        _PICKERS, {"departments": accepted, "workspace_id": workspace.id, "taken": taken}
    )
    people, departments = [], []
    for kind, item_id, name, group_name, region_id, jurisdiction in rows:
        if kind == "person":
            people.append(MemberCandidate(item_id, name, group_name))
        else:
            region = RegionChoice(region_id, group_name, jurisdiction)
            departments.append(DepartmentChoice(item_id, name, region))
    return people, departments


_CURRENT_MEMBER = select(
    is_current_member(bindparam("member_id"), bindparam("workspace_id"), bindparam("now"))
)
"""Whether a user is a current member of a workspace, built once (the values parameters)."""


def workspace_events(actor: User, workspace_id: int, after: int = 0) -> dict:
    """The workspace's events after ``after`` (at most 500, oldest first) and its last seq.

    A current member is let in by one single-row query, as when subscribing to the
    stream; only others (heads of involved departments, oversight, outsiders) pay for
    loading the workspace and the full rule.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    asked = {"member_id": actor.id, "workspace_id": workspace_id, "now": utcnow()}
    if not plain_rows(_CURRENT_MEMBER, asked)[0][0]:
        get_workspace(actor, workspace_id)
    return catch_up(workspace_stream(workspace_id), after)
