"""Cases as lists show them: plain values, no ORM objects.

A list reads many cases and changes none; its rows carry the attributes the list
templates and ``CaseSchema`` read, and nothing can load lazily behind them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from app.cases.models import Case, is_overdue


@dataclass(frozen=True)
class RegionRef:
    id: int
    code: str
    name: str
    jurisdiction: str
    created_at: datetime


@dataclass(frozen=True)
class DepartmentRef:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class PersonRef:
    id: int
    username: str
    display_name: str


@dataclass
class CaseRow:
    """A case as a list shows it (and the API lists it)."""

    id: int
    workspace_id: int
    workspace_name: str
    number: int
    key: str
    title: str
    status: str
    priority: str
    due_on: date | None
    version: int
    created_at: datetime
    updated_at: datetime
    region: RegionRef | None
    created_by: PersonRef
    description: str | None = None
    content_visible: bool = False
    departments: list[DepartmentRef] = field(default_factory=list)
    assignees: list[PersonRef] = field(default_factory=list)

    def is_overdue(self, today: date | None = None) -> bool:
        return is_overdue(self.status, self.due_on, today)


def row_of(case: Case) -> CaseRow:
    """The row of a loaded case, with its description: what a change answers with.

    Taken before the change commits, it needs nothing reloaded afterwards (a commit
    expires the case, and dumping it would read it, its people and departments again).
    """
    region = None
    if case.region is not None:
        place = case.region
        region = RegionRef(place.id, place.code, place.name, place.jurisdiction, place.created_at)
    return CaseRow(
        id=case.id,
        workspace_id=case.workspace_id,
        workspace_name=case.workspace.name,
        number=case.number,
        key=case.key,
        title=case.title,
        status=case.status,
        priority=case.priority,
        due_on=case.due_on,
        version=case.version,
        created_at=case.created_at,
        updated_at=case.updated_at,
        region=region,
        created_by=PersonRef(
            case.created_by.id, case.created_by.username, case.created_by.display_name
        ),
        description=case.description,
        content_visible=True,
        departments=[DepartmentRef(d.id, d.code, d.name) for d in case.departments],
        assignees=[PersonRef(u.id, u.username, u.display_name) for u in case.assignees],
    )
