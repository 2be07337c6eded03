"""Reading cases: a workspace's list and board, "my cases", the case page, the catch-up.

Lists take their visibility from :func:`app.cases.policy.participant_workspaces` (or
every workspace, for oversight), load what a row shows in a fixed number of statements
whatever the number of cases, and are paged.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import (
    DateTime,
    Integer,
    Row,
    Select,
    String,
    bindparam,
    func,
    literal,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy import case as sql_case
from sqlalchemy.orm import aliased

from app.accounts.choices import RegionChoice
from app.accounts.models import Department, Region, User
from app.cases.access import (
    BOARD_COLUMN_LIMIT,
    board_stream,
    case_list_access,
    case_stream,
    visible_case,
    workspace_for_cases,
)
from app.cases.models import (
    ACTIVE_STATUSES,
    PRIORITIES,
    STATUSES,
    Case,
    CaseAttachment,
    CaseComment,
    CaseLink,
    case_assignees,
    case_departments,
    is_overdue,
)
from app.cases.policy import (
    oversees,
    participant_parameters,
    participant_workspaces_by_parameters,
    participation_role,
)
from app.cases.rows import CaseRow, DepartmentRef, PersonRef, RegionRef
from app.common import LIKE_ESCAPE, MAX_PAGE, Page, escape_like, text_matches, utcnow
from app.errors import Invalid, NotFound
from app.extensions import db
from app.policy import can, is_signed_in
from app.realtime import encoded_messages_after, last_seq
from app.realtime.models import Event
from app.workspaces.models import Membership, Workspace

TIMELINE_SIZE = 100
COMMENTS_SIZE = 200


@dataclass
class CaseFilters:
    """What a case list may be narrowed to; empty values mean "any"."""

    status: str | None = None
    priority: str | None = None
    assignee_id: int | None = None
    department_id: int | None = None
    region_id: int | None = None
    overdue: bool = False
    q: str | None = None

    def check(self) -> None:
        """Raises: Invalid for an unknown status or priority."""
        fields = {}
        if self.status and self.status not in STATUSES:
            fields["status"] = [_("Choose one of: %(choices)s.", choices=", ".join(STATUSES))]
        if self.priority and self.priority not in PRIORITIES:
            fields["priority"] = [_("Choose one of: %(choices)s.", choices=", ".join(PRIORITIES))]
        if fields:
            raise Invalid(_("The cases could not be listed."), fields=fields)

    @property
    def any(self) -> bool:
        return bool(
            self.status
            or self.priority
            or self.assignee_id
            or self.department_id
            or self.region_id
            or self.overdue
            or self.q
        )


def _filtered(stmt: Select, filters: CaseFilters) -> Select:
    """``stmt`` (over ``cases``) narrowed to what ``filters`` ask for."""
    return stmt.where(*_criteria(filters))


def _criteria(filters: CaseFilters) -> list:
    """What ``filters`` ask of a case, as conditions on ``cases`` alone (so that a count
    of the matching cases needs no other table)."""
    criteria: list = []
    if filters.status:
        criteria.append(Case.status == filters.status)
    if filters.priority:
        criteria.append(Case.priority == filters.priority)
    if filters.assignee_id:
        criteria.append(
            Case.id.in_(
                select(case_assignees.c.case_id).where(
                    case_assignees.c.user_id == filters.assignee_id
                )
            )
        )
    if filters.department_id:
        criteria.append(
            Case.id.in_(
                select(case_departments.c.case_id).where(
                    case_departments.c.department_id == filters.department_id
                )
            )
        )
    if filters.region_id:
        criteria.append(Case.region_id == filters.region_id)
    if filters.overdue:
        criteria += [Case.status.in_(ACTIVE_STATUSES), Case.due_on < utcnow().date()]
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        criteria.append(
            or_(
                text_matches(Case.title, text),
                text_matches(Case.description, text),
                Case.key.ilike(escape_like(text), escape=LIKE_ESCAPE),
            )
        )
    return criteria


# Rows of the lists ----------------------------------------------------------------------
#
# Lists show many cases and change none, so they read plain values (app.cases.rows), not
# ORM objects: one statement for a page of rows (with the total, counted apart in a
# subquery, and the names of the region, the creator and the workspace joined in), one
# more for the departments and assignees of every row on the page.


_creator = aliased(User, name="creator")


@cache
def _rows_stmt(*, with_description: bool) -> Select:
    """The columns of a list's rows, with the names joined in; built once (statements
    are immutable: narrowing one makes another)."""
    columns = [
        Case.id,
        Case.workspace_id,
        Workspace.name.label("workspace_name"),
        Case.number,
        Case.key,
        Case.title,
        Case.status,
        Case.priority,
        Case.due_on,
        Case.version,
        Case.created_at,
        Case.updated_at,
        Region.id.label("region_id"),
        Region.code.label("region_code"),
        Region.name.label("region_name"),
        Region.jurisdiction.label("region_jurisdiction"),
        Region.created_at.label("region_created_at"),
        _creator.id.label("creator_id"),
        _creator.username.label("creator_username"),
        _creator.display_name.label("creator_name"),
    ]
    if with_description:
        columns.append(Case.description)
    return (
        select(*columns)
        .join(Workspace, Workspace.id == Case.workspace_id)
        .join(_creator, _creator.id == Case.created_by_id)
        .outerjoin(Region, Region.id == Case.region_id)
    )


def _row(values) -> CaseRow:
    region = None
    if values.region_id is not None:
        region = RegionRef(
            values.region_id,
            values.region_code,
            values.region_name,
            values.region_jurisdiction,
            values.region_created_at,
        )
    return CaseRow(
        id=values.id,
        workspace_id=values.workspace_id,
        workspace_name=values.workspace_name,
        number=values.number,
        key=values.key,
        title=values.title,
        status=values.status,
        priority=values.priority,
        due_on=values.due_on,
        version=values.version,
        created_at=values.created_at,
        updated_at=values.updated_at,
        region=region,
        created_by=PersonRef(values.creator_id, values.creator_username, values.creator_name),
        description=getattr(values, "description", None),
        content_visible=bool(getattr(values, "readable", False)),
    )


def _listing(rows: Select, criteria: list, *, few: bool = False) -> tuple[Select, Select]:
    """A list's statement, the rows of ``rows`` that meet ``criteria`` (conditions on
    ``cases`` alone) most recently changed first, its size and start the parameters
    ``page_size`` and ``page_start``; and the statement counting those cases.

    The total comes with the rows, as a subquery counting the matching cases by
    themselves (an index-only count, run once), so the page itself is the first rows of
    an index on the order, joined to their names. A window count (``count(*) OVER ()``)
    ranked and joined every matching row before the page was cut: at 20,000 cases it
    spilled to disk and took about 100 ms. It is still the cheaper one for ``few``
    cases that no index orders (one person's, found through their assignments): there
    the subquery would find them all a second time.
    """
    counted = select(func.count()).select_from(Case).where(*criteria)
    total = func.count().over() if few else counted.correlate(None).scalar_subquery()
    paged = (
        rows.where(*criteria)
        .add_columns(total.label("total"))
        .order_by(Case.updated_at.desc(), Case.id.desc())
        .limit(bindparam("page_size", type_=Integer))
        .offset(bindparam("page_start", type_=Integer))
    )
    return paged, counted


def _page_of_rows(
    listing: tuple[Select, Select], page: int, per_page: int, parameters: dict
) -> Page:
    """One page of a :func:`_listing`'s rows, with their people.

    Only a page past the end asks for the total apart.
    """
    paged, counted = listing
    page = min(max(1, int(page or 1)), MAX_PAGE)
    per_page = min(max(1, int(per_page or 25)), 100)
    parameters = {**parameters, "page_size": per_page, "page_start": (page - 1) * per_page}
    found = db.session.execute(paged, parameters).all()
    if found:
        total = found[0].total
    elif page > 1:
        total = db.session.scalar(counted, parameters) or 0
    else:
        total = 0
    rows = [_row(values) for values in found]
    _add_departments_and_assignees(rows)
    return Page(items=rows, page=page, per_page=per_page, total=total)


def _add_departments_and_assignees(rows: list[CaseRow]) -> None:
    """Fill in every row's departments and assignees: one statement for the whole page."""
    if not rows:
        return
    people = _people_by_case([row.id for row in rows])
    for row in rows:
        row.departments, row.assignees = people[row.id]


def _people_by_case(
    case_ids: list[int],
) -> dict[int, tuple[list[DepartmentRef], list[PersonRef]]]:
    """The departments and assignees of each of ``case_ids``, by name, in one statement."""
    people: dict[int, tuple[list[DepartmentRef], list[PersonRef]]] = {
        case_id: ([], []) for case_id in case_ids
    }
    found = db.session.execute(_people_statement(), {"case_ids": case_ids})
    for case_id, kind, ref_id, code, name in found:
        departments, assignees = people[case_id]
        if kind == "department":
            departments.append(DepartmentRef(ref_id, code, name))
        else:
            assignees.append(PersonRef(ref_id, code, name))
    return people


@cache
def _people_statement() -> Select:
    """The departments and assignees of the cases ``case_ids``, by name; built once."""
    case_ids = bindparam("case_ids", expanding=True)
    departments = (
        select(
            case_departments.c.case_id.label("case_id"),
            literal_column("'department'").label("kind"),
            Department.id.label("ref_id"),
            Department.code.label("code"),
            Department.name.label("name"),
        )
        .join(Department, Department.id == case_departments.c.department_id)
        .where(case_departments.c.case_id.in_(case_ids))
    )
    assignees = (
        select(
            case_assignees.c.case_id,
            literal_column("'assignee'"),
            User.id,
            User.username,
            User.display_name,
        )
        .join(User, User.id == case_assignees.c.user_id)
        .where(case_assignees.c.case_id.in_(case_ids))
    )
    both = union_all(departments, assignees).subquery()
    return select(both).order_by(both.c.name, both.c.ref_id)


def list_cases(
    actor: User,
    workspace_id: int | None = None,
    filters: CaseFilters | None = None,
    *,
    page: int = 1,
    per_page: int = 25,
    with_description: bool = False,
) -> Page:
    """One page of cases (:class:`CaseRow`), most recently changed first.

    With ``workspace_id``, that workspace's cases (participants, and oversight); without,
    the cases of every workspace the actor takes part in (every case, for oversight).
    ``with_description`` reads the description too, for those who may read it (the API).

    Raises:
        NotFound: the workspace is missing or not visible.
        Invalid: an unknown status or priority.
    """
    filters = filters or CaseFilters()
    filters.check()
    in_workspace = workspace_id is not None
    if in_workspace and (not is_signed_in(actor) or type(workspace_id) is not int):
        raise NotFound(_("Workspace not found."))
    listing = (
        _list_listing(filters, with_description, in_workspace, oversees(actor))
        if filters.any
        else _unfiltered_list_listing(with_description, in_workspace, oversees(actor))
    )
    result = _page_of_rows(
        listing,
        page,
        per_page,
        {**participant_parameters(actor), "list_workspace_id": workspace_id},
    )
    if workspace_id is not None and not result.items:
        # Rows prove the actor may list them (the statement keeps only those); an empty
        # page asks the rule itself, so that a workspace one may not list is not found.
        case_list_access(actor, workspace_id)
    for row in result.items:
        if not row.content_visible:
            row.description = None
    return result


def my_cases(actor: User, filters: CaseFilters | None = None, *, page: int = 1) -> Page:
    """The cases assigned to the actor in workspaces they still take part in."""
    filters = filters or CaseFilters()
    listing = _my_listing(filters) if filters.any else _unfiltered_my_listing()
    filters.assignee_id = actor.id
    filters.check()
    result = _page_of_rows(
        listing, page, 25, {**participant_parameters(actor), "assignee_id": actor.id}
    )
    for row in result.items:
        row.content_visible = True
    return result


def _list_listing(
    filters: CaseFilters, with_description: bool, in_workspace: bool, oversight: bool
) -> tuple[Select, Select]:
    """The :func:`_listing` of :func:`list_cases`: ``list_workspace_id``'s cases when
    ``in_workspace``, those the reader takes part in unless ``oversight`` (who reads every
    case, and whose rows say which ones they may read)."""
    criteria = _criteria(filters)
    takes_part = Case.workspace_id.in_(participant_workspaces_by_parameters())
    readable: Any = takes_part
    if in_workspace:
        criteria.append(Case.workspace_id == bindparam("list_workspace_id", type_=Integer))
    if not oversight:
        criteria.append(takes_part)
        readable = literal(True)
    rows = _rows_stmt(with_description=with_description).add_columns(readable.label("readable"))
    return _listing(rows, criteria)


@cache
def _unfiltered_list_listing(
    with_description: bool, in_workspace: bool, oversight: bool
) -> tuple[Select, Select]:
    """:func:`_list_listing` without filters, built once for each kind of list: building
    it took a fifth of the list endpoint's calls."""
    return _list_listing(CaseFilters(), with_description, in_workspace, oversight)


def _my_listing(filters: CaseFilters) -> tuple[Select, Select]:
    """The :func:`_listing` of :func:`my_cases`: the cases assigned to ``assignee_id`` in
    workspaces they take part in, narrowed by ``filters`` (whose assignee is ignored)."""
    criteria = [
        *_criteria(replace(filters, assignee_id=None)),
        Case.id.in_(
            select(case_assignees.c.case_id).where(
                case_assignees.c.user_id == bindparam("assignee_id", type_=Integer)
            )
        ),
        Case.workspace_id.in_(participant_workspaces_by_parameters()),
    ]
    return _listing(_rows_stmt(with_description=False), criteria, few=True)


@cache
def _unfiltered_my_listing() -> tuple[Select, Select]:
    """:func:`_my_listing` without filters, built once."""
    return _my_listing(CaseFilters())


# The board ------------------------------------------------------------------------------


@dataclass
class Card:
    """What a board's card shows of a case."""

    id: int
    key: str
    title: str
    status: str
    priority: str
    due_on: date | None
    version: int
    assignees: list[str] = field(default_factory=list)

    def is_overdue(self, today: date | None = None) -> bool:
        return is_overdue(self.status, self.due_on, today)


@dataclass
class Board:
    """A workspace's cases by status, each column capped at ``BOARD_COLUMN_LIMIT``."""

    workspace: Workspace
    columns: dict[str, list[Card]]
    totals: dict[str, int]
    last_seq: int
    can_write: bool
    today: date = field(default_factory=lambda: utcnow().date())


def board(actor: User, workspace_id: int, filters: CaseFilters | None = None) -> Board:
    """The case board: one column per status, most urgent and soonest due first.

    One statement for the cards whatever their number: the capped columns with each
    column's total (window functions), a row per card and assignee.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    workspace = workspace_for_cases(actor, workspace_id, for_page=True)
    filters = filters or CaseFilters()
    filters.status = None
    filters.check()
    stmt = _board_statement(filters) if filters.any else _unfiltered_board_statement()
    columns: dict[str, list[Card]] = {status: [] for status in STATUSES}
    totals = dict.fromkeys(STATUSES, 0)
    card = None
    # Written for the hundreds of rows a board has: no call a row that can be spared (a
    # new card's assignees given, not made by its default factory; the column looked up
    # by subscript, a status outside ``STATUSES`` still getting one).
    for row in db.session.execute(stmt, {"board_workspace_id": workspace.id}):
        if card is None or card.id != row.id:
            card = Card(
                row.id, row.key, row.title, row.status, row.priority, row.due_on, row.version, []
            )
            try:
                columns[card.status].append(card)
            except KeyError:
                columns[card.status] = [card]
            totals[card.status] = row.total
        if row.assignee is not None:
            card.assignees.append(row.assignee)
    return Board(
        workspace=workspace,
        columns=columns,
        totals=totals,
        last_seq=last_seq(board_stream(workspace.id)),
        can_write=can(actor, "case.update", workspace),
    )


@cache
def _unfiltered_board_statement() -> Select:
    """The statement of every board without filters, built once (it has no values but
    the workspace's id): building it took a tenth of the board's calls."""
    return _board_statement(CaseFilters())


def _board_statement(filters: CaseFilters) -> Select:
    """The board's cards, the workspace's id a parameter (``board_workspace_id``)."""
    position = func.row_number().over(
        partition_by=Case.status,
        order_by=(_priority_rank(), Case.due_on.is_(None), Case.due_on, Case.id),
    )
    ranked = _filtered(
        select(
            Case.id,
            Case.key,
            Case.title,
            Case.status,
            Case.priority,
            Case.due_on,
            Case.version,
            position.label("position"),
            func.count().over(partition_by=Case.status).label("total"),
        ).where(Case.workspace_id == bindparam("board_workspace_id", type_=Integer)),
        filters,
    ).subquery()
    capped = select(ranked).where(ranked.c.position <= BOARD_COLUMN_LIMIT).subquery()
    return (
        select(capped, User.display_name.label("assignee"))
        .outerjoin(case_assignees, case_assignees.c.case_id == capped.c.id)
        .outerjoin(User, User.id == case_assignees.c.user_id)
        .order_by(capped.c.position, capped.c.id, User.display_name, User.id)
    )


def _priority_rank():
    return sql_case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Case.priority, else_=4)


@dataclass
class ListOptions:
    """What a workspace's case list can be filtered by."""

    workspace: Workspace
    assignees: list[MemberChoice]
    departments: list[Department]
    regions: list[RegionChoice]
    can_write: bool


def list_options(actor: User, workspace_id: int) -> ListOptions:
    """The filters' choices: the workspace's current members (id and name), its departments,
    every region.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    workspace = workspace_for_cases(actor, workspace_id, for_page=True)
    departments = sorted(
        (p.department for p in workspace.participations if p.is_accepted), key=lambda d: d.name
    )
    members, regions = _filter_choices(workspace.id)
    return ListOptions(
        workspace, members, departments, regions, can(actor, "case.create", workspace)
    )


@dataclass(frozen=True)
class MemberChoice:
    """A current member offered by the filter: their id and name."""

    id: int
    display_name: str


def _filter_choices(workspace_id: int) -> tuple[list[MemberChoice], list[RegionChoice]]:
    """The workspace's current members and every region, in one statement (two lists of a
    page that would otherwise cost a statement each)."""
    rows = db.session.execute(
        _filter_choices_statement(), {"choices_workspace_id": workspace_id, "now": utcnow()}
    )
    member_choices: list[MemberChoice] = []
    region_choices: list[RegionChoice] = []
    for kind, ref_id, name, jurisdiction in rows:
        if kind == "member":
            member_choices.append(MemberChoice(ref_id, name))
        else:
            region_choices.append(RegionChoice(ref_id, name, jurisdiction))
    return member_choices, region_choices


@cache
def _filter_choices_statement() -> Select:
    """Members of ``choices_workspace_id`` current at ``now``, and regions; built once."""
    now = bindparam("now", type_=DateTime)
    members = (
        select(
            literal("member", String).label("kind"),
            User.id,
            User.display_name.label("name"),
            literal(None, String).label("jurisdiction"),
        )
        .join(Membership, Membership.user_id == User.id)
        .where(
            Membership.workspace_id == bindparam("choices_workspace_id", type_=Integer),
            or_(Membership.expires_at.is_(None), Membership.expires_at > now),
        )
    )
    regions = select(
        literal("region", String).label("kind"), Region.id, Region.name, Region.jurisdiction
    )
    both = union_all(members, regions).subquery()
    return select(both).order_by(both.c.kind, both.c.name, both.c.id)


def assignable_members(workspace: Workspace) -> list[User]:
    """Who may be assigned: current leads and members (their department must be involved)."""
    return sorted(
        (
            m.user
            for m in workspace.memberships
            if m.is_current() and m.role in ("lead", "member") and m.user.active
        ),
        key=lambda u: (u.department.name, u.display_name),
    )


# The case page --------------------------------------------------------------------------


@dataclass
class CasePage:
    """Everything the case page shows one viewer; content is empty for oversight.

    The case's departments and assignees are plain values (``departments``,
    ``assignees``); the edit form, which needs the case's own, leaves them empty.
    """

    case: Case
    may_read: bool
    may_write: bool
    role: str | None
    timeline: list[Row]
    comments: list[Row]
    attachments: list[Row]
    links: list[Row]
    last_seq: int
    assignable: list[User]
    departments: list[DepartmentRef] = field(default_factory=list)
    assignees: list[PersonRef] = field(default_factory=list)


def case_page(actor: User, case_id: int, *, for_edit: bool = False) -> CasePage:
    """The case page: details, and for participants the timeline, comments, files, links.

    ``for_edit`` also lists who may be assigned (every member of the workspace, which
    only the edit form needs).

    Raises:
        NotFound: the case is missing or not visible.
    """
    case = visible_case(actor, case_id, for_page=not for_edit)
    may_read = can(actor, "case.read", case)
    stream = case_stream(case.id)
    timeline, comments, attachments, links = [], [], [], []
    if may_read:
        timeline = _timeline(stream)
        comments = _comments(case.id)
        attachments = _attachments(case.id)
        links = _links(case.id)
    may_write = can(actor, "case.update", case)
    return CasePage(
        case=case,
        may_read=may_read,
        may_write=may_write,
        role=participation_role(actor, case.workspace),
        timeline=timeline,
        comments=comments,
        attachments=attachments,
        links=links,
        # Sequence numbers are contiguous: the newest event's is the stream's last.
        last_seq=(timeline[0].seq if timeline else last_seq(stream)) if may_read else 0,
        assignable=assignable_members(case.workspace) if may_write and for_edit else [],
        **({} if for_edit else _people_of(case.id)),
    )


def _people_of(case_id: int) -> dict[str, list]:
    """The case's ``departments`` and ``assignees`` by name, as a list's rows have them."""
    departments, assignees = _people_by_case([case_id])[case_id]
    return {"departments": departments, "assignees": assignees}


# The case page's parts are plain rows, each read by a statement built once (building
# one took about as many calls as running it), the case or its stream a parameter.
_CASE_ID = bindparam("case_id", type_=Integer)


def _timeline(stream: str) -> list[Row]:
    """The newest timeline entries of a case, newest first: ``seq``, ``type``,
    ``created_at`` and ``payload`` of each."""
    return list(db.session.execute(_timeline_statement(), {"stream": stream}))


def _comments(case_id: int) -> list[Row]:
    """The case's first comments, oldest first: ``id``, ``created_at``, ``body`` and the
    author's ``author_name`` of each."""
    return list(db.session.execute(_comments_statement(), {"case_id": case_id}))


