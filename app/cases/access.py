"""Loading a case for a viewer or a change, the checks every case operation shares, and the
case domain's error codes.

A case someone may not see is "not found", exactly like a missing one: its existence
is itself sensitive across departments.
"""

from __future__ import annotations

import enum
import re
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Integer, bindparam, select
from sqlalchemy.orm import defaultload, joinedload, lazyload, selectinload

from app.accounts.models import Department, User
from app.cases.models import PRIORITIES, STATUSES, Case
from app.cases.policy import oversees, participant_workspaces, participation_role
from app.common import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.policy import can, is_signed_in, require
from app.workspaces.models import Workspace, WorkspaceDepartment, workspace_with_membership


class CaseError(enum.StrEnum):
    """Machine-readable codes of the case domain's refusals (API ``error.code``)."""

    STALE = "stale"
    READ_ONLY = "read_only"
    TOO_LARGE = "too_large"
    FILE_TYPE = "file_type"


class TooLarge(DomainError):
    """An attachment above ``CASE_ATTACHMENT_MAX_BYTES``."""

    status = 413
    code = CaseError.TOO_LARGE


TITLE_MAX = 200
DESCRIPTION_MAX = 20_000
COMMENT_MAX = 10_000
MAX_YEARS_AHEAD = 5
BOARD_COLUMN_LIMIT = 100
UNSET: Any = object()

_PREFIX_WORD = re.compile(r"[A-Za-z]+")


def case_stream(case_id: int) -> str:
    return f"case:{case_id}"


def board_stream(workspace_id: int) -> str:
    """The stream of a workspace's case boards: every case opened, edited or moved there.

    Not the workspace's own stream, which everyone who sees the workspace follows (an
    invited department's head too, before answering): a case's title and people are for
    those who may list the workspace's cases (``case.list``).
    """
    return f"cases:{workspace_id}"


def case_path(case_id: int) -> str:
    """The case page's path, for notification links (no request context needed)."""
    return f"/cases/{case_id}"


def key_prefix(workspace_name: str) -> str:
    """A short prefix for a workspace's case keys: "Flood response" gives ``FLOOD``.

    The first word of Latin letters, upper-cased and cut to six letters; ``CASE`` when
    the name has none (a name in Chinese characters, for instance).
    """
    match = _PREFIX_WORD.search(workspace_name or "")
    return match.group(0)[:6].upper() if match else "CASE"


# Loading --------------------------------------------------------------------------------


def _with_workspace(stmt):
    """A case with what seeing or changing it asks: its workspace (joined) and that
    workspace's departments, the case's departments and assignees.

    Not the workspace's members: whether the viewer takes part is one membership row
    (``Workspace.membership_of``), and the few operations that need every member (choosing
    assignees, @mentions) load them when asked. Nor the site-wide roles of the people
    named (assignees, the case's and the workspace's creators), which nothing here reads.
    """
    return stmt.options(
        joinedload(Case.workspace, innerjoin=True).options(
            selectinload(Workspace.participations), lazyload(Workspace.created_by)
        ),
        defaultload(Case.created_by).lazyload(User.role_links),
        selectinload(Case.departments),
        selectinload(Case.assignees).lazyload(User.role_links),
    )


def _for_page(stmt):
    """A case as its page shows it: :func:`_with_workspace`, less what the page never
    reads or reads as plain rows (``browse.case_page``): the case's departments and
    assignees, the workspace's owner, the creator's department, and each taking-part
    department's row (its id is enough to check one).
    """
    return stmt.options(
        joinedload(Case.workspace, innerjoin=True).options(
            selectinload(Workspace.participations).lazyload(WorkspaceDepartment.department),
            lazyload(Workspace.created_by),
            lazyload(Workspace.owner_department),
        ),
        defaultload(Case.created_by).options(lazyload(User.department), lazyload(User.role_links)),
        lazyload(Case.departments),
        lazyload(Case.assignees),
    )


@cache
def _case_statement(for_page: bool):
    """The statement that loads a case (``case_id`` a parameter), built once: building its
    loader options took a third of the load's calls."""
    select_case = select(Case).where(Case.id == bindparam("case_id", type_=Integer))
    return _for_page(select_case) if for_page else _with_workspace(select_case)


def load_case(case_id: Any, *, lock: bool = False, for_page: bool = False) -> Case | None:
    if not isinstance(case_id, int) or isinstance(case_id, bool):
        return None
    stmt = _case_statement(for_page)
    if lock:
        stmt = stmt.with_for_update(of=Case).execution_options(populate_existing=True)
    return db.session.scalar(stmt, {"case_id": case_id})


def visible_case(
    actor: User, case_id: Any, action: str = "case.view", *, for_page: bool = False
) -> Case:
    """The case, if the actor may ``action`` it (view: metadata; read: content).

    ``for_page`` loads only what the case page shows (:func:`_for_page`).

    Raises:
        NotFound: missing, or the actor may not see it (the same answer for both).
    """
    case = load_case(case_id, for_page=for_page)
    if case is None or not can(actor, "case.view", case):
        raise NotFound(_("Case not found."))
    if action != "case.view":
        require(actor, action, case, _("You can see this case's details but not its content."))
    return case


