"""Loading a dataset for a viewer or a change, the checks every catalog operation shares,
and the catalog's error codes.

A dataset's metadata is visible to everyone signed in, so a missing dataset is simply
``NotFound`` and a refused change is ``Forbidden`` with the reason.
"""

from __future__ import annotations

import enum
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from app.accounts.models import Department, User
from app.catalog.models import Classification, ColumnType, Dataset, Sensitivity
from app.errors import Invalid, NotFound
from app.extensions import db
from app.policy import require


class CatalogError(enum.StrEnum):
    """Machine-readable codes of the catalog's refusals (API ``error.code``)."""

    STALE = "stale"
    BAD_FILE = "bad_file"
    FILE_TOO_LARGE = "file_too_large"


class FileTooLarge(Invalid):
    """An upload over ``DATASET_MAX_UPLOAD_BYTES``; nothing of it is kept."""

    status = 413
    code = CatalogError.FILE_TOO_LARGE


TITLE_MAX = 200
DESCRIPTION_MAX = 5000
COLUMN_NAME_MAX = 120
COLUMNS_MAX = 200
FILENAME_MAX = 255
CLASSIFICATIONS = [c.value for c in Classification]
COLUMN_TYPES = [t.value for t in ColumnType]
SENSITIVITIES = [s.value for s in Sensitivity]


def dataset_stream(dataset_id: int) -> str:
    return f"dataset:{dataset_id}"


def dataset_path(dataset_id: int) -> str:
    """The dataset page's path, for notification links (no request context needed)."""
    return f"/catalog/{dataset_id}"


def load_dataset(dataset_id: Any, *, lock: bool = False) -> Dataset | None:
    """A dataset with its department, steward, columns and versions, or ``None``."""
    if not isinstance(dataset_id, int) or isinstance(dataset_id, bool):
        return None
    stmt = (
        select(Dataset)
        .where(Dataset.id == dataset_id)
        .options(
            joinedload(Dataset.owner_department).joinedload(Department.region),
            joinedload(Dataset.steward),
            selectinload(Dataset.columns),
            selectinload(Dataset.versions),
        )
    )
    if lock:
        stmt = stmt.with_for_update(of=Dataset).execution_options(populate_existing=True)
    return db.session.scalar(stmt)


def get_dataset(actor: User, dataset_id: Any) -> Dataset:
    """A dataset the actor may view.

    Raises:
        NotFound: no such dataset (or the actor is not signed in).
    """
    dataset = load_dataset(dataset_id)
    if dataset is None:
        raise NotFound(_("Dataset not found."))
    require(actor, "dataset.view", dataset, _("Sign in to see the catalog."))
    return dataset


def for_change(actor: User, dataset_id: Any, action: str, *, lock: bool = True) -> Dataset:
    """Load (and lock) a dataset the actor may change with ``action``.

    Raises:
        NotFound: no such dataset.
        Forbidden: the actor is not an officer or head of the owning department.
    """
    dataset = load_dataset(dataset_id, lock=lock)
    if dataset is None:
        raise NotFound(_("Dataset not found."))
    require(
        actor,
        action,
        dataset,
        _(
            "Only officers and heads of %(department)s can change this dataset.",
            department=dataset.owner_department.name,
        ),
    )
    return dataset


def clean(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""
