"""Coverage: who publishes how much of what, and what is asked for that nobody publishes.

The second half belongs to whichever domain knows what is asked for (data-sharing
requests). It registers a provider at start-up with :func:`register_unmet_demand`; the
catalog never imports it. Until one is registered, the page says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import func, select

from app.accounts.models import Department, User
from app.catalog.access import CLASSIFICATIONS
from app.catalog.models import Dataset
from app.extensions import db
from app.policy import require


@dataclass(frozen=True)
class UnmetDemand:
    """Data asked for that no dataset answers: what, from which department, how often."""

    description: str
    requested_from: str | None
    requesting_departments: list[str]
    times_asked: int


UnmetDemandProvider = Callable[[], list[UnmetDemand]]
_providers: dict[str, UnmetDemandProvider] = {}


def register_unmet_demand(provider: UnmetDemandProvider) -> None:
    """Name the function that lists unmet demand (the requests domain, at start-up)."""
    _providers["unmet"] = provider


def unregister_unmet_demand() -> None:
    _providers.pop("unmet", None)


@dataclass
class DepartmentCoverage:
    department: Department
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class Coverage:
    rows: list[DepartmentCoverage]
    classifications: list[str]
    unmet: list[UnmetDemand] | None

    @property
    def largest(self) -> int:
        return max((row.total for row in self.rows), default=0)

    @property
    def totals(self) -> dict[str, int]:
        return {c: sum(row.counts.get(c, 0) for row in self.rows) for c in self.classifications}


def coverage(actor: User, provider: UnmetDemandProvider | None = None) -> Coverage:
    """Datasets per publishing department and classification, and the unmet demand.

    ``provider`` overrides the registered one; ``unmet`` is ``None`` when there is none.

    Raises:
        Forbidden: not signed in.
    """
    require(actor, "dataset.view", None, _("Sign in to see the catalog."))
    counted = db.session.execute(
        select(
            Dataset.owner_department_id, Dataset.classification, func.count(Dataset.id)
        ).group_by(Dataset.owner_department_id, Dataset.classification)
    ).all()
    departments = {
        d.id: d
        for d in db.session.scalars(
            select(Department).where(Department.id.in_({row[0] for row in counted}))
        )
    }
    rows: dict[int, DepartmentCoverage] = {}
    for department_id, classification, count in counted:
        row = rows.setdefault(department_id, DepartmentCoverage(departments[department_id]))
        row.counts[classification] = count
    ordered = sorted(rows.values(), key=lambda row: (-row.total, row.department.name))
    source = provider or _providers.get("unmet")
    return Coverage(ordered, list(CLASSIFICATIONS), source() if source else None)
