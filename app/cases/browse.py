"""Reading cases: a workspace's list and board, "my cases", the case page, the catch-up.

Lists take their visibility from :func:`app.cases.policy.participant_workspaces` (or
every workspace, for oversight), load what a row shows in a fixed number of statements
whatever the number of cases, and are paged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import Select, func, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.orm import selectinload

from app.accounts.models import Department, Region, User
from app.cases.access import (
    BOARD_COLUMN_LIMIT,
    case_stream,
    visible_case,
    workspace_for_cases,
    workspace_stream,
)
from app.cases.discussion import case_links
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
)
from app.cases.policy import oversees, participant_workspaces, participation_role
from app.common import LIKE_ESCAPE, Page, escape_like, paginate, text_matches, utcnow
from app.errors import Invalid
from app.extensions import db
from app.policy import can
from app.realtime import events_after, last_seq
from app.realtime.models import Event
from app.workspaces.models import Workspace

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
            fields["status"] = [f"Choose one of: {', '.join(STATUSES)}."]
        if self.priority and self.priority not in PRIORITIES:
            fields["priority"] = [f"Choose one of: {', '.join(PRIORITIES)}."]
        if fields:
            raise Invalid("The cases could not be listed.", fields=fields)

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


def _list_stmt(filters: CaseFilters) -> Select:
    stmt = select(Case).options(
        selectinload(Case.assignees),
        selectinload(Case.departments),
    )
    if filters.status:
        stmt = stmt.where(Case.status == filters.status)
    if filters.priority:
        stmt = stmt.where(Case.priority == filters.priority)
    if filters.assignee_id:
        stmt = stmt.where(
            Case.id.in_(
                select(case_assignees.c.case_id).where(
                    case_assignees.c.user_id == filters.assignee_id
                )
            )
        )
    if filters.department_id:
        stmt = stmt.where(
            Case.id.in_(
                select(case_departments.c.case_id).where(
                    case_departments.c.department_id == filters.department_id
                )
            )
        )
    if filters.region_id:
        stmt = stmt.where(Case.region_id == filters.region_id)
    if filters.overdue:
        stmt = stmt.where(Case.status.in_(ACTIVE_STATUSES), Case.due_on < utcnow().date())
    if filters.q and filters.q.strip():
        text = filters.q.strip()
        stmt = stmt.where(
            or_(
                text_matches(Case.title, text),
                text_matches(Case.description, text),
                Case.key.ilike(escape_like(text), escape=LIKE_ESCAPE),
            )
        )
    return stmt


def _newest_first(stmt: Select) -> Select:
    return stmt.order_by(Case.updated_at.desc(), Case.id.desc())


def list_cases(
    actor: User,
    workspace_id: int | None = None,
    filters: CaseFilters | None = None,
    *,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """One page of cases, most recently changed first.

    With ``workspace_id``, that workspace's cases (participants, and oversight); without,
    the cases of every workspace the actor takes part in (every case, for oversight).

    Raises:
        NotFound: the workspace is missing or not visible.
        Invalid: an unknown status or priority.
    """
    filters = filters or CaseFilters()
    filters.check()
    stmt = _list_stmt(filters)
    if workspace_id is not None:
        workspace = workspace_for_cases(actor, workspace_id)
        stmt = stmt.where(Case.workspace_id == workspace.id)
    elif not oversees(actor):
        stmt = stmt.where(Case.workspace_id.in_(participant_workspaces(actor)))
    result = paginate(_newest_first(stmt), page, per_page)
    mark_content_visible(actor, result.items)
    return result


def mark_content_visible(actor: User, cases: list[Case]) -> None:
    """Mark which cases' content (description) the actor reads: those they take part in.

    One statement for the whole list; oversight without participation sees metadata.
    """
    if not cases:
        return
    readable = set(db.session.scalars(participant_workspaces(actor)))
    for case in cases:
        case.content_visible = case.workspace_id in readable


def my_cases(actor: User, filters: CaseFilters | None = None, *, page: int = 1) -> Page:
    """The cases assigned to the actor in workspaces they still take part in."""
    filters = filters or CaseFilters()
    filters.assignee_id = actor.id
    filters.check()
    stmt = _list_stmt(filters).where(Case.workspace_id.in_(participant_workspaces(actor)))
    stmt = stmt.options(selectinload(Case.workspace))
    result = paginate(_newest_first(stmt), page, 25)
    for case in result.items:
        case.content_visible = True
    return result


@dataclass
class Board:
    """A workspace's cases by status, each column capped at ``BOARD_COLUMN_LIMIT``."""

    workspace: Workspace
    columns: dict[str, list[Case]]
    totals: dict[str, int]
    last_seq: int
    can_write: bool
    today: date = field(default_factory=lambda: utcnow().date())


