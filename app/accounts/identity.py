"""Who is calling: a session cookie's identity or an API token, turned into an active user.

Imports only the models and the database, so the API and real-time layers can use it
(through what accounts registers at start-up) without pulling in the services. Looking
a token up never commits: a stale ``last_used_at`` is noted and written by
:func:`record_token_use` after the request.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app, g, has_request_context
from sqlalchemy import or_, select, update
from sqlalchemy.orm import joinedload

from app.accounts.models import ApiToken, User
from app.common import utcnow
from app.extensions import db

TOKEN_PREFIX = "bw"  # noqa: S105 (a label, not a secret)
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
_USED_KEY = "bridgework_used_token_id"


def secret_hash(secret: str) -> str:
    """Tokens are long random strings, so a fast keyed hash is enough; the key is the app's."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


_WITH_ROLES = (joinedload(User.role_links),)
"""Every request asks the caller's roles: they come in the same statement as the user
(and its department), instead of a second one."""


def load_session_user(identity: str) -> User | None:
    """Find the user of a session cookie; stale session versions and inactive users fail."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id), options=_WITH_ROLES)
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def user_for_token(raw: str) -> User | None:
    """The active user owning a usable token, or ``None``; notes the use for later."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = (
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.prefix == parts[1])
            .options(joinedload(ApiToken.user).options(*_WITH_ROLES))
        )
        .unique()
        .one_or_none()
    )
    now = utcnow()
    if token is None or not token.is_usable(now):
        return None
    if not hmac.compare_digest(token.secret_hash, secret_hash(parts[2])):
        return None
    if not token.user.active:
        return None
    if has_request_context() and (
        token.last_used_at is None or now - token.last_used_at > TOKEN_USE_RESOLUTION
    ):
        g.setdefault(_USED_KEY, token.id)
    return token.user


def record_token_use(response):
    """After a request authenticated by token: store when the token was last used.

    One UPDATE in its own short transaction, at most once a minute per token, so that a
    read stays a read and authentication never commits.
    """
    token_id = g.pop(_USED_KEY, None)
    if token_id is not None:
        now = utcnow()
        db.session.rollback()
        db.session.execute(
            update(ApiToken)
            .where(
                ApiToken.id == token_id,
                or_(
                    ApiToken.last_used_at.is_(None),
                    ApiToken.last_used_at < now - TOKEN_USE_RESOLUTION,
                ),
            )
            .values(last_used_at=now)
        )
        db.session.commit()
    return response
