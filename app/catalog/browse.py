"""Reading the catalog: the searchable list, the filter choices and a dataset's page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.choices import DepartmentChoice, RegionChoice, departments_and_regions
from app.accounts.models import Department, Region, User
from app.catalog.access import CLASSIFICATIONS, dataset_stream, get_dataset
from app.catalog.models import Dataset, DatasetColumn, DatasetVersion, Sensitivity
from app.common import Page, paginate_counted
from app.errors import Invalid
from app.extensions import db
from app.policy import can, require
from app.realtime import encoded_messages_after, last_seq
from app.realtime.models import Event

SEARCH_MAX = 200
FEED_SIZE = 20


def list_datasets(
    actor: User,
    *,
    q: str | None = None,
    department_id: int | None = None,
    region_id: int | None = None,
    classification: str | None = None,
    personal: bool | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """One page of datasets, by title, with department, columns and versions loaded.

    ``q`` matches title, description, department name, classification and column names;
    ``personal`` keeps datasets with (``True``) or without (``False``) personal columns.

    Raises:
        Forbidden: not signed in.
        Invalid: an unknown classification or a search over 200 characters.
    """
    _check_listing(actor, q, classification)
    stmt = (
        select(Dataset)
        .join(Department, Department.id == Dataset.owner_department_id)
        .options(
            joinedload(Dataset.owner_department).joinedload(Department.region),
            # The list names the steward, never their roles.
            joinedload(Dataset.steward).lazyload(User.role_links),
            selectinload(Dataset.columns),
            selectinload(Dataset.versions),
        )
        .order_by(Dataset.title, Dataset.id)
    )
    stmt = _dataset_filters(stmt, q, department_id, region_id, classification, personal)
    return paginate_counted(stmt, page, per_page)


class LatestVersion(NamedTuple):
    number: int
    row_count: int


@dataclass(frozen=True)
class DatasetRow:
    """A dataset as the catalog's list shows it."""

    id: int
    title: str
    description: str
    department: str
    jurisdiction: str
    classification: str
    has_personal_columns: bool
    column_names: list[str]
    latest_version: LatestVersion | None


