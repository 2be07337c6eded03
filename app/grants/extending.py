"""Asking to extend a grant: a new data request, prefilled from it, in the same workflow.

The grant itself never changes; the new request goes through endorsement and approval
like any other and, once approved, creates a grant of its own.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _

from app.accounts.models import User
from app.grants.access import get_grant
from app.policy import require


def extend_grant(actor: User, grant_id: int, *, submit: bool = False) -> Any:
    """File a draft request (or submit it) with the grant's scope, purpose and duration.

    Raises:
        NotFound: the grant is not visible to the actor.
        Forbidden: the actor does not read through the grant.
        Whatever filing a request raises (for instance the workspace became read-only).
    """
    # Imported here: the sharing domain imports this domain's service to create grants.
    from app.sharing.filing import file_request

    grant = get_grant(actor, grant_id)
    require(actor, "grant.extend", grant, _("Only the grant's grantees can ask to extend it."))
    duration = max(1, (grant.expires_at - grant.valid_from).days)
    return file_request(
        actor,
        grant.grantee_workspace_id,
        title=f"Extension of grant {grant.id}: {grant.dataset.title}"[:200],
        purpose=grant.purpose,
        legal_basis=grant.legal_basis,
        duration_days=duration,
        dataset_id=grant.dataset_id,
        columns=list(grant.columns),
        row_filter={name: list(values) for name, values in grant.row_filter.items()},
        reveal_columns=[
            name
            for name, rule in grant.masking.items()
            if rule == "none" and name in _personal(grant)
        ],
        submit=submit,
    )


def _personal(grant) -> set[str]:
    return {column.name for column in grant.dataset.columns if column.sensitivity == "personal"}
