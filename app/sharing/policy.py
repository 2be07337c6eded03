"""Who may see a data request and who decides it now (registered with ``app.policy``).

A request is seen by its requester, the heads and deputies of the requesting and of the
owning department, the dataset's steward, data protection officers when the request
needs one, the current members of its workspace, and auditors (its metadata).

Who decides depends on the state: a ``submitted`` request waits for the requesting
department's head (or deputy) to endorse it; an ``endorsed`` one for the owning
department's head (or deputy) and, when personal data or another jurisdiction is
involved, for a dpo. Nobody decides on a request they filed, and the two approvals need
two people. :func:`decision_capacity` answers "in which capacity may this person decide
now", and the rules below and the queue's SQL (:func:`waiting_clause`, kept beside it)
follow from it.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, false, or_, select, true

from app.accounts.acting import acting_for
from app.accounts.models import User
from app.catalog.models import Dataset
from app.common import utcnow
from app.policy import has_role, rule
from app.sharing.models import ApproverRole, DataRequest, RequestStatus
from app.workspaces.models import Membership, WorkspaceRole
from app.workspaces.policy import current_membership


@dataclass(frozen=True)
class Capacity:
    """Deciding as ``role``; ``head`` is whom a deputy acts for (the actor themselves else)."""

    role: ApproverRole
    head: User | None


def may_file_from(user, workspace) -> bool:
    """A current member (not an observer) of an active workspace their department joined."""
    if workspace is None or not workspace.is_writable():
        return False
    membership = current_membership(user, workspace)
    if membership is None or membership.role == WorkspaceRole.OBSERVER:
        return False
    participation = workspace.participation_for(user.department_id)
    return participation is not None and participation.is_accepted


def _owner_pending(request) -> bool:
    return request.status == RequestStatus.ENDORSED and not request.owner_approval_in


def _dpo_pending(request) -> bool:
    return (
        request.status == RequestStatus.ENDORSED
        and request.needs_dpo
        and (not request.dpo_approval_in)
    )


def decision_capacity(user, request) -> Capacity | None:
    """The capacity in which ``user`` may decide ``request`` now, or ``None``.

    Never for the requester (separation of duties); the owner's approver and the dpo
    are two different people.
    """
    if request is None or user.id == request.requester_id or request.is_final:
        return None
    if request.status == RequestStatus.SUBMITTED:
        head = acting_for(user, request.requesting_department_id)
        return Capacity(ApproverRole.ENDORSER, head) if head is not None else None
    if _owner_pending(request):
        head = acting_for(user, request.owner_department_id)
        if head is not None and user.id != request.dpo_approved_by_id:
            return Capacity(ApproverRole.OWNER, head)
    if _dpo_pending(request) and has_role(user, "dpo") and user.id != request.owner_approved_by_id:
        return Capacity(ApproverRole.DPO, user)
    return None


def decides_for_owner(user, request) -> bool:
    return acting_for(user, request.owner_department_id) is not None


def is_involved(user, request, *, observers: bool = True) -> bool:
    """Everyone who may see the request's contents (auditors see its metadata only).

    With ``observers=False``, workspace observers (who only read) do not count.
    """
    if user.id == request.requester_id:
        return True
    if acting_for(user, request.requesting_department_id) is not None:
        return True
    if decides_for_owner(user, request):
        return True
    if request.dataset is not None and request.dataset.steward_id == user.id:
        return True
    if request.needs_dpo and has_role(user, "dpo"):
        return True
    membership = current_membership(user, request.workspace)
    if membership is None:
        return False
    return observers or membership.role != WorkspaceRole.OBSERVER


def _acting_department(user) -> int | None:
    """The department a head (or a current deputy) answers for, if any."""
    return user.department_id if acting_for(user, user.department_id) is not None else None


def visible_clause(user):
    """SQL condition on ``DataRequest`` true exactly where ``data_request.view`` is."""
    if has_role(user, "auditor"):
        return DataRequest.id.is_not(None)
    member_of = select(Membership.workspace_id).where(
        Membership.user_id == user.id,
        or_(Membership.expires_at.is_(None), Membership.expires_at > utcnow()),
    )
    stewarded = select(Dataset.id).where(Dataset.steward_id == user.id)
    conditions = [
        DataRequest.requester_id == user.id,
        DataRequest.workspace_id.in_(member_of),
        DataRequest.dataset_id.in_(stewarded),
    ]
    department = _acting_department(user)
    if department is not None:
        conditions.append(DataRequest.requesting_department_id == department)
        conditions.append(DataRequest.owner_department_id == department)
    if has_role(user, "dpo"):
        conditions.append(DataRequest.needs_dpo.is_(True))
    return or_(*conditions)


def waiting_clause(user):
    """SQL twin of :func:`decision_capacity`: the requests waiting for ``user`` to decide."""
    department = _acting_department(user)
    return waiting_for(
        user.id,
        department_id=department,
        acting=department is not None,
        dpo=has_role(user, "dpo"),
    )


def waiting_for(user_id: int, *, department_id, acting, dpo):
    """The requests waiting for user ``user_id``'s decision, as SQL on ``DataRequest``.

    ``acting`` (whether they answer for ``department_id`` as its head or deputy) and
    ``dpo`` are known values, or SQL conditions when the question is asked inside the
    statement that loads the user (the page header's counts).
    """
    conditions = []
    if acting is not False:
        conditions.append(
            and_(
                _as_clause(acting),
                or_(
                    and_(
                        DataRequest.status == RequestStatus.SUBMITTED.value,
                        DataRequest.requesting_department_id == department_id,
                    ),
                    and_(
                        DataRequest.status == RequestStatus.ENDORSED.value,
                        DataRequest.owner_department_id == department_id,
                        DataRequest.owner_approved_at.is_(None),
                        or_(
                            DataRequest.dpo_approved_by_id.is_(None),
                            DataRequest.dpo_approved_by_id != user_id,
                        ),
                    ),
                ),
            )
        )
    if dpo is not False:
        conditions.append(
            and_(
                _as_clause(dpo),
                DataRequest.status == RequestStatus.ENDORSED.value,
                DataRequest.needs_dpo.is_(True),
                DataRequest.dpo_approved_at.is_(None),
                or_(
                    DataRequest.owner_approved_by_id.is_(None),
                    DataRequest.owner_approved_by_id != user_id,
                ),
            )
        )
    if not conditions:
        return false()
    return and_(or_(*conditions), DataRequest.requester_id != user_id)


def _as_clause(condition):
    return true() if condition is True else condition


# Rules ------------------------------------------------------------------------------------


@rule("data_request.file")
def _file(user, workspace) -> bool:
    return has_role(user, "officer", "head") and may_file_from(user, workspace)


@rule("data_request.view")
def _view(user, request) -> bool:
    if request is None:
        return False
    return has_role(user, "auditor") or is_involved(user, request)


@rule("data_request.read_details")
def _read_details(user, request) -> bool:
    """Comments and row-filter values: the people involved, not oversight."""
    return request is not None and is_involved(user, request)


@rule("data_request.edit", "data_request.submit")
def _edit(user, request) -> bool:
    return request is not None and user.id == request.requester_id and request.is_editable


@rule("data_request.withdraw")
def _withdraw(user, request) -> bool:
    return request is not None and user.id == request.requester_id and not request.is_final


@rule("data_request.endorse")
def _endorse(user, request) -> bool:
    capacity = decision_capacity(user, request)
    return capacity is not None and capacity.role == ApproverRole.ENDORSER


@rule("data_request.approve")
def _approve(user, request) -> bool:
    capacity = decision_capacity(user, request)
    return (
        capacity is not None
        and capacity.role != ApproverRole.ENDORSER
        and request.dataset_id is not None
    )


@rule("data_request.reject", "data_request.request_changes")
def _decide(user, request) -> bool:
    return decision_capacity(user, request) is not None


@rule("data_request.link_dataset")
def _link(user, request) -> bool:
    return (
        request is not None
        and request.dataset_id is None
        and request.status in (RequestStatus.SUBMITTED, RequestStatus.ENDORSED)
        and user.id != request.requester_id
        and decides_for_owner(user, request)
    )


@rule("data_request.comment")
def _comment(user, request) -> bool:
    return request is not None and is_involved(user, request, observers=False)


@rule("data_request.decide")
def _decider(user, _obj) -> bool:
    """Heads, their current deputies and dpos have a "waiting for my decision" queue."""
    return has_role(user, "dpo") or _acting_department(user) is not None


@rule("data_request.list")
def _list(user, _obj) -> bool:
    """Everyone signed in has lists of requests (each shows only what they may see)."""
    return True
