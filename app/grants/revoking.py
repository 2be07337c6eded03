"""Revoking a grant, and the expiry sweep that marks ended grants and reminds grantees.

Neither is needed for enforcement (every read checks the grant at that moment); they
tell people, push the change to open pages and end live access at once.
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.models import User
from app.actions import action
from app.common import utcnow
from app.errors import Conflict, Invalid
from app.extensions import db
from app.grants.access import (
    REASON_MAX,
    GrantError,
    get_grant,
    grant_options,
    grant_path,
    grant_stream,
)
from app.grants.models import Grant
from app.policy import require
from app.workspaces.models import WorkspaceRole


def grantees(grant: Grant) -> list[User]:
    """The people who read through the grant now (for notices and access re-checks)."""
    if grant.grantee_users:
        return list(grant.grantee_users)
    return [
        membership.user
        for membership in grant.grantee_workspace.memberships
        if membership.is_current() and membership.role != WorkspaceRole.OBSERVER
    ]


def revoke_grant(actor: User, grant_id: int, *, reason: str) -> Grant:
    """End a grant now, with a reason; the very next read by anyone is refused.

    Raises:
        NotFound: no such grant, or not visible to the actor.
        Forbidden: the actor is not the owning department's head (or deputy) or the steward.
        Invalid: no reason, or a reason too long.
        Conflict: already revoked (code ``already_revoked``).
    """
    reason = (reason or "").strip()
    with action(actor, "grant.revoked") as act:
        grant = get_grant(actor, grant_id, lock=True)
        require(
            actor,
            "grant.revoke",
            grant,
            _("Only the owning department's head or the dataset's steward can revoke a grant."),
        )
        if grant.revoked_at is not None:
            raise Conflict(_("This grant is already revoked."), code=GrantError.ALREADY_REVOKED)
        if not reason or len(reason) > REASON_MAX:
            message = f"Give the reason for revoking (at most {REASON_MAX} characters)."
            raise Invalid(message, fields={"reason": [message]})
        grant.revoked_at = utcnow()
        grant.revoked_by_id = actor.id
        grant.revoke_reason = reason
        people = grantees(grant)
        act.target("grant", grant)
        act.workspace_id = grant.grantee_workspace_id
        act.department_id = grant.dataset.owner_department_id
        act.detail["reason"] = reason
        text = f"Access to {grant.dataset.title} (grant {grant.id}) was revoked: {reason}"
        act.publish(grant_stream(grant.id), text=text, grant_id=grant.id, state="revoked")
        act.publish(
            f"workspace:{grant.grantee_workspace_id}", text=text, grant_id=grant.id, state="revoked"
        )
        act.notify(
            people,
            subject=f"Grant revoked: {grant.dataset.title}",
            text=text,
            link=grant_path(grant.id),
        )
        act.recheck_access(*(person.id for person in people))
    return grant


def expire_grants(now=None) -> dict[str, int]:
    """Mark and notify grants that ended, remind grantees of those ending soon.

    Each grant is told once of each (``expired_notified_at``, ``expiry_reminded_at``),
    so running it again changes nothing: safe from cron at any interval.
    """
    now = now or utcnow()
    days = int(current_app.config["GRANT_EXPIRY_REMINDER_DAYS"])
    expired = db.session.scalars(
        select(Grant)
        .where(
            Grant.expires_at <= now,
            Grant.revoked_at.is_(None),
            Grant.expired_notified_at.is_(None),
        )
        .options(*grant_options())
        .order_by(Grant.id)
    ).all()
    for grant in expired:
        _mark_expired(grant, now)
    soon = db.session.scalars(
        select(Grant)
        .where(
            Grant.expires_at > now,
            Grant.expires_at <= now + timedelta(days=days),
            Grant.valid_from <= now,
            Grant.revoked_at.is_(None),
            Grant.expiry_reminded_at.is_(None),
        )
        .options(*grant_options())
        .order_by(Grant.id)
    ).all()
    for grant in soon:
        _remind(grant, now)
    return {"expired": len(expired), "reminded": len(soon)}


def _mark_expired(grant: Grant, now) -> None:
    with action(None, "grant.expired", actor_name="system") as act:
        grant.expired_notified_at = now
        people = grantees(grant)
        act.target("grant", grant)
        act.workspace_id = grant.grantee_workspace_id
        act.department_id = grant.dataset.owner_department_id
        act.detail["expires_at"] = grant.expires_at.isoformat()
        text = f"Access to {grant.dataset.title} (grant {grant.id}) has expired."
        act.publish(grant_stream(grant.id), text=text, grant_id=grant.id, state="expired")
        act.notify(
            people,
            subject=f"Grant expired: {grant.dataset.title}",
            text=text,
            link=grant_path(grant.id),
        )
        act.recheck_access(*(person.id for person in people))


def _remind(grant: Grant, now) -> None:
    with action(None, "grant.expiry_reminded", actor_name="system") as act:
        grant.expiry_reminded_at = now
        act.target("grant", grant)
        act.workspace_id = grant.grantee_workspace_id
        act.department_id = grant.dataset.owner_department_id
        act.detail["expires_at"] = grant.expires_at.isoformat()
        text = (
            f"Access to {grant.dataset.title} (grant {grant.id}) ends on "
            f"{grant.expires_at:%Y-%m-%d %H:%M} UTC. Ask to extend it if you still need it."
        )
        act.notify(
            grantees(grant),
            subject=f"Grant ending soon: {grant.dataset.title}",
            text=text,
            link=grant_path(grant.id),
        )
