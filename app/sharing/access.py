"""Loading a data request for a viewer or a decision, the rules of its scope, and the
sharing domain's error codes.

Where existence is sensitive the answer is ``NotFound`` for "missing" and "not yours"
alike. A transition asked of a request in the wrong state is a ``Conflict`` whose code
names why, checked before who is asking, so that "approve a withdrawn request" is 409
for everyone who may see the request.
"""

from __future__ import annotations

import enum
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.accounts.acting import acting_for
from app.accounts.models import User
from app.catalog.models import Dataset, Sensitivity
from app.errors import Conflict, Forbidden, NotFound
from app.extensions import db
from app.policy import can, has_role
from app.sharing.models import DataRequest, RequestStatus
from app.workspaces.models import Workspace


class RequestError(enum.StrEnum):
    """Machine-readable codes of the sharing domain's refusals (API ``error.code``)."""

    ALREADY_DECIDED = "already_decided"
    NOT_EDITABLE = "not_editable"
    ALREADY_ENDORSED = "already_endorsed"
    NOT_ENDORSED = "not_endorsed"
    ALREADY_APPROVED = "already_approved"
    DATASET_MISSING = "dataset_missing"
    DATASET_ALREADY_LINKED = "dataset_already_linked"
    OWN_REQUEST = "own_request"
    CROSS_BORDER_REFUSED = "cross_border_refused"
    WIDER_SCOPE = "wider_scope"


TITLE_MAX = 200
TEXT_MAX = 5000
NOTE_MAX = 2000
MAX_DURATION_DAYS = 730
MAX_FILTER_VALUES = 100
VALUE_MAX = 200

S = RequestStatus
# The states each transition may start from.
TRANSITIONS: dict[str, tuple[RequestStatus, ...]] = {
    "edit": (S.DRAFT, S.CHANGES_REQUESTED),
    "submit": (S.DRAFT, S.CHANGES_REQUESTED),
    "endorse": (S.SUBMITTED,),
    "approve": (S.ENDORSED,),
    "reject": (S.SUBMITTED, S.ENDORSED),
    "request_changes": (S.SUBMITTED, S.ENDORSED),
    "withdraw": (S.DRAFT, S.SUBMITTED, S.ENDORSED, S.CHANGES_REQUESTED),
    "link_dataset": (S.SUBMITTED, S.ENDORSED),
}
STATUS_WORDS = {
    S.DRAFT: _l("a draft"),
    S.SUBMITTED: _l("waiting for endorsement"),
    S.ENDORSED: _l("endorsed"),
    S.CHANGES_REQUESTED: _l("back with its requester for changes"),
    S.APPROVED: _l("approved"),
    S.REJECTED: _l("rejected"),
    S.WITHDRAWN: _l("withdrawn"),
}


def request_stream(request_id: int) -> str:
    return f"request:{request_id}"


def request_path(request_id: int) -> str:
    """The request page's path, for notification links (no request context needed)."""
    return f"/requests/{request_id}"


def sla_days() -> int:
    return current_app.config["REQUEST_SLA_DAYS"]


# What a requester may not do to their own request, as ``refuse_own`` says it.
OWN_VERBS = {
    "endorse": _l("endorse"),
    "approve": _l("approve"),
    "reject": _l("reject"),
    "request changes to": _l("request changes to"),
}


# Loading ----------------------------------------------------------------------------------


def load_request(request_id: Any, *, lock: bool = False) -> DataRequest | None:
    if not isinstance(request_id, int) or isinstance(request_id, bool):
        return None
    stmt = (
        select(DataRequest)
        .where(DataRequest.id == request_id)
        .options(
            selectinload(DataRequest.dataset).selectinload(Dataset.columns),
            selectinload(DataRequest.workspace).selectinload(Workspace.memberships),
            selectinload(DataRequest.workspace).selectinload(Workspace.participations),
        )
    )
    if lock:
        stmt = stmt.with_for_update(of=DataRequest).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def ensure_visible(actor: User, request: DataRequest | None) -> DataRequest:
    """Raises NotFound for a missing request and for one the actor may not see."""
    if request is None or not can(actor, "data_request.view", request):
        raise NotFound(_("Data request not found."))
    return request


def get_request(actor: User, request_id: int) -> DataRequest:
    """A request the actor may see, with its dataset, columns and workspace loaded.

    Raises:
        NotFound: missing or not visible (the same answer for both).
    """
    return ensure_visible(actor, load_request(request_id))


