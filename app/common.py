"""Small helpers shared by every domain: time, pagination, text search and names."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, func, select

from app.extensions import db

MAX_PAGE = 2**31 - 1
"""The last page anyone may ask for: its offset must fit the database's 64-bit integers."""


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


def paginate(stmt: Select, page: int = 1, per_page: int = 25, max_per_page: int = 100) -> Page:
    """Run ``stmt`` for one page: two statements, whatever the number of rows.

    ``page`` is clamped to :data:`MAX_PAGE`, so a page number typed into a URL gives an
    empty page rather than an offset the database cannot take.
    """
    page = min(max(1, int(page or 1)), MAX_PAGE)
    per_page = min(max(1, int(per_page or 25)), max_per_page)
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)).unique())
    return Page(items=items, page=page, per_page=per_page, total=total or 0)


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
