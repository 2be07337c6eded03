"""The requester's side of a request: filing, editing, submitting, withdrawing; comments;
and the owner's answer to a request that named no dataset (linking one).

Each change is one action with a timeline entry and a sentence on the live streams.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.acting import acting_for
from app.accounts.models import Department, User
from app.actions import action
from app.catalog.models import Dataset
from app.common import utcnow
from app.errors import Conflict, Forbidden, Invalid, NotFound
from app.extensions import db
from app.policy import can, require
from app.sharing.access import (
    NOTE_MAX,
    TEXT_MAX,
    TITLE_MAX,
    RequestError,
    acting_label,
    check_residency,
    clean,
    clean_scope,
    for_transition,
    label,
    load_request,
    needs_dpo,
    request_path,
    sla_days,
)
from app.sharing.models import ApproverRole, DataRequest, EntryKind, RequestStatus
from app.sharing.timeline import announce, next_deciders, record
from app.workspaces.access import ensure_visible as ensure_workspace_visible
from app.workspaces.access import load_workspace

UNSET: Any = object()


def _load_dataset(dataset_id: Any, fields: dict) -> Dataset | None:
    if dataset_id is None:
        return None
    dataset = db.session.get(Dataset, dataset_id) if isinstance(dataset_id, int) else None
    if dataset is None:
        fields.setdefault("dataset_id", []).append(_("There is no such dataset in the catalog."))
    return dataset


def _check_text(values: dict[str, str], fields: dict) -> None:
    messages = {
        "title": _("Say in a few words which data you need."),
        "purpose": _("Say what the data will be used for."),
        "legal_basis": _("Name the law or agreement that allows this use."),
    }
    for name, value in values.items():
        limit = TITLE_MAX if name == "title" else TEXT_MAX
        if not value:
            fields.setdefault(name, []).append(messages[name])
        elif len(value) > limit:
            fields.setdefault(name, []).append(_("Keep it within %(max)s characters.", max=limit))


def _owner_department(dataset, owner_department_id: Any, fields: dict) -> Department | None:
    if dataset is not None:
        return dataset.owner_department
    department = (
        db.session.get(Department, owner_department_id)
        if isinstance(owner_department_id, int)
        else None
    )
    if department is None:
        fields.setdefault("owner_department_id", []).append(
            _("Choose a dataset, or the department you ask for data nobody publishes yet.")
        )
    return department


def file_request(
    actor: User,
    workspace_id: int,
    *,
    title: str,
    purpose: str,
    legal_basis: str,
    duration_days: int,
    dataset_id: int | None = None,
    owner_department_id: int | None = None,
    columns: list[str] | None = None,
    row_filter: dict[str, list[str]] | None = None,
    reveal_columns: list[str] | None = None,
    submit: bool = False,
) -> DataRequest:
    """Save a new request as a draft; with ``submit``, submit it right after (its own action).

    A request names a dataset, or no dataset and the department it is addressed to.

    Raises:
        NotFound: the workspace is missing or not visible.
        Forbidden: the actor may not file from this workspace (not a current, non-observer
            member of a department taking part).
        Invalid: missing or bad fields; a dataset that must stay in another jurisdiction
            (code ``cross_border_refused``).
    """
    with action(actor, "data_request.filed") as act:
        workspace = ensure_workspace_visible(actor, load_workspace(workspace_id))
        require(
            actor,
            "data_request.file",
            workspace,
            _(
                "Only current members (not observers) of a department taking part in an "
                "active workspace can file requests from it."
            ),
        )
        fields: dict[str, list[str]] = {}
        texts = {
            "title": clean(title),
            "purpose": clean(purpose),
            "legal_basis": clean(legal_basis),
        }
        _check_text(texts, fields)
        dataset = _load_dataset(dataset_id, fields)
        owner = _owner_department(dataset, owner_department_id, fields)
        refused = dataset is not None and check_residency(dataset, actor.department, fields)
        scope = clean_scope(
            dataset,
            columns=columns or [],
            row_filter=row_filter or {},
            reveal_columns=reveal_columns or [],
            duration_days=duration_days,
            fields=fields,
        )
        if fields:
            code = RequestError.CROSS_BORDER_REFUSED if refused else None
            raise Invalid(_("The request was not saved."), code=code, fields=fields)
        request = DataRequest(
            workspace_id=workspace.id,
            requester_id=actor.id,
            requesting_department=actor.department,
            owner_department=owner,
            dataset_id=dataset.id if dataset is not None else None,
            status=RequestStatus.DRAFT.value,
            created_at=utcnow(),
            **texts,
            **scope,
        )
        db.session.add(request)
        request.dataset = dataset
        request.needs_dpo = needs_dpo(request)
        record(request, EntryKind.FILED, actor, detail={"scope": request.scope()})
        db.session.flush()
        act.detail.update(title=request.title, dataset_id=request.dataset_id, **request.scope())
        announce(
            act,
            request,
            _l(
                "%(actor)s drafted the data request “%(title)s”",
                actor=label(actor),
                title=request.title,
            ),
        )
    if submit:
        # After the filing's own action, so that the stream tells the steps in order.
        return submit_request(actor, request.id)
    return request


def update_request(
    actor: User,
    request_id: int,
    *,
    title: Any = UNSET,
    purpose: Any = UNSET,
    legal_basis: Any = UNSET,
    duration_days: Any = UNSET,
    columns: Any = UNSET,
    row_filter: Any = UNSET,
    reveal_columns: Any = UNSET,
) -> DataRequest:
    """Change a draft, or a request returned for changes; only the fields given change.

    Raises:
        NotFound, Conflict (not editable now), Forbidden (not the requester), Invalid.
    """
    with action(actor, "data_request.edited") as act:
        request = for_transition(actor, request_id, "edit")
        require(actor, "data_request.edit", request, _("Only the requester can edit a request."))
        before = {
            "title": request.title,
            "purpose": request.purpose,
            "legal_basis": request.legal_basis,
            **request.scope(),
        }
        given = {
            key: value
            for key, value in {
                "title": title,
                "purpose": purpose,
                "legal_basis": legal_basis,
            }.items()
            if value is not UNSET
        }
        texts = {key: clean(value) for key, value in given.items()}
        fields: dict[str, list[str]] = {}
        _check_text(texts, fields)
        current = request.scope()
        scope = clean_scope(
            request.dataset,
            columns=current["columns"] if columns is UNSET else columns,
            row_filter=current["row_filter"] if row_filter is UNSET else row_filter,
            reveal_columns=_kept_reveal(current, columns)
            if reveal_columns is UNSET
            else reveal_columns,
            duration_days=current["duration_days"] if duration_days is UNSET else duration_days,
            fields=fields,
        )
        if fields:
            raise Invalid(_("The request was not saved."), fields=fields)
        after = {**before, **texts, **scope}
        changed = sorted(key for key in after if after[key] != before[key])
        if not changed:
            act.nothing_changed()
            return request
        for key in changed:
            setattr(request, key, after[key])
        request.version += 1
        request.needs_dpo = needs_dpo(request)
        changes = {key: {"from": before[key], "to": after[key]} for key in changed}
        record(request, EntryKind.EDITED, actor, detail={"changes": changes})
        act.detail["changes"] = changes
        announce(
            act,
            request,
            _l(
                "%(actor)s edited the data request “%(title)s” (%(changed)s)",
                actor=label(actor),
                title=request.title,
                changed=", ".join(changed),
            ),
            changed=changed,
        )
    return request


def _kept_reveal(current: dict, columns: Any) -> list[str]:
    """The columns still asked for in clear when only the columns change."""
    if columns is UNSET or not isinstance(columns, list):
        return current["reveal_columns"]
    return [name for name in current["reveal_columns"] if name in columns]


def submit_request(actor: User, request_id: int) -> DataRequest:
    """Send a draft (or a changed request) for decision; it is due in ``REQUEST_SLA_DAYS``.

    When the requester heads the requesting department the endorsement is implicit, and
    recorded as its own step.

    Raises:
        NotFound, Conflict (not a draft or returned request), Forbidden (not the
        requester), Invalid (the dataset's residency now refuses the request).
    """
    with action(actor, "data_request.submitted") as act:
        request = for_transition(actor, request_id, "submit")
        require(actor, "data_request.submit", request, _("Only the requester can submit it."))
        if request.dataset is not None:
            fields: dict[str, list[str]] = {}
            check_residency(request.dataset, request.requesting_department, fields)
            if fields:
                raise Invalid(
                    _("The request cannot be submitted."),
                    code=RequestError.CROSS_BORDER_REFUSED,
                    fields=fields,
                )
        now = utcnow()
        request.status = RequestStatus.SUBMITTED.value
        request.submitted_at = now
        request.due_on = now.date() + timedelta(days=sla_days())
        request.needs_dpo = needs_dpo(request)
        _clear_decisions(request)
        record(request, EntryKind.SUBMITTED, actor, detail={"due_on": request.due_on.isoformat()})
        act.detail.update(due_on=request.due_on, needs_dpo=request.needs_dpo)
        announce(
            act,
            request,
            _l(
                "%(actor)s submitted the data request “%(title)s”",
                actor=label(actor),
                title=request.title,
            ),
            due_on=request.due_on.isoformat(),
        )
        implicit = acting_for(actor, request.requesting_department_id) is actor
        if not implicit:
            act.notify(
                next_deciders(request),
                subject=_l("Endorse a data request: %(title)s", title=request.title),
                text=_l(
                    "%(actor)s asks your department's endorsement of “%(title)s”.",
                    actor=label(actor),
                    title=request.title,
                ),
                link=request_path(request.id),
            )
    if implicit:
        # Its own action after the submission's, so that the stream tells the steps in order.
        _endorse_implicitly(actor, request)
    return request


def _endorse_implicitly(head: User, request: DataRequest) -> None:
    """The head filed it: their submission is their endorsement, recorded as such."""
    with action(head, "data_request.endorsed") as act:
        request = for_transition(head, request.id, "endorse")
        request.status = RequestStatus.ENDORSED.value
        request.endorsed_by_id = head.id
        request.endorsed_on_behalf_of_id = None
        request.endorsed_at = utcnow()
        record(
            request,
            EntryKind.ENDORSED,
            head,
            role=ApproverRole.ENDORSER.value,
            detail={"implicit": True},
        )
        act.detail["implicit"] = True
        announce(
            act,
            request,
            _l(
                "%(actor)s endorsed “%(title)s” by filing it as the department's head",
                actor=label(head),
                title=request.title,
            ),
        )
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


def _clear_decisions(request: DataRequest) -> None:
    """A (re)submitted request starts its decisions afresh."""
    for name in ("endorsed", "owner_approved"):
        setattr(request, f"{name}_by_id", None)
        setattr(request, f"{name}_on_behalf_of_id", None)
        setattr(request, f"{name}_at", None)
    request.dpo_approved_by_id = None
    request.dpo_approved_at = None


def withdraw_request(actor: User, request_id: int, *, reason: str | None = None) -> DataRequest:
    """The requester takes the request back before a final decision.

    Raises:
        NotFound, Conflict (already decided), Forbidden (not the requester).
    """
    with action(actor, "data_request.withdrawn") as act:
        request = for_transition(actor, request_id, "withdraw")
        require(actor, "data_request.withdraw", request, _("Only the requester can withdraw it."))
        note = clean(reason)[:NOTE_MAX]
        waiting = next_deciders(request)
        had_dpo = request.needs_dpo
        request.status = RequestStatus.WITHDRAWN.value
        request.decided_at = utcnow()
        record(request, EntryKind.WITHDRAWN, actor, note=note)
        act.detail["reason"] = note or None
        announce(
            act,
            request,
            _l(
                "%(actor)s withdrew the data request “%(title)s”",
                actor=label(actor),
                title=request.title,
            ),
            had_dpo=had_dpo,
        )
        act.notify(
            waiting,
            subject=_l("Request withdrawn: %(title)s", title=request.title),
            text=_l(
                "%(actor)s withdrew “%(title)s”; nothing is left to decide.",
                actor=label(actor),
                title=request.title,
            ),
            link=request_path(request.id),
        )
    return request


def comment_on_request(actor: User, request_id: int, *, text: str) -> DataRequest:
    """Add a comment to the request's timeline; the requester and its deciders hear of it.

    Raises:
        NotFound, Forbidden (oversight and observers read only), Invalid (empty or long).
    """
    with action(actor, "data_request.commented") as act:
        request = load_request(request_id, lock=True)
        if request is None or not can(actor, "data_request.view", request):
            raise NotFound(_("Data request not found."))
        require(
            actor,
            "data_request.comment",
            request,
            _("Only the people working on this request can comment on it."),
        )
        body = clean(text)
        if not body or len(body) > NOTE_MAX:
            raise Invalid(
                _("The comment was not added."),
                fields={"text": [_("Write a comment of up to %(max)s characters.", max=NOTE_MAX)]},
            )
        record(request, EntryKind.COMMENTED, actor, note=body)
        act.detail["length"] = len(body)
        announce(
            act,
            request,
            _l("%(actor)s commented on “%(title)s”", actor=label(actor), title=request.title),
            comment=body,
        )
        people = [request.requester, *next_deciders(request)]
        act.notify(
            [p for p in people if p.id != actor.id],
            subject=_l("New comment on %(title)s", title=request.title),
            text=f"{label(actor)}: {body[:300]}",
            link=request_path(request.id),
        )
    return request


def link_dataset(
    actor: User, request_id: int, dataset_id: int, *, note: str | None = None
) -> DataRequest:
    """The owning department answers a request for unpublished data with a catalog dataset.

    The request goes back to its requester, who chooses the dataset's columns and rows
    and submits it again; from there it proceeds like any other request.

    Raises:
        NotFound, Conflict (a dataset is already linked; decided), Forbidden (not the
        owner's head or deputy), Invalid (not the owner's dataset; residency refuses it).
    """
    with action(actor, "data_request.dataset_linked") as act:
        request = for_transition(actor, request_id, "link_dataset")
        if request.dataset_id is not None:
            raise Conflict(
                _("This request already names a dataset."),
                code=RequestError.DATASET_ALREADY_LINKED,
            )
        head = acting_for(actor, request.owner_department_id)
        if head is None or actor.id == request.requester_id:
            raise Forbidden(
                _("Only the head (or deputy) of the department asked can link a dataset to it.")
            )
        fields: dict[str, list[str]] = {}
        dataset = _load_dataset(dataset_id, fields)
        if dataset_id is None:
            fields["dataset_id"] = [_("Choose the dataset that answers this request.")]
        if dataset is not None and dataset.owner_department_id != request.owner_department_id:
            fields.setdefault("dataset_id", []).append(
                _("Link a dataset of %(department)s.", department=request.owner_department.name)
            )
        refused = dataset is not None and check_residency(
            dataset, request.requesting_department, fields
        )
        if fields:
            code = RequestError.CROSS_BORDER_REFUSED if refused else None
            raise Invalid(_("The dataset was not linked."), code=code, fields=fields)
        had_dpo = request.needs_dpo
        request.dataset_id = dataset.id
        request.dataset = dataset
        request.status = RequestStatus.CHANGES_REQUESTED.value
        request.columns, request.row_filter, request.reveal_columns = [], {}, []
        request.due_on = None
        request.version += 1
        _clear_decisions(request)
        request.needs_dpo = needs_dpo(request)
        text = clean(note)[:NOTE_MAX]
        record(
            request,
            EntryKind.DATASET_LINKED,
            actor,
            role=ApproverRole.OWNER.value,
            head=head,
            note=text,
            detail={"dataset_id": dataset.id, "dataset": dataset.title},
        )
        act.detail.update(dataset_id=dataset.id, on_behalf_of=_behalf(actor, head))
        announce(
            act,
            request,
            _l(
                "%(actor)s linked the dataset “%(dataset)s” to the request “%(title)s”",
                actor=acting_label(actor, head),
                dataset=dataset.title,
                title=request.title,
            ),
            had_dpo=had_dpo,
        )
        act.notify(
            [request.requester],
            subject=_l("Choose columns: %(title)s", title=request.title),
            text=_l(
                "%(department)s linked “%(dataset)s” to your request. Choose its columns and "
                "rows, then submit it again.",
                department=request.owner_department.name,
                dataset=dataset.title,
            ),
            link=request_path(request.id),
        )
    return request


def _behalf(actor: User, head: User | None) -> int | None:
    return head.id if head is not None and head.id != actor.id else None