def for_transition(actor: User, request_id: Any, transition: str) -> DataRequest:
    """Load and lock a request the actor sees, in a state ``transition`` may start from.

    Raises:
        NotFound: missing or not visible.
        Conflict: the request's state does not allow the transition (a code says why).
    """
    request = ensure_visible(actor, load_request(request_id, lock=True))
    ensure_state(request, transition)
    return request


def ensure_state(request: DataRequest, transition: str) -> None:
    """Raises Conflict when ``transition`` cannot start from the request's status."""
    status = RequestStatus(request.status)
    if status in TRANSITIONS[transition]:
        return
    where = STATUS_WORDS[status]
    if request.is_final:
        raise Conflict(
            _(
                "This request is already %(where)s; nothing more can be decided on it.",
                where=where,
            ),
            code=RequestError.ALREADY_DECIDED,
        )
    if transition in ("edit", "submit"):
        raise Conflict(
            _(
                "This request is %(where)s; it can be edited and submitted only as a draft "
                "or when changes were asked for.",
                where=where,
            ),
            code=RequestError.NOT_EDITABLE,
        )
    if transition == "endorse":
        raise Conflict(
            _(
                "This request is %(where)s; only a submitted request waits for endorsement.",
                where=where,
            ),
            code=RequestError.ALREADY_ENDORSED
            if status == S.ENDORSED
            else RequestError.NOT_EDITABLE,
        )
    raise Conflict(
        _(
            "This request is %(where)s; it must be endorsed by the requesting department first.",
            where=where,
        ),
        code=RequestError.NOT_ENDORSED,
    )


def refuse_own(actor: User, request: DataRequest, verb: str) -> None:
    """Separation of duties: nobody decides on a request they filed.

    Raises:
        Forbidden: the actor is the requester (code ``own_request``).
    """
    if actor.id == request.requester_id:
        raise Forbidden(
            _(
                "You filed this request, so you cannot %(verb)s it; someone else must.",
                verb=OWN_VERBS.get(verb, verb),
            ),
            code=RequestError.OWN_REQUEST,
        )


def ensure_not_decided_by(actor: User, request: DataRequest) -> None:
    """Raises Conflict when the actor's side of an endorsed request already approved it."""
    owner_side = acting_for(actor, request.owner_department_id) is not None
    if owner_side and request.owner_approval_in:
        raise Conflict(
            _(
                "The owning department has already approved this request; it now waits for "
                "the data protection officer."
            ),
            code=RequestError.ALREADY_APPROVED,
        )
    if has_role(actor, "dpo") and request.dpo_approval_in:
        raise Conflict(
            _("A data protection officer has already approved this request."),
            code=RequestError.ALREADY_APPROVED,
        )


# Scope --------------------------------------------------------------------------------------


def clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def jurisdiction_of(department) -> str:
    return department.region.jurisdiction


def check_residency(dataset: Dataset, requesting_department, fields: dict) -> bool:
    """A dataset that must stay in its jurisdiction refuses requests from another one.

    Returns whether it refused (the message is added to ``fields``).
    """
    theirs = jurisdiction_of(requesting_department)
    if dataset.residency_jurisdiction != theirs and not dataset.cross_border_allowed:
        fields.setdefault("dataset_id", []).append(
            _(
                "“%(title)s” must stay in %(residency)s and its owner does not allow "
                "cross-border use, so it cannot be requested from %(theirs)s.",
                title=dataset.title,
                residency=dataset.residency_jurisdiction,
                theirs=theirs,
            )
        )
        return True
    return False


def needs_dpo(request: DataRequest) -> bool:
    """A dpo approves too when a personal column is asked for or a border is crossed."""
    dataset = request.dataset
    if dataset is None:
        return False
    personal = {c.name for c in dataset.columns if c.sensitivity != Sensitivity.NONE}
    if personal.intersection(request.columns or []):
        return True
    return dataset.residency_jurisdiction != jurisdiction_of(request.requesting_department)


def clean_scope(
    dataset: Dataset | None,
    *,
    columns: Any,
    row_filter: Any,
    reveal_columns: Any,
    duration_days: Any,
    fields: dict,
) -> dict[str, Any]:
    """The scope as stored: columns in the dataset's order, trimmed filter values.

    Every problem is added to ``fields``; the caller raises once with all of them.
    """
    known = [c.name for c in dataset.columns] if dataset is not None else []
    wanted = [c for c in (columns or []) if isinstance(c, str)]
    unknown = sorted(set(wanted) - set(known))
    if unknown:
        fields.setdefault("columns", []).append(
            _("Not columns of this dataset: %(columns)s.", columns=", ".join(unknown))
        )
    chosen = [name for name in known if name in wanted]
    if dataset is not None and not chosen and not unknown:
        fields.setdefault("columns", []).append(_("Choose at least one column."))
    return {
        "columns": chosen,
        "row_filter": _clean_filter(row_filter, known, fields),
        "reveal_columns": _clean_reveal(dataset, reveal_columns, chosen, fields),
        "duration_days": _clean_duration(duration_days, fields),
    }