def for_change(actor: User, case_id: Any, action: str, version: Any = UNSET) -> Case:
    """Load and lock a case the actor may change with ``action``; check ``version`` if given.

    Raises:
        NotFound: missing or not visible.
        Conflict: the workspace is read-only (``read_only``), or ``version`` is not the
            case's current one (``stale``).
        Forbidden: the actor reads the case but may not change it (an observer).
    """
    case = load_case(case_id, lock=True)
    if case is None or not can(actor, "case.view", case):
        raise NotFound(_("Case not found."))
    ensure_writable(case.workspace)
    require(actor, action, case, write_refusal(actor, case.workspace))
    if version is not UNSET and version != case.version:
        raise Conflict(
            _(
                "Someone changed %(key)s after you opened it (it is now at version "
                "%(current)s, you edited version %(edited)s). Look at their change, then "
                "make yours again.",
                key=case.key,
                current=case.version,
                edited=version,
            ),
            code=CaseError.STALE,
        )
    return case


def ensure_writable(workspace: Workspace) -> None:
    reason = workspace.read_only_reason()
    if reason:
        raise Conflict(reason, code=CaseError.READ_ONLY)


def write_refusal(actor: User, workspace: Workspace) -> str:
    if participation_role(actor, workspace) == "observer":
        return _("Observers can read this workspace's cases but not change them.")
    return _("Only members of this workspace can work on its cases.")


# A workspace for its cases: its departments taking part (a few rows) and nothing else
# loaded with it. Options are immutable, so they are built once.
_WORKSPACE_OPTIONS = (joinedload(Workspace.participations), lazyload(Workspace.created_by))
# For pages, which name the departments taking part at most: not their regions or
# parents, nor the workspace's owner.
_PAGE_WORKSPACE_OPTIONS = (
    joinedload(Workspace.participations)
    .joinedload(WorkspaceDepartment.department)
    .options(lazyload(Department.region), lazyload(Department.parent)),
    lazyload(Workspace.created_by),
    lazyload(Workspace.owner_department),
)


def workspace_for_cases(actor: User, workspace_id: Any, *, for_page: bool = False) -> Workspace:
    """A workspace whose cases the actor may list (``for_page``: loaded as pages need it).

    Raises:
        NotFound: missing, or the actor neither takes part in it nor oversees it.
    """
    workspace = None
    if isinstance(workspace_id, int) and not isinstance(workspace_id, bool):
        # One statement for the workspace with its departments (a few rows) and the
        # actor's own membership (``Workspace.membership_of``), not every member with their
        # user. A second call in the same request finds it all loaded.
        workspace = workspace_with_membership(
            workspace_id,
            actor.id,
            *(_PAGE_WORKSPACE_OPTIONS if for_page else _WORKSPACE_OPTIONS),
        )
    if workspace is None or not can(actor, "case.list", workspace):
        raise NotFound(_("Workspace not found."))
    return workspace


def case_list_access(actor: User, workspace_id: Any) -> bool:
    """Whether the actor reads the cases of ``workspace_id`` as a participant (``True``) or
    for oversight only (``False``): :func:`workspace_for_cases` as one plain row.

    The ``case.list`` rule asked through its SQL twin (:func:`participant_workspaces`,
    which a test holds to :func:`participation_role`), for a list that needs nothing else
    of the workspace: loading it with its departments and the actor's membership as
    models cost a third of the list.

    Raises:
        NotFound: missing, or the actor neither takes part in it nor oversees it.
    """
    found = None
    if not is_signed_in(actor):
        raise NotFound(_("Workspace not found."))
    if isinstance(workspace_id, int) and not isinstance(workspace_id, bool):
        found = db.session.execute(
            select(Workspace.id.in_(participant_workspaces(actor))).where(
                Workspace.id == workspace_id
            )
        ).first()
    if found is None or not (found[0] or oversees(actor)):
        raise NotFound(_("Workspace not found."))
    return bool(found[0])


# Validation helpers ---------------------------------------------------------------------


def clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def check_title(title: str, fields: dict) -> None:
    if not title:
        fields["title"] = [_("Give the case a title.")]
    elif len(title) > TITLE_MAX:
        fields["title"] = [_("Keep the title within %(max)s characters.", max=TITLE_MAX)]


def check_description(description: str, fields: dict) -> None:
    if len(description) > DESCRIPTION_MAX:
        fields["description"] = [
            _("Keep the description within %(max)s characters.", max=DESCRIPTION_MAX)
        ]


def check_status(status: Any, fields: dict) -> None:
    if status not in STATUSES:
        fields["status"] = [_("Choose one of: %(choices)s.", choices=", ".join(STATUSES))]


def check_priority(priority: Any, fields: dict) -> None:
    if priority not in PRIORITIES:
        fields["priority"] = [_("Choose one of: %(choices)s.", choices=", ".join(PRIORITIES))]


def check_due_on(due_on: Any, fields: dict, *, previous: date | None = None) -> None:
    """A due date may be empty; a new one may not be in the past or years away."""
    if due_on is None or due_on == previous:
        return
    today = utcnow().date()
    if not isinstance(due_on, date) or isinstance(due_on, datetime):
        fields["due_on"] = [_("Give a date, or leave it empty.")]
    elif due_on < today:
        fields["due_on"] = [_("The due date cannot be in the past.")]
    elif due_on > today + timedelta(days=366 * MAX_YEARS_AHEAD):
        fields["due_on"] = [_("Give a due date within %(years)s years.", years=MAX_YEARS_AHEAD)]


def label(user: User) -> str:
    return f"{user.display_name} ({user.department.name})"
