"""Loading a grant for a viewer, the checks every read makes, and the grant error codes.

Whoever may not see a grant hears ``NotFound`` whether or not it exists; whoever may
see it but not read through it (owners, auditors, observers) hears ``Forbidden``.
"""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.catalog.models import Dataset
from app.errors import Forbidden, NotFound
from app.extensions import db
from app.grants.models import Grant
from app.grants.policy import is_grantee
from app.policy import can


class GrantError(enum.StrEnum):
    """Machine-readable codes of the grant domain's refusals (API ``error.code``)."""

    REVOKED = "revoked"
    EXPIRED = "expired"
    NOT_STARTED = "not_started"
    NOT_GRANTEE = "not_grantee"
    ACCOUNT_INACTIVE = "account_inactive"
    UNKNOWN_FORMAT = "unknown_format"
    BAD_LIMIT = "bad_limit"
    NO_VERSION = "no_version"
    FILE_MISSING = "file_missing"
    COLUMNS_CHANGED = "columns_changed"
    ALREADY_REVOKED = "already_revoked"


REASON_MAX = 2000


def grant_stream(grant_id: int) -> str:
    return f"grant:{grant_id}"


def grant_path(grant_id: int) -> str:
    """The grant's page, for notification links (no request context needed)."""
    return f"/grants/{grant_id}"


def grant_options() -> list[Any]:
    """What every grant page and answer shows, loaded in a fixed number of statements."""
    return [
        joinedload(Grant.dataset).selectinload(Dataset.columns),
        joinedload(Grant.dataset).selectinload(Dataset.versions),
        joinedload(Grant.grantee_workspace),
        selectinload(Grant.grantee_users),
        joinedload(Grant.revoked_by),
    ]


def load_grant(grant_id: Any, *, lock: bool = False) -> Grant | None:
    if not isinstance(grant_id, int) or isinstance(grant_id, bool):
        return None
    stmt = select(Grant).where(Grant.id == grant_id).options(*grant_options())
    if lock:
        stmt = stmt.with_for_update(of=Grant).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def get_grant(actor: User, grant_id: Any, *, lock: bool = False) -> Grant:
    """The grant, if the actor may see it.

    Raises:
        NotFound: missing or not visible (the same answer for both).
    """
    grant = load_grant(grant_id, lock=lock)
    if grant is None or not can(actor, "grant.view", grant):
        raise NotFound(_("Grant not found."))
    return grant


def ensure_readable(actor: User, grant: Grant, now: datetime) -> None:
    """Refuse a read unless the grant is active now and the actor may read through it.

    Raises:
        Forbidden: with the code saying why (revoked, expired, not yet started, not a
            grantee, account deactivated).
    """
    if not actor.active:
        raise Forbidden(_("Your account is deactivated."), code=GrantError.ACCOUNT_INACTIVE)
    if not is_grantee(actor, grant):
        raise Forbidden(
            _(
                "Only the grant's grantees may read data through it; observers, owners and "
                "auditors see its terms and usage, never its contents."
            ),
            code=GrantError.NOT_GRANTEE,
        )
    state = grant.state(now)
    if state == "revoked":
        raise Forbidden(
            _(
                "This grant was revoked on %(when)s UTC: %(reason)s",
                when=f"{grant.revoked_at:%Y-%m-%d %H:%M}",
                reason=grant.revoke_reason,
            ),
            code=GrantError.REVOKED,
        )
    if state == "expired":
        raise Forbidden(
            _(
                "This grant expired on %(when)s UTC. Ask to extend it to file a new request.",
                when=f"{grant.expires_at:%Y-%m-%d %H:%M}",
            ),
            code=GrantError.EXPIRED,
        )
    if state == "pending":
        raise Forbidden(
            _("This grant starts on %(when)s UTC.", when=f"{grant.valid_from:%Y-%m-%d %H:%M}"),
            code=GrantError.NOT_STARTED,
        )
