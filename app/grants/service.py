"""Grants: the operations that views, the API and the command line call.

Creating the grant an approved data request leads to lives here:
:func:`create_grant_for_request` runs as a nested action inside the approval, so the
request's approval and its grant are one transaction with two audit entries. Reading
through a grant is :mod:`~app.grants.reading` (the only way data leaves the platform),
revoking and the expiry sweep :mod:`~app.grants.revoking`, lists :mod:`~app.grants.browse`
and asking for an extension :mod:`~app.grants.extending`.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.accounts.models import User
from app.actions import action
from app.catalog.models import Sensitivity
from app.common import utcnow
from app.extensions import db
from app.grants.access import REASON_MAX, GrantError, get_grant, grant_stream
from app.grants.browse import (
    STATES,
    GrantView,
    access_events,
    grant_events,
    grant_view,
    list_grants,
)
from app.grants.extending import extend_grant
from app.grants.models import Grant, Masking
from app.grants.reading import (
    PREVIEW_ROWS,
    Extract,
    check_format,
    check_limit,
    formats,
    read_through_grant,
)
from app.grants.revoking import expire_grants, revoke_grant

__all__ = [
    "PREVIEW_ROWS",
    "REASON_MAX",
    "STATES",
    "Extract",
    "GrantError",
    "GrantView",
    "access_events",
    "check_format",
    "check_limit",
    "create_grant_for_request",
    "default_masking",
    "expire_grants",
    "extend_grant",
    "formats",
    "grant_events",
    "get_grant",
    "grant_stream",
    "grant_view",
    "list_grants",
    "read_through_grant",
    "revoke_grant",
]


def default_masking(columns: list[Any], granted: list[str], reveal: list[str]) -> dict[str, str]:
    """Masking per granted column from its sensitivity.

    Personal identifiers become pseudonyms; other personal columns are redacted unless
    the approval names them in ``reveal``; the rest is shown as it is.
    """
    sensitivity = {column.name: column.sensitivity for column in columns}
    masking = {}
    for name in granted:
        kind = sensitivity.get(name, Sensitivity.NONE.value)
        if kind == Sensitivity.PERSONAL_IDENTIFIER:
            masking[name] = Masking.PSEUDONYMISE.value
        elif kind == Sensitivity.PERSONAL and name not in reveal:
            masking[name] = Masking.REDACT.value
        else:
            masking[name] = Masking.NONE.value
    return masking


def create_grant_for_request(actor: User, data_request: Any) -> Grant:
    """Record the grant of an approved request: its final scope, valid from now.

    ``data_request`` is the approved request (with its dataset); the grant goes to its
    workspace's members for ``duration_days`` days.
    """
    with action(actor, "grant.created", workspace_id=data_request.workspace_id) as act:
        now = utcnow()
        dataset = data_request.dataset
        grant = Grant(
            request_id=data_request.id,
            dataset_id=dataset.id,
            grantee_workspace_id=data_request.workspace_id,
            columns=list(data_request.columns),
            row_filter={k: list(v) for k, v in data_request.row_filter.items()},
            masking=default_masking(
                dataset.columns, list(data_request.columns), list(data_request.reveal_columns)
            ),
            purpose=data_request.purpose,
            legal_basis=data_request.legal_basis,
            valid_from=now,
            expires_at=now + timedelta(days=data_request.duration_days),
            created_by_id=actor.id,
            created_at=now,
        )
        db.session.add(grant)
        db.session.flush()
        act.target("grant", grant)
        act.department_id = dataset.owner_department_id
        act.detail.update(grant.as_detail())
    return grant
