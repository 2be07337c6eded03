"""Small helpers shared by every domain: time, pagination, text search and names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from flask import g, has_app_context, has_request_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    ColumnElement,
    Integer,
    Select,
    any_,
    bindparam,
    event,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.visitors import InternalTraversal

from app.errors import DomainError
from app.extensions import db
from app.security import INT64_MAX

MAX_PAGE = 2**31 - 1
"""The last page anyone may ask for: its offset must fit the database's 64-bit integers."""


class RequestMemo:
    """What one request read and may read again, while the database session is unchanged.

    :meth:`values` is ``None`` outside a request and while the session holds unflushed
    changes; everything remembered is forgotten on any flush, commit or rollback, since
    the database may then answer otherwise.
    """

    _keys: set[str] = set()

    def __init__(self, name: str) -> None:
        self.key = f"bridgework_memo_{name}"
        RequestMemo._keys.add(self.key)

    def values(self) -> dict | None:
        if not has_request_context():
            return None
        if _holds_changes(db.session()):
            return None
        return g.setdefault(self.key, {})


def _holds_changes(session: Session) -> bool:
    """Whether ``session`` holds new, changed or deleted objects not yet flushed.

    What ``session.new or session.dirty or session.deleted`` asks (``dirty`` is the
    identity map's modified objects), read from the collections those build their sets
    from: building them cost about forty calls, and a page asks several times.
    """
    return bool(session._new or session._deleted or session.identity_map._modified)


@event.listens_for(Session, "after_flush")
@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _forget_request_memos(session, *_args) -> None:
    if has_app_context():
        for key in RequestMemo._keys:
            g.pop(key, None)


