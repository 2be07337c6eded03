"""Departments and regions as a list's filter offers them: a few columns, one statement.

A list page shows its rows and, in its filter, the departments and regions to choose from.
Read as two lists of ORM objects they cost a statement each; read here they share one
(a ``UNION ALL`` of both), and carry only what an option shows.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, String, literal, select, union_all

from app.accounts.models import Department, Region
from app.extensions import db


@dataclass(frozen=True)
class RegionChoice:
    """A region offered by a filter or a form, named as the region names itself."""

    id: int
    name: str
    jurisdiction: str

    def __str__(self) -> str:
        return f"{self.name} ({self.jurisdiction})"


@dataclass(frozen=True)
class DepartmentChoice:
    """A department offered by a filter, with its region."""

    id: int
    name: str
    region: RegionChoice

    def __str__(self) -> str:
        return self.name


def departments_and_regions_statement(department_ids: Select | None = None) -> Select:
    """Departments (those whose id ``department_ids`` selects, or all) and every region, each
    by name, in one statement: for a page to build once and read with
    :func:`read_departments_and_regions` (building it costs about a thousand calls, more
    than reading its rows)."""
    departments = select(
        literal("department", String).label("kind"),
        Department.id,
        Department.name,
        Region.id.label("region_id"),
        Region.name.label("region_name"),
        Region.jurisdiction,
    ).join(Region, Region.id == Department.region_id)
    if department_ids is not None:
        departments = departments.where(Department.id.in_(department_ids))
    regions = select(
        literal("region", String).label("kind"),
        Region.id,
        Region.name,
        Region.id.label("region_id"),
        Region.name.label("region_name"),
        Region.jurisdiction,
    )
    both = union_all(departments, regions).subquery()
    return select(both).order_by(both.c.kind, both.c.name, both.c.id)


def read_departments_and_regions(
    statement: Select,
) -> tuple[list[DepartmentChoice], list[RegionChoice]]:
    """The departments and regions a :func:`departments_and_regions_statement` selects."""
    department_choices: list[DepartmentChoice] = []
    region_choices: list[RegionChoice] = []
    for kind, ref_id, name, region_id, region_name, jurisdiction in db.session.execute(statement):
        region = RegionChoice(region_id, region_name, jurisdiction)
        if kind == "department":
            department_choices.append(DepartmentChoice(ref_id, name, region))
        else:
            region_choices.append(region)
    return department_choices, region_choices
