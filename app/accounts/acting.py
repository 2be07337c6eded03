"""Who answers for a department: its heads, and the deputies they named for a period.

Imports only the models and the database; policy rules of every domain ask it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.orm import aliased, joinedload, lazyload

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
    # Only a delegation whose head is still an active head counts: asked in the same
    # statement, which brings the head along.
    delegation = (
        db.session.scalars(
            select(Delegation)
            .where(
                Delegation.deputy_id == user.id,
                Delegation.department_id == department_id,
                *_current(on),
                _named_by_an_active_head(),
            )
            .options(
                joinedload(Delegation.head).joinedload(User.role_links),
                lazyload(Delegation.deputy),
            )
            .order_by(Delegation.id)
        )
        .unique()
        .first()
    )
    return delegation.head if delegation is not None else None


def _named_by_an_active_head():
    """SQL: the delegation's head is active and still holds the head role."""
    head = aliased(User)
    return (
        select(head.id)
        .where(
            head.id == Delegation.head_id,
            head.active.is_(True),
            head.role_links.any(UserRole.role == Role.HEAD.value),
        )
        .exists()
    )


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
    """Everyone who answers for a department today: its active heads and their deputies.

    The people :func:`acting_for` answers for, in one statement: active members of the
    department who are heads, or deputies under a current delegation from one of its
    active heads.
    """
    today = utcnow().date()
    deputy = (
        select(Delegation.id)
        .where(
            Delegation.deputy_id == User.id,
            Delegation.department_id == department_id,
            *_current(today),
            _named_by_an_active_head(),
        )
        .exists()
    )
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.department_id == department_id,
                User.active.is_(True),
                or_(User.role_links.any(UserRole.role == Role.HEAD.value), deputy),
            )
            .options(joinedload(User.role_links))
            .order_by(User.id)
        ).unique()
    )
