"""Who answers for a department: its heads, and the deputies they named for a period.

Imports only the models and the database; policy rules of every domain ask it.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import aliased, joinedload, lazyload

from app.accounts.identity import page_figures
from app.accounts.models import Delegation, Role, User, UserRole
from app.common import RequestMemo, utcnow
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
    today = utcnow().date()
    if on is None or on == today:
        figures = page_figures(user.id)
        if figures is not None and figures[NAMING_HEAD_FIGURE] is None:
            return None
    return _naming_head(user.id, department_id, on or today)


NAMING_HEAD_FIGURE = "accounts.naming_head"
"""The page figure saying whether the signed-in user is a deputy of their department today.

Every page's navigation asks whether its reader decides requests: for all but the few
deputies, the answer (no head named them) comes with the session's statement."""


def naming_head_figure(user_id, on=None) -> ColumnElement:
    """SQL: the head who names ``user_id`` their deputy in their own department on ``on``
    (today by default); both may be SQL parameters."""
    return (
        select(Delegation.head_id)
        .where(
            Delegation.deputy_id == user_id,
            Delegation.department_id == User.department_id,
            *_current(utcnow().date() if on is None else on),
            _named_by_an_active_head(),
        )
        .order_by(Delegation.id)
        .limit(1)
        .scalar_subquery()
    )


def acts_for_own_department(user_id, on=None) -> ColumnElement[bool]:
    """SQL twin of ``acting_for(user, user.department_id)`` on the ``users`` row of ``user_id``:
    the user is a head, or a deputy named by an active head of their department, current
    on ``on`` (today by default)."""
    return or_(
        select(UserRole.user_id)
        .where(UserRole.user_id == user_id, UserRole.role == Role.HEAD.value)
        .exists(),
        naming_head_figure(user_id, on).is_not(None),
    )


_NAMING_HEADS = RequestMemo("naming_heads")


def _naming_head(deputy_id: int, department_id: int, on: date) -> User | None:
    """The active head whose current delegation names ``deputy_id`` for ``department_id``.

    Only a delegation whose head is still an active head counts: asked in the same
    statement, which brings the head along. Remembered for the rest of the request: a page
    asks it of its reader once for the navigation and again for each home card. Forgotten
    as soon as the session flushes, commits or rolls back, and not used while it holds
    unflushed changes (the query would have flushed them first), so a delegation changed in
    the same request counts. One changed by another request meanwhile counts from the
    reader's next request.
    """
    memo = _NAMING_HEADS.values()
    key = (deputy_id, department_id, on)
    if memo is not None and key in memo:
        return memo[key]
    delegation = (
        db.session.scalars(
            select(Delegation)
            .where(
                Delegation.deputy_id == deputy_id,
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
    head = delegation.head if delegation is not None else None
    if memo is not None:
        memo[key] = head
    return head


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
