"""Reading requests: the two queues and the list of everything visible, the counts in the
navigation, the request page, the filing form's choices and the live catch-up."""

from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.acting import acts_for_own_department
from app.accounts.identity import page_figures, register_page_figure, register_page_figures
from app.accounts.models import Department, Region, Role, User, UserRole
from app.catalog.models import Dataset
from app.common import Page, paginate_counted, text_matches, utcnow
from app.errors import Invalid
from app.extensions import db
from app.grants.models import Grant
from app.policy import can, is_signed_in, require
from app.realtime import encoded_messages_after, last_seq
from app.sharing.access import (
    MAX_DURATION_DAYS,
    get_request,
    request_stream,
)
from app.sharing.models import (
    FINAL_STATUSES,
    PENDING_STATUSES,
    DataRequest,
    RequestStatus,
    TimelineEntry,
)
from app.sharing.policy import decision_capacity, visible_clause, waiting_clause, waiting_for
from app.workspaces.models import Membership, Workspace, WorkspaceDepartment, WorkspaceRole

BOXES = ("filed", "waiting", "visible")
STATUSES = [status.value for status in RequestStatus]
CHOICE_LIMIT = 500


def _box_clause(actor: User, box: str):
    if box == "filed":
        return DataRequest.requester_id == actor.id
    if box == "waiting":
        return waiting_clause(actor)
    return visible_clause(actor)


