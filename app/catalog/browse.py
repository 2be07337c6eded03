"""Reading the catalog: the searchable list, the filter choices and a dataset's page."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from flask_babel import gettext as _
from sqlalchemy import Select, exists, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from app.accounts.choices import (
    DepartmentChoice,
    RegionChoice,
    departments_and_regions_statement,
    read_departments_and_regions,
)
from app.accounts.models import Department, Region, User
from app.catalog.access import CLASSIFICATIONS, dataset_stream, get_dataset
from app.catalog.models import Dataset, DatasetColumn, DatasetVersion, Sensitivity
from app.common import (
    AnsweredPage,
    InIds,
    Page,
    iso_utc,
    paginate_counted,
    paginate_rows,
    plain_rows,
)
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
    stmt = _filtered(stmt, q, department_id, region_id, classification, personal)
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
    stmt = _filtered(_list_row(), q, department_id, region_id, classification, personal)
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


@cache
def _list_row() -> Select:
    """The list's row statement before its filters, built once: a dataset with its
    department, region, latest version and whether a column is about people."""
    latest = (
        select(DatasetVersion.number, DatasetVersion.row_count)
        .where(DatasetVersion.dataset_id == Dataset.id)
        .order_by(DatasetVersion.number.desc())
        .limit(1)
    )
    return (
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


_PERSONAL_COLUMN = exists().where(
    DatasetColumn.dataset_id == Dataset.id,
    DatasetColumn.sensitivity != Sensitivity.NONE.value,
)
"""Whether a dataset has a column about people (:attr:`DatasetColumn.is_personal`)."""


def _check_listing(actor: User, q: str | None, classification: str | None) -> None:
    """Raises: Forbidden (not signed in), Invalid (unknown classification, long search)."""
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


def _filtered(
    stmt: Select,
    q: str | None,
    department_id: int | None,
    region_id: int | None,
    classification: str | None,
    personal: bool | None,
) -> Select:
    """``stmt`` (datasets joined to their owner ``Department``) kept to the list's filters."""
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


_STEWARD = aliased(User)
_DATASET_ROWS = (
    select(
        Dataset.id,
        Dataset.title,
        Dataset.description,
        Dataset.classification,
        Dataset.residency_jurisdiction,
        Dataset.cross_border_allowed,
        Dataset.update_frequency,
        Dataset.version,
        Dataset.created_at,
        Dataset.updated_at,
        Department.id,
        Department.code,
        Department.name,
        Region.id,
        Region.code,
        Region.name,
        Region.jurisdiction,
        Region.created_at,
        _STEWARD.id,
        _STEWARD.username,
        _STEWARD.display_name,
    )
    .join(Department, Department.id == Dataset.owner_department_id)
    .join(Region, Region.id == Department.region_id)
    .join(_STEWARD, _STEWARD.id == Dataset.steward_id)
    .order_by(Dataset.title, Dataset.id)
)
"""A dataset as ``DatasetSchema`` shows it, but its columns and versions; built once, so
that the list without filters reuses its cache key."""

_COLUMN_ROWS = (
    select(
        DatasetColumn.dataset_id,
        DatasetColumn.name,
        DatasetColumn.type,
        DatasetColumn.sensitivity,
        DatasetColumn.description,
    )
    .where(InIds(DatasetColumn.dataset_id, "dataset_ids"))
    .order_by(DatasetColumn.position, DatasetColumn.id)
)
_UPLOADER = aliased(User)
_VERSION_ROWS = (
    select(
        DatasetVersion.dataset_id,
        DatasetVersion.number,
        DatasetVersion.original_filename,
        DatasetVersion.size_bytes,
        DatasetVersion.row_count,
        DatasetVersion.sha256,
        _UPLOADER.id,
        _UPLOADER.username,
        _UPLOADER.display_name,
        DatasetVersion.uploaded_at,
    )
    .join(_UPLOADER, _UPLOADER.id == DatasetVersion.uploaded_by_id)
    .where(InIds(DatasetVersion.dataset_id, "dataset_ids"))
    .order_by(DatasetVersion.number.desc(), DatasetVersion.id)
)


def _dataset_answer(row) -> dict:
    """A row of :data:`_DATASET_ROWS` as ``DatasetSchema`` dumps it, columns and versions aside."""
    return {
        "id": row[0],
        "title": row[1],
        "description": row[2],
        "classification": row[3],
        "residency_jurisdiction": row[4],
        "cross_border_allowed": row[5],
        "update_frequency": row[6],
        "owner_department": {
            "id": row[10],
            "code": row[11],
            "name": row[12],
            "region": {
                "id": row[13],
                "code": row[14],
                "name": row[15],
                "jurisdiction": row[16],
                "created_at": iso_utc(row[17]),
            },
        },
        "steward": {"id": row[18], "username": row[19], "display_name": row[20]},
        "version": row[7],
        "created_at": iso_utc(row[8]),
        "updated_at": iso_utc(row[9]),
        "columns": [],
        "versions": [],
    }


def list_dataset_answers(
    actor: User,
    *,
    q: str | None = None,
    department_id: int | None = None,
    region_id: int | None = None,
    classification: str | None = None,
    personal: bool | None = None,
    page: int = 1,
    per_page: int = 25,
) -> AnsweredPage:
    """:func:`list_datasets` as the API answers it, read as plain columns.

    Three statements whatever the page's length: the page of datasets with owner,
    region and steward; the columns of those datasets; their versions with uploaders.

    Raises:
        Forbidden: not signed in.
        Invalid: an unknown classification or a search over 200 characters.
    """
    _check_listing(actor, q, classification)
    stmt = _filtered(_DATASET_ROWS, q, department_id, region_id, classification, personal)
    result = paginate_rows(stmt, _dataset_answer, page, per_page)
    if result.items:
        by_id = {item["id"]: item for item in result.items}
        ids = {"dataset_ids": list(by_id)}
        for row in plain_rows(_COLUMN_ROWS, ids):
            by_id[row[0]]["columns"].append(
                {"name": row[1], "type": row[2], "sensitivity": row[3], "description": row[4]}
            )
        for row in plain_rows(_VERSION_ROWS, ids):
            by_id[row[0]]["versions"].append(
                {
                    "number": row[1],
                    "original_filename": row[2],
                    "size_bytes": row[3],
                    "row_count": row[4],
                    "sha256": row[5],
                    "uploaded_by": {"id": row[6], "username": row[7], "display_name": row[8]},
                    "uploaded_at": iso_utc(row[9]),
                }
            )
    return result


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


@dataclass
class FilterOptions:
    departments: list[DepartmentChoice]
    regions: list[RegionChoice]


_FILTER_OPTIONS = departments_and_regions_statement(select(Dataset.owner_department_id).distinct())
"""The departments that publish datasets and every region (built once, read per page)."""


def filter_options() -> FilterOptions:
    """The departments that publish datasets and every region, for the list's filters."""
    return FilterOptions(*read_departments_and_regions(_FILTER_OPTIONS))


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
