"""Lists of grants and of their usage, each in a fixed number of statements."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import User
from app.catalog.models import Dataset
from app.common import Page, paginate, paginate_counted, text_matches, utcnow
from app.errors import Invalid
from app.extensions import db
from app.grants.access import get_grant, grant_stream
from app.grants.models import AccessEvent, Grant
from app.grants.policy import answers_for_dataset, is_grantee, sees_every_grant, visible_clause
from app.realtime import encoded_messages_after, last_seq

STATES = ("active", "pending", "expired", "revoked")


def _state_clause(state: str, now: datetime):
    if state == "revoked":
        return Grant.revoked_at.is_not(None)
    if state == "expired":
        return and_(Grant.revoked_at.is_(None), Grant.expires_at <= now)
    if state == "pending":
        return and_(Grant.revoked_at.is_(None), Grant.valid_from > now)
    return and_(Grant.revoked_at.is_(None), Grant.valid_from <= now, Grant.expires_at > now)


def list_grants(
    actor: User,
    *,
    state: str | None = None,
    q: str | None = None,
    dataset_id: int | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """The grants the actor may see, newest first, with dataset and workspace loaded.

    Raises:
        Invalid: an unknown state.
    """
    if state and state not in STATES:
        message = _("Choose one of: %(choices)s.", choices=", ".join(STATES))
        raise Invalid(_("The grants could not be listed."), fields={"state": [message]})
    now = utcnow()
    stmt = (
        select(Grant)
        .where(visible_clause(actor, now))
        .options(*_row_options())
        .order_by(Grant.created_at.desc(), Grant.id.desc())
    )
    if state:
        stmt = stmt.where(_state_clause(state, now))
    if dataset_id:
        stmt = stmt.where(Grant.dataset_id == dataset_id)
    if q and q.strip():
        text = q.strip()
        stmt = stmt.where(
            or_(
                text_matches(Grant.purpose, text),
                Grant.dataset.has(text_matches(Dataset.title, text)),
            )
        )
    return paginate_counted(stmt, page, per_page)


def _row_options() -> list:
    """A list row names its dataset, workspace, named grantees and revoker: the rows and
    their count in one statement, the named grantees in a second (none of the datasets'
    columns and versions a grant's own page shows, nor anyone's roles)."""
    return [
        joinedload(Grant.dataset).lazyload("*"),
        joinedload(Grant.grantee_workspace).lazyload("*"),
        selectinload(Grant.grantee_users).lazyload(User.role_links),
        joinedload(Grant.revoked_by).lazyload(User.role_links),
    ]


@dataclass
class GrantView:
    """A grant with what the viewer may do with it and how it has been used."""

    grant: Grant
    state: str
    can_read: bool
    can_revoke: bool
    can_extend: bool
    sees_usage: bool
    reads: int
    rows_read: int
    last_seq: int


def grant_view(actor: User, grant_id: int) -> GrantView:
    """The grant page's content for ``actor`` (NotFound when not visible)."""
    grant = get_grant(actor, grant_id)
    state = grant.state(utcnow())
    grantee = is_grantee(actor, grant) and actor.active
    owner = answers_for_dataset(actor, grant)
    sees_usage = owner or sees_every_grant(actor)
    reads, rows_read = db.session.execute(
        select(
            func.count(AccessEvent.id), func.coalesce(func.sum(AccessEvent.rows_returned), 0)
        ).where(AccessEvent.grant_id == grant.id)
    ).one()
    return GrantView(
        grant=grant,
        state=state,
        can_read=grantee and state == "active",
        can_revoke=owner and grant.revoked_at is None,
        can_extend=grantee and grant.revoked_at is None,
        sees_usage=sees_usage,
        reads=reads,
        rows_read=rows_read,
        last_seq=last_seq(grant_stream(grant.id)),
    )


def access_events(
    actor: User, *, grant_id: int | None = None, page: int = 1, per_page: int = 50
) -> Page:
    """Reads through grants: of one grant (its owners, auditors), or of all (auditors).

    Grantees see their own reads only. Reader and grant come loaded.
    """
    stmt = (
        select(AccessEvent)
        .options(joinedload(AccessEvent.user), joinedload(AccessEvent.grant))
        .order_by(AccessEvent.created_at.desc(), AccessEvent.id.desc())
    )
    if grant_id is not None:
        grant = get_grant(actor, grant_id)
        stmt = stmt.where(AccessEvent.grant_id == grant.id)
        if not (sees_every_grant(actor) or answers_for_dataset(actor, grant)):
            stmt = stmt.where(AccessEvent.user_id == actor.id)
    elif not sees_every_grant(actor):
        visible = select(Grant.id).where(visible_clause(actor, utcnow()))
        stmt = stmt.where(AccessEvent.grant_id.in_(visible))
        stmt = stmt.where(or_(AccessEvent.user_id == actor.id, _owned_grant_ids(actor)))
    return paginate(stmt, page, per_page)


def _owned_grant_ids(actor: User):
    from app.accounts.acting import acting_for

    heads = (
        Dataset.owner_department_id == actor.department_id
        if actor.department_id is not None and acting_for(actor, actor.department_id)
        else Dataset.id.is_(None)
    )
    owned = (
        select(Grant.id)
        .join(Dataset, Dataset.id == Grant.dataset_id)
        .where(or_(Dataset.steward_id == actor.id, heads))
    )
    return AccessEvent.grant_id.in_(owned)


def grant_events(actor: User, grant_id: int, after: int = 0) -> dict:
    """The grant stream's events after ``after`` (oldest first), for catching up.

    Raises:
        NotFound: missing or not visible.
    """
    grant = get_grant(actor, grant_id)
    stream = grant_stream(grant.id)
    return {
        "items": encoded_messages_after(stream, max(after, 0)),
        "last_seq": last_seq(stream),
    }
