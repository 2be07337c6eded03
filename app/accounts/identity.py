"""Who is calling: a session cookie's identity or an API token, turned into an active user.

Imports only the models and the database, so the API and real-time layers can use it
(through what accounts registers at start-up) without pulling in the services. Looking
a token up never commits: a stale ``last_used_at`` is noted and written by
:func:`record_token_use` after the request.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any, NamedTuple

from flask import current_app, g, has_request_context, request
from sqlalchemy import (
    ColumnElement,
    Date,
    Integer,
    Select,
    String,
    and_,
    bindparam,
    exists,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.orm import joinedload

from app.accounts.models import ApiToken, Role, User, UserRole, UserSession
from app.common import RequestMemo, utcnow
from app.extensions import db

TOKEN_PREFIX = "bw"  # noqa: S105 (a label, not a secret)
TOKEN_USE_RESOLUTION = timedelta(minutes=1)
SESSION_SEEN_RESOLUTION = timedelta(minutes=1)
_USED_KEY = "bridgework_used_token_id"
_SEEN_KEY = "bridgework_seen_session_id"


def secret_hash(secret: str) -> str:
    """Tokens are long random strings, so a fast keyed hash is enough; the key is the app's."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


_WITH_ROLES = (joinedload(User.role_links),)
"""Every request asks the caller's roles: they come in the same statement as the user
(and its department), instead of a second one."""


# Page figures --------------------------------------------------------------------------------

PageFigure = Callable[[ColumnElement[int], ColumnElement[date]], ColumnElement[Any]]
"""Given the signed-in user's id and today's date as SQL parameters, a scalar SQL
expression (it may use the ``users`` row)."""

PageFigureRow = Callable[[ColumnElement[int], ColumnElement[date]], Select]
"""Given the same parameters, a one-row ``SELECT`` whose columns are figures, in order; it
may not use the statement's ``users`` row (it is a table of its own in the statement)."""

_PAGE_FIGURES: dict[str, PageFigure] = {}
_PAGE_FIGURE_ROWS: dict[tuple[str, ...], PageFigureRow] = {}
_FIGURES = RequestMemo("page_figures")
_SIGNED_IN_USER = bindparam("me", type_=Integer)
_TODAY = bindparam("today", type_=Date)
_KEY_HASH = bindparam("key_hash", type_=String)
_SESSION_STATEMENTS: dict[tuple, Select] = {}


def register_page_figure(name: str, figure: PageFigure) -> None:
    """Have every page's header figure ``name`` read with the signed-in user.

    Every signed-in page shows the same few figures in its header (the bell's unread
    count, the navigation's request counts): asked as scalar subqueries of the statement
    that loads the session's user, they cost no statement of their own. Domains register
    them when the app is created and read them back with :func:`page_figures`.
    """
    _PAGE_FIGURES[name] = figure


def register_page_figures(names: tuple[str, ...], row: PageFigureRow) -> None:
    """Have every page's header figures ``names`` read with the signed-in user, in one pass.

    For figures that share their conditions (how many requests wait for the user, and how
    many of those are overdue): a scalar subquery each would repeat the conditions, and
    the statement is kept under the length up to which psycopg remembers its conversion
    of the placeholders (``MAX_CACHED_STATEMENT_LENGTH``); past it, every page paid for
    converting it again. ``row`` joins the statement as a table of one row.
    """
    _PAGE_FIGURE_ROWS[tuple(names)] = row


_SESSION_COLUMNS = (
    UserSession.id,
    UserSession.ended_at,
    UserSession.last_seen_at,
    UserSession.created_at,
)
"""What a request needs of its server-side session: whether it is live, and its id to note
its use. Columns rather than the row: loading it as an object cost more than reading it."""


def _session_statement(
    figures: dict[str, PageFigure], rows: dict[tuple[str, ...], PageFigureRow]
) -> Select:
    """The session's statement with ``figures`` and figure ``rows``, built once for each set.

    Putting the user, the session, the roles and the header's subqueries together again
    for every page cost more Python than the rest of a light page: the statement takes
    the user, the key and the day as parameters instead. Its columns are the user, the
    session's columns, then the figures in the order of :func:`_figure_names`.
    """
    known = (tuple(figures.items()), tuple(rows.items()))
    statement = _SESSION_STATEMENTS.get(known)
    if statement is None:
        tables = [
            row(_SIGNED_IN_USER, _TODAY).subquery(f"r{n}") for n, row in enumerate(rows.values())
        ]
        statement = select(
            User,
            *_SESSION_COLUMNS,
            *(
                figure(_SIGNED_IN_USER, _TODAY).label(f"f{n}")
                for n, figure in enumerate(figures.values())
            ),
            *(column for table in tables for column in table.c),
        ).join(UserSession, UserSession.user_id == User.id)
        for table in tables:
            statement = statement.join(table, true())
        statement = statement.where(
            User.id == _SIGNED_IN_USER, UserSession.key_hash == _KEY_HASH
        ).options(*_WITH_ROLES)
        _SESSION_STATEMENTS[known] = statement
    return statement