def list_requests(
    actor: User,
    *,
    box: str = "visible",
    status: str | None = None,
    workspace_id: int | None = None,
    q: str | None = None,
    overdue: bool = False,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """One page of requests, most urgent first in the queue, newest first elsewhere.

    ``box`` is ``filed`` (the actor's own), ``waiting`` (waiting for the actor's decision)
    or ``visible`` (everything the actor may see). Requester, departments, dataset and
    workspace come loaded, in a fixed number of statements.

    Raises:
        Invalid: an unknown box or status.
    """
    fields: dict[str, list[str]] = {}
    if box not in BOXES:
        fields["box"] = [_("Choose one of: %(choices)s.", choices=", ".join(BOXES))]
    if status and status not in STATUSES:
        fields["status"] = [_("Choose one of: %(choices)s.", choices=", ".join(STATUSES))]
    if fields:
        raise Invalid(_("The requests could not be listed."), fields=fields)
    require(actor, "data_request.list")
    stmt = (
        select(DataRequest)
        .where(_box_clause(actor, box))
        # One statement with its count: each row's dataset and workspace are named only
        # (their own departments and creators are not), its requester without their roles.
        .options(
            joinedload(DataRequest.dataset).lazyload("*"),
            joinedload(DataRequest.workspace).lazyload("*"),
            joinedload(DataRequest.requester).lazyload(User.role_links),
        )
    )
    if status:
        stmt = stmt.where(DataRequest.status == status)
    if workspace_id:
        stmt = stmt.where(DataRequest.workspace_id == workspace_id)
    if q and q.strip():
        text = q.strip()
        stmt = stmt.where(
            or_(text_matches(DataRequest.title, text), text_matches(DataRequest.purpose, text))
        )
    if overdue:
        stmt = stmt.where(_overdue_clause())
    if box == "waiting":
        stmt = stmt.order_by(DataRequest.due_on.asc(), DataRequest.id.asc())
    else:
        stmt = stmt.order_by(DataRequest.updated_at.desc(), DataRequest.id.desc())
    return paginate_counted(stmt, page, per_page)


def _overdue_clause(today=None):
    return DataRequest.status.in_([s.value for s in PENDING_STATUSES]) & (
        DataRequest.due_on < (utcnow().date() if today is None else today)
    )


@dataclass
class RequestCounts:
    """What the navigation and the home page count for one person."""

    filed_open: int = 0
    waiting: int = 0
    waiting_overdue: int = 0
    decides: bool = False


def request_counts(actor: User) -> RequestCounts:
    """The actor's open requests and the requests waiting for them, in one statement.

    Every signed-in page's header shows these counts, so they are scalar subqueries of one
    ``SELECT`` rather than a statement each; on a page, of the statement that loaded the
    signed-in user (:func:`register_request_count_figures`), so they cost none.
    """
    if not is_signed_in(actor):
        return RequestCounts()
    decides = can(actor, "data_request.decide")
    figures = page_figures(actor.id)
    if figures is not None:
        filed = figures[FIGURE_FILED]
        if not decides:
            return RequestCounts(filed or 0, 0, 0, False)
        waiting_count, overdue_count = figures[FIGURE_WAITING], figures[FIGURE_OVERDUE]
        return RequestCounts(filed or 0, waiting_count or 0, overdue_count or 0, True)
    open_filed = _open_filed(actor.id).scalar_subquery()
    if not decides:
        return RequestCounts(db.session.scalar(select(open_filed)) or 0, 0, 0, False)
    waiting = select(func.count()).where(waiting_clause(actor))
    overdue = waiting.where(_overdue_clause())
    filed, waiting_count, overdue_count = db.session.execute(
        select(open_filed, waiting.scalar_subquery(), overdue.scalar_subquery())
    ).one()
    return RequestCounts(filed or 0, waiting_count or 0, overdue_count or 0, True)


def _open_filed(user_id: int):
    return select(func.count()).where(
        DataRequest.requester_id == user_id,
        DataRequest.status.not_in([s.value for s in FINAL_STATUSES]),
    )


FIGURE_FILED = "sharing.filed_open"
FIGURE_WAITING = "sharing.waiting"
FIGURE_OVERDUE = "sharing.waiting_overdue"


def _waiting_figures(user_id, today):
    """SQL: one row, the requests waiting for the signed-in user and how many are overdue.

    One pass for both counts: their conditions are the longest part of the statement that
    loads the user. Every waiting request is pending (submitted or endorsed), so it is
    overdue when it is past its due date. The user's row is this table's own, so that
    "acting for their own department" is asked of their department.
    """
    return select(
        func.count().label("w"), func.count(case((DataRequest.due_on < today, 1))).label("o")
    ).where(
        User.id == user_id,
        waiting_for(
            user_id,
            department_id=User.department_id,
            acting=acts_for_own_department(user_id, today),
            dpo=select(UserRole.user_id)
            .where(UserRole.user_id == user_id, UserRole.role == Role.DPO.value)
            .exists(),
        ),
    )


def register_request_count_figures() -> None:
    """Have each page read the navigation's request counts with its signed-in user."""
    register_page_figure(FIGURE_FILED, lambda user, _today: _open_filed(user).scalar_subquery())
    register_page_figures((FIGURE_WAITING, FIGURE_OVERDUE), _waiting_figures)


# The request page -----------------------------------------------------------------------------


@dataclass
class RequestOverview:
    """Everything the request page shows to one viewer, and what they may do there."""

    request: DataRequest
    entries: list[TimelineEntry]
    last_seq: int
    allowed: set[str]
    capacity: object | None
    acting_as_deputy_for: User | None
    grant: Grant | None
    read_details: bool
    dataset_choices: list[Dataset] = field(default_factory=list)

    @property
    def columns_by_name(self) -> dict:
        dataset = self.request.dataset
        return {c.name: c for c in dataset.columns} if dataset is not None else {}


ACTIONS = (
    "edit",
    "submit",
    "withdraw",
    "endorse",
    "approve",
    "reject",
    "request_changes",
    "link_dataset",
    "comment",
)


def request_overview(actor: User, request_id: int) -> RequestOverview:
    """The request page: its scope, decisions, timeline and the viewer's possible actions.

    Raises:
        NotFound: missing or not visible.
    """
    request = get_request(actor, request_id)
    allowed = {name for name in ACTIONS if can(actor, f"data_request.{name}", request)}
    capacity = decision_capacity(actor, request)
    head = getattr(capacity, "head", None)
    entries = list(
        db.session.scalars(
            select(TimelineEntry)
            .where(TimelineEntry.request_id == request.id)
            .order_by(TimelineEntry.id.desc())
        )
    )
    grant = db.session.scalar(select(Grant).where(Grant.request_id == request.id))
    choices = _owner_datasets(request) if "link_dataset" in allowed else []
    return RequestOverview(
        request=request,
        entries=entries,
        last_seq=last_seq(request_stream(request.id)),
        allowed=allowed,
        capacity=capacity,
        acting_as_deputy_for=head if head is not None and head.id != actor.id else None,
        grant=grant,
        read_details=can(actor, "data_request.read_details", request),
        dataset_choices=choices,
    )


def _owner_datasets(request: DataRequest) -> list[Dataset]:
    return list(
        db.session.scalars(
            select(Dataset)
            .where(Dataset.owner_department_id == request.owner_department_id)
            .order_by(Dataset.title)
            .limit(CHOICE_LIMIT)
        )
    )


def request_events(actor: User, request_id: int, after: int = 0) -> dict:
    """The request stream's events after ``after`` (at most 500, oldest first).

    Raises:
        NotFound: missing or not visible.
    """
    request = get_request(actor, request_id)
    stream = request_stream(request.id)
    return {
        "items": encoded_messages_after(stream, max(after, 0)),
        "last_seq": last_seq(stream),
    }


# The filing form ------------------------------------------------------------------------------


@dataclass
class FilingOptions:
    """What the filing form offers: workspaces to file from, datasets, departments."""

    workspaces: list[Workspace]
    datasets: list[Dataset]
    departments: list[Department]
    dataset: Dataset | None
    max_duration_days: int = MAX_DURATION_DAYS


def filing_options(actor: User, *, dataset_id: int | None = None) -> FilingOptions:
    """The workspaces the actor may file from, the catalog's datasets and the departments.

    ``dataset`` is the chosen one with its columns (for the column checkboxes).
    """
    require(actor, "data_request.list")
    workspaces = list(
        db.session.scalars(
            select(Workspace)
            .join(Membership, Membership.workspace_id == Workspace.id)
            .join(
                WorkspaceDepartment,
                (WorkspaceDepartment.workspace_id == Workspace.id)
                & (WorkspaceDepartment.department_id == actor.department_id),
            )
            .where(
                Membership.user_id == actor.id,
                Membership.role != WorkspaceRole.OBSERVER.value,
                WorkspaceDepartment.status == "accepted",
            )
            .options(selectinload(Workspace.memberships), selectinload(Workspace.participations))
            .order_by(Workspace.name)
            .limit(CHOICE_LIMIT)
        )
    )
    workspaces = [w for w in workspaces if can(actor, "data_request.file", w)]
    datasets = list(
        db.session.scalars(
            select(Dataset)
            .join(Department, Department.id == Dataset.owner_department_id)
            .order_by(Department.name, Dataset.title)
            .limit(CHOICE_LIMIT)
        )
    )
    departments = list(
        db.session.scalars(
            select(Department)
            .join(Region, Region.id == Department.region_id)
            .order_by(Region.name, Department.name)
        )
    )
    dataset = None
    if dataset_id:
        dataset = db.session.scalar(
            select(Dataset).where(Dataset.id == dataset_id).options(selectinload(Dataset.columns))
        )
    return FilingOptions(workspaces, datasets, departments, dataset)


class RequestView:
    """A request as one viewer may read it: for oversight, without the row filter's values
    and the text of comments. Everything else reads through to the request."""

    def __init__(self, request: DataRequest, *, details: bool, grant_id: int | None) -> None:
        self._request = request
        self.details_hidden = not details
        self.grant_id = grant_id

    def __getattr__(self, name: str):
        return getattr(self._request, name)

    @property
    def row_filter(self):
        return None if self.details_hidden else self._request.row_filter

    @property
    def timeline(self) -> list:
        if not self.details_hidden:
            return list(self._request.entries)
        return [
            {
                "id": e.id,
                "kind": e.kind,
                "role": e.role,
                "actor": e.actor,
                "on_behalf_of": e.on_behalf_of,
                "note": None if e.kind == "commented" else e.note,
                "detail": {} if e.kind in ("filed", "edited") else e.detail,
                "created_at": e.created_at,
            }
            for e in self._request.entries
        ]


def request_view(actor: User, request_id: int) -> RequestView:
    """The request for the API, shaped for the viewer (see :class:`RequestView`).

    Raises:
        NotFound: missing or not visible.
    """
    request = get_request(actor, request_id)
    return view_of(actor, request)


def view_of(actor: User, request: DataRequest) -> RequestView:
    grant_id = db.session.scalar(select(Grant.id).where(Grant.request_id == request.id))
    return RequestView(
        request, details=can(actor, "data_request.read_details", request), grant_id=grant_id
    )


def unmet_demand() -> list:
    """Data asked for that no dataset answers yet: submitted requests naming no dataset,
    grouped by what was asked and of whom, most asked first (the catalog's coverage page).

    Drafts and withdrawn requests do not count: nobody was asked.
    """
    from app.catalog.coverage import UnmetDemand

    rows = db.session.execute(
        select(DataRequest.title, Department.name, DataRequest.requesting_department_id)
        .join(Department, Department.id == DataRequest.owner_department_id)
        .where(
            DataRequest.dataset_id.is_(None),
            DataRequest.status.not_in([RequestStatus.DRAFT.value, RequestStatus.WITHDRAWN.value]),
        )
        .order_by(DataRequest.id)
        .limit(CHOICE_LIMIT)
    ).all()
    names = dict(db.session.execute(select(Department.id, Department.name)).all())
    grouped: dict[tuple[str, str], list[int]] = {}
    for title, owner, requesting in rows:
        grouped.setdefault((title.strip(), owner), []).append(requesting)
    found = [
        UnmetDemand(
            description=title,
            requested_from=owner,
            requesting_departments=sorted({names[d] for d in requesting}),
            times_asked=len(requesting),
        )
        for (title, owner), requesting in grouped.items()
    ]
    return sorted(found, key=lambda item: (-item.times_asked, item.description))
