"""Who may see, read through and revoke a grant (registered with ``app.policy`` at start-up).

The grantees (current non-observer members of the grantee workspace, or only the named
users when the grant names any) read through it; the owning department's head and
deputies and the dataset's steward see it with its usage and revoke it; auditors see its
terms and usage, never its contents. The SQL clause of the lists sits beside the rule.
"""

from __future__ import annotations

from sqlalchemy import exists, false, or_, select, true

from app.accounts.acting import acting_for
from app.policy import has_role, rule
from app.workspaces.models import WorkspaceRole
from app.workspaces.policy import current_membership


def is_grantee(user, grant) -> bool:
    """A named user of the grant, or (when it names none) a current non-observer member."""
    if grant.grantee_users:
        return any(person.id == user.id for person in grant.grantee_users)
    membership = current_membership(user, grant.grantee_workspace)
    return membership is not None and membership.role != WorkspaceRole.OBSERVER


def answers_for_dataset(user, grant) -> bool:
    """The owning department's head or deputy, or the dataset's steward."""
    dataset = grant.dataset
    return (
        user.id == dataset.steward_id or acting_for(user, dataset.owner_department_id) is not None
    )


def sees_every_grant(user) -> bool:
    return has_role(user, "auditor")


@rule("grant.view")
def _view(user, grant) -> bool:
    if grant is None:
        return False
    return (
        sees_every_grant(user)
        or is_grantee(user, grant)
        or answers_for_dataset(user, grant)
        or _is_member(user, grant)
    )


def _is_member(user, grant) -> bool:
    """Observers of the grantee workspace see the grant's terms, not its data."""
    return current_membership(user, grant.grantee_workspace) is not None


@rule("grant.revoke")
def _revoke(user, grant) -> bool:
    return grant is not None and answers_for_dataset(user, grant)


@rule("grant.extend")
def _extend(user, grant) -> bool:
    return grant is not None and is_grantee(user, grant)


def visible_clause(user, now):
    """The SQL twin of ``grant.view`` for lists: the grants ``user`` may see."""
    from app.catalog.models import Dataset
    from app.grants.models import Grant, grant_users
    from app.workspaces.models import Membership

    if sees_every_grant(user):
        return true()
    named = exists().where(grant_users.c.grant_id == Grant.id, grant_users.c.user_id == user.id)
    member = exists().where(
        Membership.workspace_id == Grant.grantee_workspace_id,
        Membership.user_id == user.id,
        or_(Membership.expires_at.is_(None), Membership.expires_at > now),
    )
    heads_department = (
        Dataset.owner_department_id == user.department_id
        if user.department_id is not None and acting_for(user, user.department_id) is not None
        else false()
    )
    owner = (
        select(Dataset.id)
        .where(Dataset.id == Grant.dataset_id, or_(Dataset.steward_id == user.id, heads_department))
        .exists()
    )
    return or_(named, member, owner)