def _attachments(case_id: int) -> list[Row]:
    """The case's files, oldest first: ``id``, ``original_name``, ``size``, ``created_at``
    and the uploader's ``uploaded_by_name`` of each."""
    return list(db.session.execute(_attachments_statement(), {"case_id": case_id}))


def _links(case_id: int) -> list[Row]:
    """The case's links, oldest first: ``kind``, ``target_id``, ``created_at`` and the
    linker's ``created_by_name`` of each."""
    return list(db.session.execute(_links_statement(), {"case_id": case_id}))


@cache
def _timeline_statement() -> Select:
    return (
        select(Event.seq, Event.type, Event.created_at, Event.payload)
        .where(Event.stream == bindparam("stream", type_=String))
        .order_by(Event.seq.desc())
        .limit(TIMELINE_SIZE)
    )


@cache
def _comments_statement() -> Select:
    return (
        select(
            CaseComment.id,
            CaseComment.created_at,
            CaseComment.body,
            User.display_name.label("author_name"),
        )
        .join(User, User.id == CaseComment.author_id)
        .where(CaseComment.case_id == _CASE_ID)
        .order_by(CaseComment.id)
        .limit(COMMENTS_SIZE)
    )


@cache
def _attachments_statement() -> Select:
    return (
        select(
            CaseAttachment.id,
            CaseAttachment.original_name,
            CaseAttachment.size,
            CaseAttachment.created_at,
            User.display_name.label("uploaded_by_name"),
        )
        .join(User, User.id == CaseAttachment.uploaded_by_id)
        .where(CaseAttachment.case_id == _CASE_ID)
        .order_by(CaseAttachment.id)
    )