def _figure_names(
    figures: dict[str, PageFigure], rows: dict[tuple[str, ...], PageFigureRow]
) -> list[str]:
    return [*figures, *(name for names in rows for name in names)]


def page_figures(user_id: int | None) -> dict[str, Any] | None:
    """The figures read with the session of user ``user_id`` in this request, or ``None``.

    ``None`` outside a page request, for another user, while the session holds unflushed
    changes, and once it has flushed, committed or rolled back since (the figures may be
    stale then): the caller asks the database itself.
    """
    memo = _FIGURES.values()
    return memo.get(user_id) if memo is not None and user_id is not None else None


def _renders_a_page() -> bool:
    """Whether this request may show the header: not an API call, nor a socket's."""
    return has_request_context() and request.blueprint != "api"


def load_session_user(identity: str) -> User | None:
    """Find the user of a session cookie (``id:version:key``), or ``None``.

    Fails for a stale session version (password changed, admin action), an inactive
    user, and a server-side session that was ended (signed out), idled past
    ``SESSION_IDLE_MINUTES`` or outlived ``SESSION_ABSOLUTE_HOURS``. Sockets re-check
    their identity through this same function, so all of these end them too.

    The user, their roles and the server-side session come in one statement: every
    signed-in page pays for it, and a second round trip to the database was a tenth
    of a light page's statements. A page request reads the registered page figures in
    that statement too (:func:`register_page_figure`).
    """
    parts = identity.split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
        return None
    user_id, version, key = int(parts[0]), int(parts[1]), parts[2]
    if user_id > 2**31 - 1:
        return None
    page = _renders_a_page()
    figures = dict(_PAGE_FIGURES) if page else {}
    rows = dict(_PAGE_FIGURE_ROWS) if page else {}
    parameters = {"me": user_id, "key_hash": secret_hash(key)}
    if figures or rows:
        parameters["today"] = utcnow().date()
    found = db.session.execute(_session_statement(figures, rows), parameters).unique().first()
    if found is None:
        return None
    user, session_id, ended_at, last_seen_at, created_at = found[:5]
    if (
        not user.active
        or user.session_version != version
        or not _is_live(ended_at, last_seen_at, created_at)
    ):
        return None
    user.session_key = key
    if figures or rows:
        memo = _FIGURES.values()
        if memo is not None:
            names = _figure_names(figures, rows)
            memo.setdefault(user.id, dict(zip(names, found[5:], strict=True)))
    if has_request_context() and utcnow() - last_seen_at > SESSION_SEEN_RESOLUTION:
        g.setdefault(_SEEN_KEY, session_id)
    return user


def _is_live(ended_at: datetime | None, last_seen_at: datetime, created_at: datetime) -> bool:
    """Whether a server-side session has neither ended nor idled or aged past its limits."""
    if ended_at is not None:
        return False
    config = current_app.config
    now = utcnow()
    if now - last_seen_at > timedelta(minutes=config["SESSION_IDLE_MINUTES"]):
        return False
    return now - created_at <= timedelta(hours=config["SESSION_ABSOLUTE_HOURS"])


def session_end_reason(identity: str | None) -> str:
    """Why a session cookie no longer signs anyone in: ``deactivated`` or ``signed_out``.

    Only the holder of the session cookie learns this (it names their own account), so
    the live page they left open can say why it went blank. Deactivating also ends the
    account's sessions (a new session version), so the version is not compared here.
    """
    parts = (identity or "").split(":")
    if len(parts) >= 2 and parts[0].isdigit() and parts[1].isdigit() and int(parts[0]) < 2**31:
        user = db.session.get(User, int(parts[0]))
        if user is not None and not user.active:
            return "deactivated"
    return "signed_out"


_TOKEN_BY_PREFIX = (
    select(ApiToken)
    .where(ApiToken.prefix == bindparam("prefix"))
    .options(joinedload(ApiToken.user).options(*_WITH_ROLES))
)
"""Built once: putting the statement and its loader options together again for every
API request cost more Python than running it."""