def list_dataset_rows(
    actor: User,
    *,
    q: str | None = None,
    department_id: int | None = None,
    region_id: int | None = None,
    classification: str | None = None,
    personal: bool | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """:func:`list_datasets` for the list page: plain rows of what its table shows.

    Two statements: the page (with its count, each dataset's department, region, latest
    version and whether a column is about people), then the page's column names. No
    dataset, column or version object is built, and only the latest version is read.

    Raises:
        Forbidden: not signed in.
        Invalid: an unknown classification or a search over 200 characters.
    """
    _check_listing(actor, q, classification)
    latest = (
        select(DatasetVersion.number, DatasetVersion.row_count)
        .where(DatasetVersion.dataset_id == Dataset.id)
        .order_by(DatasetVersion.number.desc())
        .limit(1)
    )
    stmt = (
        select(
            Dataset.id,
            Dataset.title,
            Dataset.description,
            Department.name,
            Region.jurisdiction,
            Dataset.classification,
            _PERSONAL_COLUMN,
            latest.with_only_columns(DatasetVersion.number).scalar_subquery(),
            latest.with_only_columns(DatasetVersion.row_count).scalar_subquery(),
        )
        .join(Department, Department.id == Dataset.owner_department_id)
        .join(Region, Region.id == Department.region_id)
        .order_by(Dataset.title, Dataset.id)
    )
    stmt = _dataset_filters(stmt, q, department_id, region_id, classification, personal)
    found = paginate_counted(stmt, page, per_page, rows=True)
    names: dict[int, list[str]] = {row[0]: [] for row in found.items}
    if names:
        for dataset_id, name in db.session.execute(
            select(DatasetColumn.dataset_id, DatasetColumn.name)
            .where(DatasetColumn.dataset_id.in_(names))
            .order_by(DatasetColumn.dataset_id, DatasetColumn.position)
        ):
            names[dataset_id].append(name)
    found.items = [
        DatasetRow(
            *row[:7],
            column_names=names[row[0]],
            latest_version=LatestVersion(row[7], row[8]) if row[7] is not None else None,
        )
        for row in found.items
    ]
    return found


_PERSONAL_COLUMN = exists().where(
    DatasetColumn.dataset_id == Dataset.id,
    DatasetColumn.sensitivity != Sensitivity.NONE.value,
)
"""Whether a dataset has a column about people (:attr:`DatasetColumn.is_personal`)."""


def _check_listing(actor: User, q: str | None, classification: str | None) -> None:
    require(actor, "dataset.view", None, _("Sign in to see the catalog."))
    if classification and classification not in CLASSIFICATIONS:
        raise Invalid(
            _("Unknown classification."),
            fields={"classification": [_("Choose public, internal, restricted or personal.")]},
        )
    if q and len(q) > SEARCH_MAX:
        raise Invalid(
            _("The search is too long."),
            fields={"q": [_("Search with at most %(max)s characters.", max=SEARCH_MAX)]},
        )


def _dataset_filters(stmt, q, department_id, region_id, classification, personal):
    """``stmt`` (datasets joined to their department) narrowed by the list's search and filters."""
    if q and q.strip():
        pattern = f"%{_escape(q.strip())}%"
        column_named = exists().where(
            DatasetColumn.dataset_id == Dataset.id, DatasetColumn.name.ilike(pattern, escape="\\")
        )
        stmt = stmt.where(
            or_(
                Dataset.title.ilike(pattern, escape="\\"),
                Dataset.description.ilike(pattern, escape="\\"),
                Department.name.ilike(pattern, escape="\\"),
                Dataset.classification.ilike(pattern, escape="\\"),
                column_named,
            )
        )
    if department_id:
        stmt = stmt.where(Dataset.owner_department_id == department_id)
    if region_id:
        stmt = stmt.where(Department.region_id == region_id)
    if classification:
        stmt = stmt.where(Dataset.classification == classification)
    if personal is not None:
        stmt = stmt.where(_PERSONAL_COLUMN if personal else ~_PERSONAL_COLUMN)
    return stmt


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class FilterOptions:
    departments: list[DepartmentChoice]
    regions: list[RegionChoice]


def filter_options() -> FilterOptions:
    """The departments that publish datasets and every region, for the list's filters."""
    publishing = select(Dataset.owner_department_id).distinct()
    return FilterOptions(*departments_and_regions(publishing))


def department_people(department_id: int) -> list[User]:
    """The active people of a department, by name: who may be a dataset's steward."""
    return list(
        db.session.scalars(
            select(User)
            .where(User.department_id == department_id, User.active.is_(True))
            .order_by(User.display_name)
        )
    )


@dataclass
class DatasetPage:
    dataset: Dataset
    may_update: bool
    may_upload: bool
    may_preview: bool
    events: list[Event]
    last_seq: int


def dataset_page(actor: User, dataset_id: int) -> DatasetPage:
    """A dataset with what the actor may do with it.

    Raises:
        NotFound: no such dataset.
    """
    dataset = get_dataset(actor, dataset_id)
    stream = dataset_stream(dataset.id)
    events = list(
        db.session.scalars(
            select(Event).where(Event.stream == stream).order_by(Event.seq.desc()).limit(FEED_SIZE)
        )
    )
    return DatasetPage(
        dataset,
        may_update=can(actor, "dataset.update", dataset),
        may_upload=can(actor, "dataset.upload", dataset),
        may_preview=can(actor, "dataset.preview", dataset),
        events=events,
        last_seq=last_seq(stream),
    )


def dataset_events(actor: User, dataset_id: int, after: int = 0) -> dict:
    """The dataset's events after ``after`` (at most 500, oldest first) and its last seq.

    Raises:
        NotFound: no such dataset.
    """
    dataset = get_dataset(actor, dataset_id)
    stream = dataset_stream(dataset.id)
    return {
        "items": encoded_messages_after(stream, max(after, 0)),
        "last_seq": last_seq(stream),
    }
