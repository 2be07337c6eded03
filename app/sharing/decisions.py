"""The deciders' side of a request: endorsement, approval (possibly narrower), rejection,
and asking for changes.

Each decision locks the request row first, so two approvers deciding at the same moment
are serialised: the second sees the first's approval and either completes the request or
is told it is already decided. The final approval creates the grant in the same
transaction (a nested action of the grants domain).
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.actions import action
from app.common import utcnow
from app.errors import Conflict, Forbidden, Invalid
from app.grants.models import Grant
from app.grants.service import create_grant_for_request
from app.sharing.access import (
    NOTE_MAX,
    RequestError,
    acting_label,
    clean,
    clean_scope,
    ensure_not_decided_by,
    for_transition,
    needs_dpo,
    refuse_own,
    request_path,
    wider_than,
)
from app.sharing.models import ApproverRole, DataRequest, EntryKind, RequestStatus
from app.sharing.policy import Capacity, decision_capacity
from app.sharing.timeline import announce, dpos, next_deciders, record

UNSET: Any = object()
_NOT_YOURS = {
    "endorse": _l("Only the head of the requesting department, or the head's deputy, endorses it."),
    "decide": _l(
        "Only the head (or deputy) of the department whose turn it is, or a data "
        "protection officer when one is needed, can decide on it now."
    ),
}


def _capacity(actor: User, request: DataRequest, verb: str) -> Capacity:
    """The capacity the actor decides in, after the checks every decision shares.

    Raises:
        Forbidden: the actor filed the request (``own_request``) or may not decide now.
        Conflict: the actor's side already approved it.
    """
    refuse_own(actor, request, verb)
    capacity = decision_capacity(actor, request)
    if capacity is None:
        if request.status == RequestStatus.ENDORSED:
            ensure_not_decided_by(actor, request)
        key = "endorse" if request.status == RequestStatus.SUBMITTED else "decide"
        raise Forbidden(str(_NOT_YOURS[key]))
    return capacity


def _behalf(actor: User, capacity: Capacity) -> int | None:
    head = capacity.head
    return head.id if head is not None and head.id != actor.id else None


def endorse_request(actor: User, request_id: int, *, note: str | None = None) -> DataRequest:
    """The requesting department's head (or deputy) backs the request; the owner decides next.

    Raises:
        NotFound, Conflict (not waiting for endorsement, e.g. endorsed twice),
        Forbidden (own request; not the requesting department's head or deputy).
    """
    with action(actor, "data_request.endorsed") as act:
        request = for_transition(actor, request_id, "endorse")
        capacity = _capacity(actor, request, "endorse")
        request.status = RequestStatus.ENDORSED.value
        request.endorsed_by_id = actor.id
        request.endorsed_on_behalf_of_id = _behalf(actor, capacity)
        request.endorsed_at = utcnow()
        text = clean(note)[:NOTE_MAX]
        record(
            request, EntryKind.ENDORSED, actor, role=capacity.role, head=capacity.head, note=text
        )
        act.detail.update(on_behalf_of=_behalf(actor, capacity), note=text or None)
        who = acting_label(actor, capacity.head)
        announce(act, request, _l("%(actor)s endorsed “%(title)s”", actor=who, title=request.title))
        act.notify(
            next_deciders(request),
            subject=_l("Decide on a data request: %(title)s", title=request.title),
            text=_l(
                "%(department)s asks for “%(title)s”.",
                department=request.requesting_department.name,
                title=request.title,
            ),
            link=request_path(request.id),
        )
        act.notify(
            [request.requester],
            subject=_l("Endorsed: %(title)s", title=request.title),
            text=_l("%(actor)s endorsed your request; the owner decides next.", actor=who),
            link=request_path(request.id),
        )
    return request


def approve_request(
    actor: User,
    request_id: int,
    *,
    note: str | None = None,
    columns: Any = UNSET,
    row_filter: Any = UNSET,
    reveal_columns: Any = UNSET,
    duration_days: Any = UNSET,
) -> DataRequest:
    """Approve as the owning department or as dpo, possibly for a narrower scope.

    Scope fields not given stay as asked. A narrower scope replaces the request's (the
    timeline keeps the one asked for); a wider one is refused. When every required
    approval is in, the request is approved and its grant is created.

    Raises:
        NotFound; Conflict (not endorsed yet, already decided, this side already approved,
        no dataset linked); Forbidden (own request, not whose turn it is);
        Invalid (bad scope; wider than asked, code ``wider_scope``).
    """
    with action(actor, "data_request.approved") as act:
        request = for_transition(actor, request_id, "approve")
        capacity = _capacity(actor, request, "approve")
        if request.dataset is None:
            raise Conflict(
                _("Link a dataset to this request before approving it."),
                code=RequestError.DATASET_MISSING,
            )
        had_dpo = request.needs_dpo
        narrowed = _narrow(request, columns, row_filter, reveal_columns, duration_days)
        if had_dpo and not request.needs_dpo:
            # Narrowed out of personal data: dpos no longer see it, nor follow it live.
            act.recheck_access(*(person.id for person in dpos()))
        now = utcnow()
        if capacity.role == ApproverRole.OWNER:
            request.owner_approved_by_id = actor.id
            request.owner_approved_on_behalf_of_id = _behalf(actor, capacity)
            request.owner_approved_at = now
        else:
            request.dpo_approved_by_id = actor.id
            request.dpo_approved_at = now
        text = clean(note)[:NOTE_MAX]
        record(
            request,
            EntryKind.APPROVED,
            actor,
            role=capacity.role,
            head=capacity.head if capacity.role == ApproverRole.OWNER else None,
            note=text,
            detail={"narrowed": narrowed} if narrowed else {},
        )
        complete = request.owner_approval_in and (not request.needs_dpo or request.dpo_approval_in)
        act.detail.update(
            role=capacity.role.value,
            on_behalf_of=_behalf(actor, capacity),
            narrowed=narrowed or None,
            complete=complete,
        )
        who = acting_label(actor, capacity.head if capacity.role == ApproverRole.OWNER else None)
        params = {"actor": who, "title": request.title}
        as_dpo = capacity.role == ApproverRole.DPO
        if complete:
            text = (
                _l("%(actor)s approved “%(title)s” as data protection officer", **params)
                if as_dpo
                else _l("%(actor)s approved “%(title)s”", **params)
            )
            _complete(act, actor, request, text, had_dpo)
        else:
            announce(
                act,
                request,
                _l(
                    "%(actor)s approved “%(title)s” as data protection officer; one more "
                    "approval is needed",
                    **params,
                )
                if as_dpo
                else _l("%(actor)s approved “%(title)s”; one more approval is needed", **params),
                had_dpo=had_dpo,
                narrowed=bool(narrowed),
            )
            act.notify(
                [request.requester],
                subject=_l("One approval in: %(title)s", title=request.title),
                text=_l(
                    "%(actor)s approved your request as data protection officer; one more "
                    "approval is needed.",
                    actor=who,
                )
                if as_dpo
                else _l("%(actor)s approved your request; one more approval is needed.", actor=who),
                link=request_path(request.id),
            )
    return request


def _narrow(request, columns, row_filter, reveal_columns, duration_days) -> dict | None:
    """Apply an approval's narrower scope; ``None`` when it keeps the scope as asked.

    Raises:
        Invalid: bad values, or a scope wider than the one asked for.
    """
    current = request.scope()
    given = {
        "columns": columns,
        "row_filter": row_filter,
        "reveal_columns": reveal_columns,
        "duration_days": duration_days,
    }
    merged = {key: current[key] if value is UNSET else value for key, value in given.items()}
    if reveal_columns is UNSET and isinstance(merged["columns"], list):
        # Unticking a personal column also stops asking for it in clear.
        merged["reveal_columns"] = [c for c in current["reveal_columns"] if c in merged["columns"]]
    fields: dict[str, list[str]] = {}
    proposed = clean_scope(request.dataset, **merged, fields=fields)
    if fields:
        raise Invalid(_("The approval was not given."), fields=fields)
    wider = wider_than(current, proposed)
    if wider:
        raise Invalid(
            _("An approval may narrow the scope asked for, never widen it."),
            code=RequestError.WIDER_SCOPE,
            fields=wider,
        )
    if proposed == current:
        return None
    for key, value in proposed.items():
        setattr(request, key, value)
    request.needs_dpo = needs_dpo(request) or request.dpo_approval_in
    return {"from": current, "to": proposed}


def _complete(act, actor: User, request: DataRequest, text: Any, had_dpo: bool) -> Grant:
    """Every required approval is in: approve the request and create its grant."""
    request.status = RequestStatus.APPROVED.value
    request.decided_at = utcnow()
    announce(act, request, text, had_dpo=had_dpo, final=True)
    grant = create_grant_for_request(actor, request)
    act.detail["grant_id"] = grant.id
    act.notify(
        [request.requester],
        subject=_l("Approved: %(title)s", title=request.title),
        text=_l(
            "Your request “%(title)s” is approved; its grant runs until %(end)s.",
            title=request.title,
            end=f"{grant.expires_at:%d %b %Y}",
        ),
        link=request_path(request.id),
    )
    return grant


def reject_request(actor: User, request_id: int, *, reason: str) -> DataRequest:
    """Refuse the request for good, with a reason the requester reads.

    Raises:
        NotFound, Conflict (already decided; not waiting for this decision),
        Forbidden (own request; not whose turn it is), Invalid (no reason).
    """
    with action(actor, "data_request.rejected") as act:
        request = for_transition(actor, request_id, "reject")
        capacity = _capacity(actor, request, "reject")
        text = _required_note(reason, "reason", _l("Say why the request is rejected."))
        had_dpo = request.needs_dpo
        request.status = RequestStatus.REJECTED.value
        request.decided_at = utcnow()
        record(
            request, EntryKind.REJECTED, actor, role=capacity.role, head=capacity.head, note=text
        )
        act.detail.update(
            role=capacity.role.value, on_behalf_of=_behalf(actor, capacity), reason=text
        )
        who = acting_label(actor, capacity.head)
        announce(
            act,
            request,
            _l("%(actor)s rejected “%(title)s”", actor=who, title=request.title),
            had_dpo=had_dpo,
        )
        act.notify(
            [request.requester],
            subject=_l("Rejected: %(title)s", title=request.title),
            text=_l("%(actor)s rejected your request: %(reason)s", actor=who, reason=text[:300]),
            link=request_path(request.id),
        )
    return request


def request_changes(actor: User, request_id: int, *, note: str) -> DataRequest:
    """Send the request back to its requester to change and submit again.

    Raises:
        NotFound, Conflict, Forbidden (as for rejecting), Invalid (no note).
    """
    with action(actor, "data_request.changes_requested") as act:
        request = for_transition(actor, request_id, "request_changes")
        capacity = _capacity(actor, request, "request changes to")
        text = _required_note(note, "note", _l("Say what should change."))
        had_dpo = request.needs_dpo
        request.status = RequestStatus.CHANGES_REQUESTED.value
        request.due_on = None
        record(
            request,
            EntryKind.CHANGES_REQUESTED,
            actor,
            role=capacity.role,
            head=capacity.head,
            note=text,
        )
        act.detail.update(
            role=capacity.role.value, on_behalf_of=_behalf(actor, capacity), note=text
        )
        who = acting_label(actor, capacity.head)
        announce(
            act,
            request,
            _l("%(actor)s asked for changes to “%(title)s”", actor=who, title=request.title),
            had_dpo=had_dpo,
        )
        act.notify(
            [request.requester],
            subject=_l("Changes asked: %(title)s", title=request.title),
            text=_l(
                "%(actor)s asks you to change your request: %(note)s", actor=who, note=text[:300]
            ),
            link=request_path(request.id),
        )
    return request


def _required_note(value: Any, field: str, message: Any) -> str:
    text = clean(value)
    if not text or len(text) > NOTE_MAX:
        raise Invalid(
            _("That was not done."),
            fields={
                field: [_("%(message)s (up to %(max)s characters)", message=message, max=NOTE_MAX)]
            },
        )
    return text
