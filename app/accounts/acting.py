"""Who answers for a department: its heads, and the deputies they named for a period.

Imports only the models and the database; policy rules of every domain ask it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.accounts.models import Delegation, Role, User, UserRole
from app.common import utcnow
from app.extensions import db


def _current(on: date):
    return (
        Delegation.revoked_at.is_(None),
        Delegation.starts_on <= on,
        Delegation.ends_on >= on,
    )


def acting_for(user: User, department_id: int, on: date | None = None) -> User | None:
    """The head ``user`` acts as for ``department_id``: themselves, or the head who named them.

    Returns ``None`` when the user is neither a head of that department nor a current
    deputy of one. Used by approvals that a head (or their deputy) must give.
    """
    if user.department_id != department_id or not user.active:
        return None
    if user.has_role(Role.HEAD):
        return user
    on = on or utcnow().date()
    delegation = db.session.scalar(
        select(Delegation).where(
            Delegation.deputy_id == user.id,
            Delegation.department_id == department_id,
            *_current(on),
        )
    )
    if delegation is None or not delegation.head.active or not delegation.head.has_role(Role.HEAD):
        return None
    return delegation.head


def acting_delegations(actor: User, on: date | None = None) -> list[Delegation]:
    """The delegations under which ``actor`` is a deputy today (or on ``on``)."""
    on = on or utcnow().date()
    return list(
        db.session.scalars(
            select(Delegation)
            .where(Delegation.deputy_id == actor.id, *_current(on))
            .order_by(Delegation.starts_on)
        )
    )


def deciders(department_id: int) -> list[User]:
    """Everyone who answers for a department today: its active heads and their deputies."""
    today = utcnow().date()
    heads = db.session.scalars(
        select(User).where(
            User.department_id == department_id,
            User.active.is_(True),
            User.role_links.any(UserRole.role == Role.HEAD.value),
        )
    )
    deputies = db.session.scalars(
        select(User)
        .join(Delegation, Delegation.deputy_id == User.id)
        .where(Delegation.department_id == department_id, *_current(today))
    ).unique()
    people = {user.id: user for user in heads}
    for deputy in deputies:
        if deputy.id not in people and acting_for(deputy, department_id) is not None:
            people[deputy.id] = deputy
    return list(people.values())