def utcnow() -> datetime:
    """The current time in UTC, naive, the way every timestamp column stores it."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass
class Page:
    """One page of a list, with what a pager needs to link to its neighbours."""

    items: list[Any]
    page: int
    per_page: int
    total: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages


def paginate(
    stmt: Select, page: int = 1, per_page: int = 25, max_per_page: int = 100, *, rows: bool = False
) -> Page:
    """Run ``stmt`` for one page: two statements, whatever the number of rows.

    ``page`` is clamped to :data:`MAX_PAGE`, so a page number typed into a URL gives an
    empty page rather than an offset the database cannot take. With ``rows``, ``stmt``
    selects columns and the page's items are its plain rows, not its first entity.
    """
    page = min(max(1, int(page or 1)), MAX_PAGE)
    per_page = min(max(1, int(per_page or 25)), max_per_page)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    paged = stmt.limit(per_page).offset((page - 1) * per_page)
    if rows:
        items = list(db.session.execute(paged).all())
    else:
        items = list(db.session.scalars(paged).unique())
    return Page(items=items, page=page, per_page=per_page, total=total or 0)


def paginate_counted(
    stmt: Select, page: int = 1, per_page: int = 25, max_per_page: int = 100, *, rows: bool = False
) -> Page:
    """:func:`paginate` in one statement: each row carries the count (``count(*) OVER ()``).

    For a list that shares its page with others (a page's statement budget is small). A
    page past the end has no row to carry the count: only then is it asked apart. With
    ``rows``, ``stmt`` selects columns and the items are its plain rows (the count last).
    """
    page = min(max(1, int(page or 1)), MAX_PAGE)
    per_page = min(max(1, int(per_page or 25)), max_per_page)
    found = db.session.execute(
        stmt.add_columns(func.count().over().label("total_rows"))
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).unique()
    items, total = [], 0
    for row in found:
        items.append(row if rows else row[0])
        total = row[-1]
    if not items and page > 1:
        total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return Page(items=items, page=page, per_page=per_page, total=total or 0)


@dataclass
class AnsweredPage(Page):
    """A page whose items are already what the API answers: dicts of JSON values.

    A list endpoint that reads plain columns shapes each row as its response schema
    would dump it (:func:`paginate_rows`); the API writes such items as they are.
    """


def paginate_rows(
    stmt: Select,
    shape: Callable[[Any], dict],
    page: int = 1,
    per_page: int = 25,
    max_per_page: int = 100,
    *,
    parameters: dict[str, Any] | None = None,
) -> AnsweredPage:
    """:func:`paginate_counted` for a statement of plain columns, each row given to ``shape``.

    ``parameters`` are the values of the statement's own bind parameters, if it has any.

    No model is built: for a page of 25 to 100 rows, loading and dumping models cost
    several times the rest of the request.
    """
    page = min(max(1, int(page or 1)), MAX_PAGE)
    per_page = min(max(1, int(per_page or 25)), max_per_page)
    window = {"page_limit": per_page, "page_offset": (page - 1) * per_page}
    rows = plain_rows(_paged(stmt), {**(parameters or {}), **window})
    total = rows[-1][-1] if rows else 0
    if not rows and page > 1:
        counting = select(func.count()).select_from(stmt.order_by(None).subquery())
        total = plain_rows(counting, parameters)[0][0]
    return AnsweredPage([shape(row) for row in rows], page, per_page, total or 0)


def plain_rows(stmt: Select, parameters: dict[str, Any] | None = None) -> list[Any]:
    """The rows of a statement of plain columns, run as SQL on the session's connection.

    ``session.execute`` hands any ``select`` to the ORM, which prepares its execution
    and then rebuilds every row through a list of per-column processors: for columns
    only, some hundred calls a statement and one a row, for the same values. Pending
    changes are flushed first, as the session would (unless it is not autoflushing).
    """
    session = db.session()
    if session.autoflush:
        session.flush()
    return session.connection().execute(stmt, parameters).all()


_PAGED: dict[int, tuple[Select, Select]] = {}
_PAGED_MAX = 64


def _paged(stmt: Select) -> Select:
    """``stmt`` with its count and its page window as parameters, made once per statement.

    A list without filters runs the same statement object on every request; reusing its
    paged form reuses its cache key too, which SQLAlchemy works out again (walking the
    whole statement) for every new statement object.
    """
    known = _PAGED.get(id(stmt))
    if known is not None and known[0] is stmt:
        return known[1]
    paged = (
        stmt.add_columns(func.count().over().label("total_rows"))
        .limit(bindparam("page_limit"))
        .offset(bindparam("page_offset"))
    )
    if len(_PAGED) >= _PAGED_MAX:
        _PAGED.clear()
    _PAGED[id(stmt)] = (stmt, paged)
    return paged


class InIds(ColumnElement[bool]):
    """``column IN (...)`` the ids given as the parameter ``name`` when the statement runs.

    An ``expanding`` parameter is written out as one placeholder per id on every run (a
    few calls each, and a statement text per list length). On PostgreSQL this is
    ``column = ANY(:name)`` instead, the list sent as one array: the same text whatever
    its length. Elsewhere (SQLite) it is the expanding ``IN``.
    """

    inherit_cache = True
    type = Boolean()
    _traverse_internals = [
        ("column", InternalTraversal.dp_clauseelement),
        ("ids", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, name: str) -> None:
        self.column = column
        self.ids = bindparam(name, expanding=True, type_=Integer)


@compiles(InIds)
def _in_listed_ids(element: InIds, compiler, **kw) -> str:
    return compiler.process(element.column.in_(element.ids), **kw)


@compiles(InIds, "postgresql")
def _in_array_of_ids(element: InIds, compiler, **kw) -> str:
    array = bindparam(element.ids.key, type_=ARRAY(Integer))
    return compiler.process(element.column == any_(array), **kw)


def iso_utc(value: datetime | None) -> str | None:
    """A timestamp column (naive UTC) as the API writes it (``UtcDateTime``), with its offset.

    A naive value's text with ``+00:00`` is what the value made aware in UTC writes, one
    call fewer for each time of every row of a list.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        return value.isoformat() + "+00:00"
    return value.isoformat()


def iso_day(value: date | None) -> str | None:
    """A day as the API writes it."""
    return None if value is None else value.isoformat()


# Keyset pages ----------------------------------------------------------------------------

COUNT_CAP = 1000
"""Lists paged by a key count their matches up to this many and then say "more than"."""


class BadCursor(DomainError):
    """A ``cursor`` that no page handed out: malformed, or past any key a row can have."""

    status = 400
    code = "bad_request"


@dataclass(frozen=True)
class Cursor:
    """Where a keyset page starts: rows with a key below (``before``) or above (``after``)."""

    direction: Literal["before", "after"]
    key: int

    _FORM = re.compile(r"(before|after):([0-9]{1,19})")

    def __str__(self) -> str:
        return f"{self.direction}:{self.key}"

    @classmethod
    def parse(cls, text: str | None) -> Cursor | None:
        """The cursor ``text`` names (``None`` for none given).

        Raises:
            BadCursor: ``text`` is not ``before:<n>`` or ``after:<n>`` with ``n`` a
                positive 64-bit integer.
        """
        if text is None or text == "":
            return None
        match = cls._FORM.fullmatch(text)
        key = int(match.group(2)) if match else 0
        if not match or not 1 <= key <= INT64_MAX:
            raise BadCursor(str(_l("This page link is not valid: start again from the newest.")))
        return cls(match.group(1), key)  # type: ignore[arg-type]


@dataclass
class KeysetPage:
    """A page of a list read newest first by a unique, growing key (``seq``).

    Reading a page costs the same wherever it is in the list: the rows come from an
    index range (``key < cursor``) instead of an ``OFFSET`` that the database walks, and
    the count stops at :data:`COUNT_CAP`. ``older`` and ``newer`` are the cursors of the
    neighbouring pages (``None`` at either end). ``page`` is the page number asked for
    the old way (``?page=``), which stays accepted: 1 for pages reached by cursor.
    """

    items: list[Any]
    per_page: int
    total: int
    total_capped: bool
    older: Cursor | None
    newer: Cursor | None
    page: int = 1
    answered: bool = False
    """Whether the items are already what the API answers (see :class:`AnsweredPage`)."""

    @property
    def pages(self) -> int:
        """Pages in all, counted from :attr:`total`; a lower bound when it is capped."""
        counted = max(1, -(-self.total // self.per_page))
        return max(counted, self.page + 1) if self.older is not None else counted


def capped_count(
    stmt: Select, cap: int | None = None, parameters: dict[str, Any] | None = None
) -> tuple[int, bool]:
    """How many rows ``stmt`` matches, counting no further than ``cap`` (default
    :data:`COUNT_CAP`); and whether more do. ``parameters`` are ``stmt``'s own, if any.

    The count reads at most ``cap + 1`` rows, so it costs the same on any table size.
    """
    cap = COUNT_CAP if cap is None else cap
    counting = _derived(stmt, "count", lambda: _capped_count_statement(stmt))
    counted = plain_rows(counting, {**(parameters or {}), "count_limit": cap + 1})[0][0] or 0
    return min(counted, cap), counted > cap


def _capped_count_statement(stmt: Select) -> Select:
    sub = (
        stmt.with_only_columns(literal(1), maintain_column_froms=True)
        .order_by(None)
        .limit(bindparam("count_limit"))
        .subquery()
    )
    return select(func.count()).select_from(sub)


_DERIVED: dict[tuple[int, str], tuple[Select, Select]] = {}


def _derived(stmt: Select, form: str, build: Callable[[], Select]) -> Select:
    """The statement ``build`` makes of ``stmt`` in ``form``, made once per statement.

    Its values are parameters, so a list that runs the same statement object on every
    request runs the same derived ones too, whose cache keys SQLAlchemy then knows
    (it walks every new statement object to work its key out again); see :func:`_paged`.
    """
    known = _DERIVED.get((id(stmt), form))
    if known is not None and known[0] is stmt:
        return known[1]
    derived = build()
    if len(_DERIVED) >= _PAGED_MAX:
        _DERIVED.clear()
    _DERIVED[(id(stmt), form)] = (stmt, derived)
    return derived


def keyset_paginate(
    stmt: Select,
    key: Any,
    *,
    cursor: Cursor | None = None,
    page: int = 1,
    per_page: int = 50,
    max_per_page: int = 100,
    shape: Callable[[Any], dict] | None = None,
    parameters: dict[str, Any] | None = None,
) -> KeysetPage:
    """Run ``stmt`` (without an ORDER BY) for one page, newest first by the column ``key``.

    With ``shape``, ``stmt`` selects plain columns (``key`` among them, by its name) and
    each row is given to ``shape``: the page's items are then what the API answers.
    ``parameters`` are the values of ``stmt``'s own bind parameters, if it has any: a
    list built once with its reader as a parameter reuses its statements (:func:`_derived`).

    Two statements, whatever the number of rows or how far back the page is: the capped
    count and the rows. Each asks for one row more than the page holds, to know whether
    another page follows. Without a cursor, ``page`` pages by ``OFFSET`` as lists did
    before keysets (a deep page costs more; the first costs the same), so old links and
    API clients keep working; the cursors it returns lead on by key.

    Only the direction read is checked for more rows: a page reached from a neighbour
    links back to it without a third statement (a hand-made cursor may therefore lead
    to an empty page, which says so).
    """
    per_page = min(max(1, int(per_page or 50)), max_per_page)
    page = 1 if cursor else min(max(1, int(page or 1)), MAX_PAGE)
    total, capped = capped_count(stmt, parameters=parameters)
    values = {**(parameters or {}), "keyset_limit": per_page + 1}
    if cursor is not None and cursor.direction == "after":
        ordered = _derived(stmt, "after", lambda: _keyset_window(stmt, key, "after"))
        values["keyset_key"] = cursor.key
        rows = _keyset_rows(ordered, values, shape)
        items = list(reversed(rows[:per_page]))
        older_exists, newer_exists = True, len(rows) > per_page
    else:
        if cursor is not None:
            ordered = _derived(stmt, "before", lambda: _keyset_window(stmt, key, "before"))
            values["keyset_key"] = cursor.key
        else:
            ordered = _derived(stmt, "newest", lambda: _keyset_window(stmt, key, "newest"))
            values["keyset_offset"] = (page - 1) * per_page
        rows = _keyset_rows(ordered, values, shape)
        items = rows[:per_page]
        older_exists, newer_exists = len(rows) > per_page, cursor is not None or page > 1
    key_of = key.key

    def edge(direction: Literal["before", "after"], row: Any) -> Cursor:
        return Cursor(direction, getattr(row, key_of))

    if not items:
        # Past either end: lead back to the list's newest page, and to nothing older.
        return KeysetPage(items, per_page, total, capped, None, None, page)
    older = edge("before", items[-1]) if older_exists else None
    newer = edge("after", items[0]) if newer_exists else None
    if shape is not None:
        items = [shape(row) for row in items]
    return KeysetPage(items, per_page, total, capped, older, newer, page, shape is not None)


def _keyset_window(stmt: Select, key: Any, form: Literal["after", "before", "newest"]) -> Select:
    """``stmt`` read from a key (``after`` it, oldest first; ``before`` it, newest first)
    or from the newest row on, past an offset; the key, limit and offset as parameters."""
    limited = bindparam("keyset_limit")
    if form == "after":
        return stmt.where(key > bindparam("keyset_key")).order_by(key).limit(limited)
    ordered = stmt.order_by(key.desc()).limit(limited)
    if form == "before":
        return ordered.where(key < bindparam("keyset_key"))
    return ordered.offset(bindparam("keyset_offset"))


def _keyset_rows(stmt: Select, values: dict[str, Any], shape: Callable | None) -> list[Any]:
    if shape is not None:
        return plain_rows(stmt, values)
    return list(db.session.scalars(stmt, values))


LIKE_ESCAPE = "\\"
"""The escape character of every LIKE pattern built by :func:`text_matches`."""


def escape_like(text: str) -> str:
    """``text`` with LIKE's wildcards (``%``, ``_``) and the escape character made literal."""
    return (
        text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
        .replace("%", LIKE_ESCAPE + "%")
        .replace("_", LIKE_ESCAPE + "_")
    )


def text_matches(column: Any, text: str, *, prefix: bool = False) -> ColumnElement[bool]:
    """Case-insensitive search of ``column`` for ``text`` taken literally.

    What a person types is text, never a pattern: ``%`` finds a percent sign rather than
    every row. ``prefix`` matches only at the start (e.g. ``workspace.`` for an action).
    """
    pattern = escape_like(text) + "%"
    if not prefix:
        pattern = "%" + pattern
    return column.ilike(pattern, escape=LIKE_ESCAPE)


def is_invisible(char: str) -> bool:
    """Whether ``char`` changes how text looks without being seen itself.

    Format characters (Unicode category Cf: zero-width spaces and joiners, the
    bidirectional embeddings, overrides and isolates, the byte-order mark, the soft
    hyphen) and control characters let one name pass for another or reorder what
    surrounds it on the page.
    """
    return unicodedata.category(char) in ("Cf", "Cc")


def name_problem(name: str) -> str | None:
    """Why ``name`` (a person's, workspace's, department's or region's) may not be shown.

    ``None`` when it is fine. Services call it on every name they store, so a name can
    never impersonate another by hidden or reordering characters.
    """
    hidden = sorted({f"U+{ord(char):04X}" for char in name if is_invisible(char)})
    if hidden:
        return _(
            "Remove the invisible or text-direction characters (%(codes)s).",
            codes=", ".join(hidden),
        )
    return None
