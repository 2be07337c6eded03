"""Personal API tokens: created with their secret shown once, listed, revoked."""

from __future__ import annotations

import secrets
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from app.accounts.identity import TOKEN_PREFIX, secret_hash
from app.accounts.models import ApiToken, User
from app.accounts.signin import record_login, verify_credentials
from app.actions import action
from app.common import Page, paginate, utcnow
from app.errors import Conflict, Invalid, NotFound
from app.extensions import db
from app.policy import can, require


def create_token(
    actor: User, *, name: str, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Create a personal API token and return it with its secret, which is never stored.

    Raises:
        Invalid: empty name, or an expiry outside 1 to 365 days.
    """
    with action(actor, "token.created") as act:
        require(actor, "token.create")
        return _issue(act, actor, (name or "").strip(), expires_in_days)


def _issue(act, actor: User, name: str, expires_in_days: int | None) -> tuple[ApiToken, str]:
    _check_token_request(name, expires_in_days)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name[:100],
        prefix=prefix,
        secret_hash=secret_hash(secret),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    act.target("api_token", token)
    act.detail.update(name=token.name, prefix=prefix)
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def _check_token_request(name: str, expires_in_days: int | None) -> None:
    fields: dict[str, list[str]] = {}
    if not name:
        fields["name"] = [_("Give the token a name, so you can tell it apart later.")]
    elif len(name) > 100:
        fields["name"] = [_("Use at most 100 characters.")]
    if expires_in_days is not None and not 1 <= expires_in_days <= 365:
        fields["expires_in_days"] = [_("Choose between 1 and 365 days.")]
    if fields:
        raise Invalid(_("The token was not created."), fields=fields)


def issue_token_for_credentials(
    username: str, password: str, address: str, name: str, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Sign in with a password and create a token in one step (``POST /api/v1/tokens``).

    The token's name and expiry are checked before the password, so a refused request
    neither counts as a sign-in nor leaves a sign-in without its token. The sign-in and
    the token commit together.

    Raises:
        Invalid, RateLimited, Unauthorized (see :func:`app.accounts.signin.verify_credentials`).
    """
    name = (name or "").strip() or "API token"
    _check_token_request(name, expires_in_days)
    user = verify_credentials(username, password, address)
    with action(user, "token.created") as act:
        record_login(user, address)
        return _issue(act, user, name, expires_in_days)


def list_tokens(actor: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor.id)
            .order_by(ApiToken.created_at.desc())
        )
    )


def token_page(actor: User, *, page: int = 1, per_page: int = 25) -> Page:
    """One page of the actor's own tokens, newest first (secrets are never stored)."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == actor.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return paginate(stmt, page, per_page)


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token; it stops working at once, and so do sockets opened with it.

    Raises:
        NotFound: missing, or someone else's token (unless the actor is an admin).
        Conflict: the token is already revoked.
    """
    with action(actor, "token.revoked") as act:
        token = db.session.get(ApiToken, token_id) if isinstance(token_id, int) else None
        if token is None or not can(actor, "token.revoke", token):
            raise NotFound(_("Token not found."))
        if token.revoked_at is not None:
            raise Conflict(_("This token is already revoked."))
        token.revoked_at = utcnow()
        act.target("api_token", token.id)
        act.detail.update(owner_id=token.user_id, prefix=token.prefix)
        act.recheck_access(token.user_id)
    return token