def board(actor: User, workspace_id: int, filters: CaseFilters | None = None) -> Board:
    """The case board: one column per status, most urgent and soonest due first.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    workspace = workspace_for_cases(actor, workspace_id)
    filters = filters or CaseFilters()
    filters.status = None
    filters.check()
    base = _list_stmt(filters).where(Case.workspace_id == workspace.id)
    rank = _priority_rank()
    ranked = (
        base.add_columns(
            func.row_number()
            .over(
                partition_by=Case.status,
                order_by=(rank, Case.due_on.is_(None), Case.due_on, Case.id),
            )
            .label("position")
        )
    ).subquery()
    totals = dict(
        db.session.execute(select(ranked.c.status, func.count()).group_by(ranked.c.status)).all()
    )
    capped = (
        select(Case)
        .join(ranked, ranked.c.id == Case.id)
        .where(ranked.c.position <= BOARD_COLUMN_LIMIT)
        .options(selectinload(Case.assignees))
        .order_by(ranked.c.position)
    )
    columns: dict[str, list[Case]] = {status: [] for status in STATUSES}
    for case in db.session.scalars(capped):
        columns[case.status].append(case)
    return Board(
        workspace=workspace,
        columns=columns,
        totals={status: totals.get(status, 0) for status in STATUSES},
        last_seq=last_seq(workspace_stream(workspace.id)),
        can_write=can(actor, "case.update", workspace),
    )


def _priority_rank():
    return sql_case({"urgent": 0, "high": 1, "normal": 2, "low": 3}, value=Case.priority, else_=4)


@dataclass
class ListOptions:
    """What a workspace's case list can be filtered by."""

    workspace: Workspace
    assignees: list[User]
    departments: list[Department]
    regions: list[Region]
    can_write: bool


def list_options(actor: User, workspace_id: int) -> ListOptions:
    """The filters' choices: the workspace's members, its departments, every region.

    Raises:
        NotFound: the workspace is missing or not visible.
    """
    workspace = workspace_for_cases(actor, workspace_id)
    departments = sorted(
        (p.department for p in workspace.participations if p.is_accepted), key=lambda d: d.name
    )
    members = sorted(
        (m.user for m in workspace.memberships if m.is_current()), key=lambda u: u.display_name
    )
    regions = list(db.session.scalars(select(Region).order_by(Region.name)))
    return ListOptions(
        workspace, members, departments, regions, can(actor, "case.create", workspace)
    )


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
    """Everything the case page shows one viewer; content is empty for oversight."""

    case: Case
    may_read: bool
    may_write: bool
    role: str | None
    timeline: list[Event]
    comments: list[CaseComment]
    attachments: list[CaseAttachment]
    links: list[CaseLink]
    last_seq: int
    assignable: list[User]


def case_page(actor: User, case_id: int) -> CasePage:
    """The case page: details, and for participants the timeline, comments, files, links.

    Raises:
        NotFound: the case is missing or not visible.
    """
    case = visible_case(actor, case_id)
    may_read = can(actor, "case.read", case)
    stream = case_stream(case.id)
    timeline, comments, attachments, links = [], [], [], []
    if may_read:
        timeline = list(
            db.session.scalars(
                select(Event)
                .where(Event.stream == stream)
                .order_by(Event.seq.desc())
                .limit(TIMELINE_SIZE)
            )
        )
        comments = list(
            db.session.scalars(
                select(CaseComment)
                .where(CaseComment.case_id == case.id)
                .order_by(CaseComment.id)
                .limit(COMMENTS_SIZE)
            )
        )
        attachments = list(
            db.session.scalars(
                select(CaseAttachment)
                .where(CaseAttachment.case_id == case.id)
                .order_by(CaseAttachment.id)
            )
        )
        links = case_links(case)
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
        last_seq=last_seq(stream) if may_read else 0,
        assignable=assignable_members(case.workspace) if may_write else [],
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
        "items": [event.as_message() for event in events_after(stream, max(after, 0))],
        "last_seq": last_seq(stream),
    }


def blank_card() -> Case:
    """An unsaved, empty case: the shape a board's script fills in for a case opened live."""
    return Case(id=0, key="", title="", status="open", priority="normal", version=0)