def user_for_token(raw: str) -> User | None:
    """The active user owning a usable token, or ``None``; notes the use for later."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = db.session.scalars(_TOKEN_BY_PREFIX, {"prefix": parts[1]}).unique().one_or_none()
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


class TokenUser:
    """The owner of a usable API token as a read needs them: plain columns, no ORM object.

    What the policy rules, the list queries and the locale selector ask of a user (id,
    department, roles, language and time zone), read in the token's own statement. A
    view that changes things, or reads the user's relationships, gets the ORM ``User``
    of :func:`user_for_token` instead (see ``endpoint(plain_caller=...)`` in app.api).
    """

    is_authenticated = True
    is_anonymous = False
    active = True
    """Only an active user's token is usable, so its owner is active."""

    def __init__(
        self,
        id: int,  # noqa: A002 (the user's id, as ``User.id``)
        username: str,
        display_name: str,
        department_id: int,
        locale: str | None,
        timezone: str | None,
        role_names: frozenset[str],
    ) -> None:
        self.id = id
        self.username = username
        self.display_name = display_name
        self.department_id = department_id
        self.locale = locale
        self.timezone = timezone
        self.role_names = role_names

    @property
    def roles(self) -> set[Role]:
        return {Role(name) for name in self.role_names}

    def has_role(self, role: Role | str) -> bool:
        return role in self.role_names

    def __str__(self) -> str:
        return self.display_name


_ROLE_NAMES = (
    select(func.aggregate_strings(UserRole.role, " "))
    .where(UserRole.user_id == User.id)
    .scalar_subquery()
)


@cache
def _token_user_statement() -> Select:
    return select(
        ApiToken.id,
        ApiToken.secret_hash,
        ApiToken.last_used_at,
        User.id,
        User.username,
        User.display_name,
        User.department_id,
        User.locale,
        User.timezone,
        _ROLE_NAMES,
    ).where(_usable_token())


def token_user(raw: str) -> TokenUser | None:
    """The active owner of a usable token as a :class:`TokenUser`, or ``None``; notes the use.

    The same rules as :func:`user_for_token` (the token neither revoked nor expired, its
    secret matching, its owner active) and the same noting of its use for
    :func:`record_token_use`, in one statement of plain columns, roles included.
    """
    parameters = token_parameters(raw)
    if parameters is None:
        return None
    row = db.session.execute(_token_user_statement(), parameters).first()
    if row is None or not hmac.compare_digest(row[1], parameters["token_hash"]):
        return None
    token_id, last_used_at, now = row[0], row[2], parameters["now"]
    if has_request_context() and (
        last_used_at is None or now - last_used_at > TOKEN_USE_RESOLUTION
    ):
        g.setdefault(_USED_KEY, token_id)
    roles = frozenset(row[9].split(" ")) if row[9] else frozenset()
    return TokenUser(row[3], row[4], row[5], row[6], row[7], row[8], roles)


class Caller(NamedTuple):
    """Who holds a token or a session, read as two plain columns (no ORM objects)."""

    user_id: int
    display_name: str


def _split_session_identity(identity: str) -> tuple[int, int, str] | None:
    parts = (identity or "").split(":")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit() or not parts[2]:
        return None
    user_id = int(parts[0])
    if user_id > 2**31 - 1:
        return None
    return user_id, int(parts[1]), parts[2]


def _live_session() -> ColumnElement[bool]:
    """The conditions under which a session identity still signs its user in, as SQL.

    The same as :func:`load_session_user` asks (session version, active account, session
    not ended, idled out or too old), over ``user_sessions`` joined to ``users``, with
    the bind parameters that :func:`session_parameters` gives.
    """
    return and_(
        UserSession.user_id == User.id,
        UserSession.key_hash == bindparam("session_key_hash"),
        UserSession.user_id == bindparam("user_id"),
        UserSession.ended_at.is_(None),
        UserSession.last_seen_at >= bindparam("session_idle_since"),
        UserSession.created_at >= bindparam("session_born_since"),
        User.active.is_(True),
        User.session_version == bindparam("session_version"),
    )


def session_parameters(identity: str) -> dict[str, Any] | None:
    """The bind parameters of :func:`session_holds` for a session identity, or ``None``.

    ``None`` for an identity that is not ``id:version:key``; ``user_id`` is the id it names.
    """
    parts = _split_session_identity(identity)
    if parts is None:
        return None
    user_id, version, key = parts
    config = current_app.config
    now = utcnow()
    return {
        "user_id": user_id,
        "session_version": version,
        "session_key_hash": secret_hash(key),
        "session_idle_since": now - timedelta(minutes=config["SESSION_IDLE_MINUTES"]),
        "session_born_since": now - timedelta(hours=config["SESSION_ABSOLUTE_HOURS"]),
    }


@cache
def _session_caller_statement() -> Select:
    return select(User.id, User.display_name).where(_live_session())


def session_caller(identity: str) -> Caller | None:
    """The active user of a live session cookie (``id:version:key``), or ``None``: one statement.

    The same conditions as :func:`load_session_user`, asked of one row of
    ``user_sessions`` joined to its user, for callers that need to know only *whether*
    the session still holds and whose it is: a live socket checks this again and again.
    The statement is built once; each call only binds its values.
    """
    parameters = session_parameters(identity)
    if parameters is None:
        return None
    row = db.session.execute(_session_caller_statement(), parameters).first()
    return Caller(row[0], row[1]) if row is not None else None


