"""Deputies: a head names a colleague to act for them for a period, and ends it.

Naming or revoking a deputy changes what the deputy may decide and see, so both ask
for the deputy's live access to be checked again at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import or_, select

from app.accounts.acting import acting_delegations
from app.accounts.models import Delegation, Department, User
from app.actions import action
from app.common import Page, paginate, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.policy import can, require


def list_delegations(actor: User) -> list[Delegation]:
    return list(
        db.session.scalars(
            select(Delegation)
            .where(or_(Delegation.head_id == actor.id, Delegation.deputy_id == actor.id))
            .order_by(Delegation.starts_on.desc())
        )
    )


def delegation_page(actor: User, *, page: int = 1, per_page: int = 25) -> Page:
    """One page of the delegations the actor gave (as head) or received (as deputy)."""
    stmt = (
        select(Delegation)
        .where(or_(Delegation.head_id == actor.id, Delegation.deputy_id == actor.id))
        .order_by(Delegation.starts_on.desc(), Delegation.id.desc())
    )
    return paginate(stmt, page, per_page)


@dataclass
class AccountSummary:
    """Who the caller is: the account (with department and region) and where they deputise."""

    user: User
    acting_for: list[Delegation]

    @property
    def department(self) -> Department:
        return self.user.department

    @property
    def roles(self) -> list[str]:
        return sorted(link.role for link in self.user.role_links)


def account_summary(actor: User) -> AccountSummary:
    """The caller's own account, for ``GET /api/v1/me`` and the profile page."""
    require(actor, "user.view", actor)
    return AccountSummary(user=actor, acting_for=acting_delegations(actor))


def deputy_candidates(actor: User) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.department_id == actor.department_id,
                User.active.is_(True),
                User.id != actor.id,
            )
            .order_by(User.display_name)
        )
    )


def create_delegation(actor: User, *, deputy_id: int, starts_on: date, ends_on: date) -> Delegation:
    """Name a deputy from the head's own department for a date range.

    Raises:
        Forbidden: the actor is not a head.
        Invalid: deputy missing, inactive, oneself or of another department; bad dates.
    """
    with action(actor, "delegation.created") as act:
        delegation = _new_delegation(actor, deputy_id, starts_on, ends_on)
        act.target("delegation", delegation)
        act.detail.update(deputy_id=delegation.deputy_id, starts_on=starts_on, ends_on=ends_on)
        act.recheck_access(delegation.deputy_id)
    return delegation


def _new_delegation(actor: User, deputy_id: int, starts_on: date, ends_on: date) -> Delegation:
    require(actor, "delegation.create", None, _("Only a department head can name a deputy."))
    deputy = db.session.get(User, deputy_id) if isinstance(deputy_id, int) else None
    fields: dict[str, list[str]] = {}
    if deputy is None or not deputy.active:
        fields["deputy_id"] = [_("Choose an active colleague.")]
    elif deputy.id == actor.id:
        fields["deputy_id"] = [_("You cannot be your own deputy.")]
    elif deputy.department_id != actor.department_id:
        fields["deputy_id"] = [_("A deputy must belong to your own department.")]
    if ends_on < starts_on:
        fields["ends_on"] = [_("The end date must not be before the start date.")]
    elif ends_on < utcnow().date():
        fields["ends_on"] = [_("The end date is in the past.")]
    elif (ends_on - starts_on).days > 366:
        fields["ends_on"] = [_("A delegation lasts at most one year.")]
    if fields:
        raise Invalid(_("The deputy was not named."), fields=fields)
    delegation = Delegation(
        head_id=actor.id,
        deputy_id=deputy.id,
        department_id=actor.department_id,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(delegation)
    return delegation


def revoke_delegation(actor: User, delegation_id: int) -> Delegation:
    """End a delegation now.

    Raises:
        NotFound: missing, or not the actor's own delegation (unless admin).
        Conflict: already revoked.
    """
    with action(actor, "delegation.revoked") as act:
        delegation = (
            db.session.get(Delegation, delegation_id) if isinstance(delegation_id, int) else None
        )
        if delegation is None or not can(actor, "delegation.revoke", delegation):
            raise NotFound(_("Delegation not found."))
        if delegation.revoked_at is not None:
            raise Conflict(_("This delegation has already ended."))
        delegation.revoked_at = utcnow()
        act.target("delegation", delegation.id)
        act.detail["deputy_id"] = delegation.deputy_id
        act.recheck_access(delegation.deputy_id)
    return delegation