@cache
def _links_statement() -> Select:
    return (
        select(
            CaseLink.kind,
            CaseLink.target_id,
            CaseLink.created_at,
            User.display_name.label("created_by_name"),
        )
        .join(User, User.id == CaseLink.created_by_id)
        .where(CaseLink.case_id == _CASE_ID)
        .order_by(CaseLink.id)
    )


def get_case(actor: User, case_id: int) -> Case:
    """A case the actor may see (metadata), marked with whether they read its content.

    Raises:
        NotFound: missing or not visible.
    """
    case = visible_case(actor, case_id)
    case.content_visible = can(actor, "case.read", case)
    return case


def case_events(actor: User, case_id: int, after: int = 0) -> dict:
    """The case's timeline events after ``after`` (at most 500, oldest first).

    Raises:
        NotFound: the case is missing or not visible; Forbidden for oversight (content).
    """
    case = visible_case(actor, case_id, "case.read")
    stream = case_stream(case.id)
    return {
        "items": encoded_messages_after(stream, max(after, 0)),
        "last_seq": last_seq(stream),
    }


def board_events(actor: User, workspace_id: int, after: int = 0) -> dict:
    """The boards' events of a workspace after ``after`` (at most 500, oldest first).

    Raises:
        NotFound: the workspace is missing, or the actor may not list its cases.
    """
    workspace = workspace_for_cases(actor, workspace_id)
    stream = board_stream(workspace.id)
    return {"items": encoded_messages_after(stream, max(after, 0)), "last_seq": last_seq(stream)}


def blank_card() -> Card:
    """An empty card: the shape a board's script fills in for a case opened live."""
    return Card(id=0, key="", title="", status="open", priority="normal", due_on=None, version=0)