@cache
def session_holds() -> ColumnElement[bool]:
    """Whether a session still signs in user ``user_id``, as an SQL truth value.

    What :func:`session_caller` asks, with the bind parameters of
    :func:`session_parameters`, for a statement that asks other things with it (a
    socket's subscription also asks for the membership and the stream's position).
    Built once.
    """
    return exists().where(_live_session())


def _usable_token() -> ColumnElement[bool]:
    """A usable token (bind parameters ``token_prefix`` and ``now``) of an active user."""
    return and_(
        ApiToken.user_id == User.id,
        ApiToken.prefix == bindparam("token_prefix"),
        ApiToken.revoked_at.is_(None),
        or_(ApiToken.expires_at.is_(None), ApiToken.expires_at > bindparam("now")),
        User.active.is_(True),
    )


def _token_parts(raw: object) -> list[str] | None:
    parts = raw.split("_", 2) if isinstance(raw, str) else []
    return parts if len(parts) == 3 and parts[0] == TOKEN_PREFIX else None


def token_parameters(raw: str) -> dict[str, Any] | None:
    """The bind parameters of :func:`token_holds` for a token, or ``None`` if malformed."""
    parts = _token_parts(raw)
    if parts is None:
        return None
    return {"token_prefix": parts[1], "token_hash": secret_hash(parts[2]), "now": utcnow()}


@cache
def token_holds() -> ColumnElement[bool]:
    """Whether a token is still usable and user ``user_id``'s, as an SQL truth value.

    What :func:`token_caller` asks, with the bind parameters of :func:`token_parameters`
    and ``user_id``, for a statement that asks other things with it. Built once.
    """
    return exists().where(
        _usable_token(),
        ApiToken.secret_hash == bindparam("token_hash"),
        User.id == bindparam("user_id"),
    )


class _TokenHolder(NamedTuple):
    secret_hash: str
    user_id: int
    expires_at: datetime | None


_TOKEN_HOLDERS: dict[str, _TokenHolder] = {}
_TOKEN_HOLDERS_MAX = 10_000


@cache
def _token_caller_statement() -> Select:
    return select(ApiToken.secret_hash, ApiToken.expires_at, User.id, User.display_name).where(
        _usable_token()
    )


def token_caller(raw: str) -> Caller | None:
    """The active owner of a usable API token, or ``None``: one statement, plain columns.

    The same conditions as :func:`user_for_token`, without building the token, the user,
    its department and its roles as objects, and without noting the use (a socket is not
    a request). The statement is built once. Whose the token is, is remembered for
    :func:`token_holder`.
    """
    parameters = token_parameters(raw)
    if parameters is None:
        return None
    row = db.session.execute(_token_caller_statement(), parameters).first()
    if row is None or not hmac.compare_digest(row[0], parameters["token_hash"]):
        return None
    if len(_TOKEN_HOLDERS) >= _TOKEN_HOLDERS_MAX:
        _TOKEN_HOLDERS.clear()
    _TOKEN_HOLDERS[parameters["token_prefix"]] = _TokenHolder(row[0], row[2], row[1])
    return Caller(row[2], row[3])


def token_holder(raw: str) -> int | None:
    """Whose a token was when this process last found it usable, if its secret matches.

    Asks no statement: a token's secret and owner never change, so a match proves the
    caller holds that token. Whether it is *still* usable (not revoked, the owner still
    active) is not known here; a socket that connects with it checks that after joining
    its room (:func:`token_caller` or :func:`token_holds`), which it must do anyway.
    """
    parts = _token_parts(raw)
    holder = _TOKEN_HOLDERS.get(parts[1]) if parts is not None else None
    if holder is None or (holder.expires_at is not None and holder.expires_at <= utcnow()):
        return None
    if not hmac.compare_digest(holder.secret_hash, secret_hash(parts[2])):
        return None
    return holder.user_id


def active_user(user_id: int) -> User | None:
    """The active user with this id and their roles (one statement), or ``None``."""
    user = db.session.get(User, user_id, options=_WITH_ROLES)
    return user if user is not None and user.active else None


def record_token_use(response):
    """After a request authenticated by token or session: store when it was last used.

    One UPDATE in its own short transaction, at most once a minute per token or session,
    so that a read stays a read and authentication never commits. A session's last use
    is what its idle timeout counts from.
    """
    token_id = g.pop(_USED_KEY, None)
    session_id = g.pop(_SEEN_KEY, None)
    if token_id is None and session_id is None:
        return response
    now = utcnow()
    db.session.rollback()
    if session_id is not None:
        db.session.execute(
            update(UserSession)
            .where(UserSession.id == session_id, UserSession.ended_at.is_(None))
            .values(last_seen_at=now)
        )
    if token_id is not None:
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