def _clean_filter(row_filter: Any, known: list[str], fields: dict) -> dict[str, list[str]]:
    if not isinstance(row_filter, dict):
        fields.setdefault("row_filter", []).append(_("Give the row filter as column: values."))
        return {}
    cleaned: dict[str, list[str]] = {}
    for column, values in row_filter.items():
        if column not in known:
            fields.setdefault("row_filter", []).append(
                _("“%(column)s” is not a column of the data.", column=column)
            )
            continue
        items = values if isinstance(values, list) else []
        kept = list(dict.fromkeys(clean(v) for v in items if clean(v)))
        if not kept:
            continue
        if len(kept) > MAX_FILTER_VALUES or any(len(v) > VALUE_MAX for v in kept):
            fields.setdefault("row_filter", []).append(
                _(
                    "Give at most %(count)s values of up to %(max)s characters for “%(column)s”.",
                    count=MAX_FILTER_VALUES,
                    max=VALUE_MAX,
                    column=column,
                )
            )
            continue
        cleaned[column] = kept
    return cleaned


def _clean_reveal(dataset, reveal: Any, chosen: list[str], fields: dict) -> list[str]:
    wanted = [c for c in (reveal or []) if isinstance(c, str)]
    if dataset is None:
        return []
    personal = {c.name for c in dataset.columns if c.sensitivity == Sensitivity.PERSONAL}
    wrong = sorted(set(wanted) - (personal & set(chosen)))
    if wrong:
        fields.setdefault("reveal_columns", []).append(
            _(
                "Only personal columns you ask for can be revealed in clear: %(columns)s cannot.",
                columns=", ".join(wrong),
            )
        )
    return [name for name in chosen if name in wanted and name in personal]


def _clean_duration(duration: Any, fields: dict) -> int:
    if not isinstance(duration, int) or isinstance(duration, bool):
        fields.setdefault("duration_days", []).append(_("Give the duration as a number of days."))
        return 0
    if not 1 <= duration <= MAX_DURATION_DAYS:
        fields.setdefault("duration_days", []).append(
            _("Ask for between 1 and %(max)s days.", max=MAX_DURATION_DAYS)
        )
    return duration


def wider_than(current: dict[str, Any], proposed: dict[str, Any]) -> dict[str, list[str]]:
    """Where ``proposed`` grants more than ``current``, per field (empty: not wider)."""
    problems: dict[str, list[str]] = {}
    extra = [c for c in proposed["columns"] if c not in current["columns"]]
    if extra:
        problems["columns"] = [
            _("Not asked for, so they cannot be approved: %(columns)s.", columns=", ".join(extra))
        ]
    for column, values in current["row_filter"].items():
        allowed = proposed["row_filter"].get(column)
        if allowed is None or not set(allowed) <= set(values):
            problems.setdefault("row_filter", []).append(
                _(
                    "Rows of “%(column)s” are limited to %(values)s; an approval can only "
                    "keep or tighten that.",
                    column=column,
                    values=", ".join(values),
                )
            )
    revealed = [c for c in proposed["reveal_columns"] if c not in current["reveal_columns"]]
    if revealed:
        problems["reveal_columns"] = [
            _(
                "Not asked for in clear, so they stay redacted: %(columns)s.",
                columns=", ".join(revealed),
            )
        ]
    if proposed["duration_days"] > current["duration_days"]:
        problems["duration_days"] = [
            _(
                "The request asks for %(days)s days; an approval cannot be longer.",
                days=current["duration_days"],
            )
        ]
    return problems


# Words ----------------------------------------------------------------------------------------


def label(user: User) -> str:
    return f"{user.display_name} ({user.department.name})"


def acting_label(actor: User, head: User | None) -> Any:
    """ "Daniel Yip (DSD), on behalf of Henry Wong" for a deputy; the actor's label else."""
    if head is None or head.id == actor.id:
        return label(actor)
    return _l("%(actor)s, on behalf of %(head)s,", actor=label(actor), head=head.display_name)
