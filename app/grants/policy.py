"""Who may see a grant (registered with ``app.policy`` at start-up).

The grantees (current members of the grantee workspace, or only the named users when
the grant names any), the owning department's head and deputies and the dataset's
steward; auditors see its metadata.
"""

from __future__ import annotations

from app.accounts.acting import acting_for
from app.policy import has_role, rule
from app.workspaces.policy import current_membership


def is_grantee(user, grant) -> bool:
    if grant.grantee_users:
        return any(person.id == user.id for person in grant.grantee_users)
    return current_membership(user, grant.grantee_workspace) is not None


def answers_for_dataset(user, grant) -> bool:
    """The owning department's head or deputy, or the dataset's steward."""
    dataset = grant.dataset
    return (
        user.id == dataset.steward_id or acting_for(user, dataset.owner_department_id) is not None
    )


@rule("grant.view")
def _view(user, grant) -> bool:
    if grant is None:
        return False
    return has_role(user, "auditor") or is_grantee(user, grant) or answers_for_dataset(user, grant)
