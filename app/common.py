"""Small helpers shared by every domain: time and pagination."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select

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
