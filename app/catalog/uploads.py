"""Uploading a version of a dataset: streamed to storage, checked, hashed, then kept.

The file is copied in chunks into a temporary file in the dataset's own directory under
``STORAGE_DIR`` (so the final rename is atomic and never crosses file systems), hashed
and measured as it arrives, and refused as soon as it grows past
``DATASET_MAX_UPLOAD_BYTES``. Only a file that fits the declared columns is renamed into
place, inside the action that records the version; any refusal or failure removes the
temporary file and, if it was already moved, the stored one: no version without its
file, no file without its version.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.accounts.models import User
from app.actions import action
from app.catalog.access import (
    FILENAME_MAX,
    CatalogError,
    FileTooLarge,
    dataset_stream,
    for_change,
    get_dataset,
)
from app.catalog.csvcheck import FileRefused, check_file, preview_rows
from app.catalog.models import Dataset, DatasetVersion
from app.common import utcnow
from app.errors import Conflict, Forbidden, Invalid
from app.extensions import db
from app.policy import can

CHUNK_SIZE = 1024 * 1024
PREVIEW_ROWS = 20


@dataclass
class Received:
    path: Path
    size: int
    sha256: str


def max_upload_bytes() -> int:
    return int(current_app.config["DATASET_MAX_UPLOAD_BYTES"])


def storage_root() -> Path:
    return Path(current_app.config["STORAGE_DIR"])


def upload_version(actor: User, dataset_id: int, stream: BinaryIO, filename: str) -> DatasetVersion:
    """Store ``stream`` as the dataset's next version if it fits the declared columns.

    Permission is checked before a byte is read; the dataset is locked only for the
    short moment the version is recorded.

    Raises:
        NotFound: no such dataset.
        Forbidden: the actor is not an officer or head of the owning department.
        FileTooLarge: over ``DATASET_MAX_UPLOAD_BYTES`` (413).
        Invalid: the file does not fit (code ``bad_file``; the message names the line).
        Conflict: the columns changed while the file was being checked (code ``stale``).
    """
    dataset = for_change(actor, dataset_id, "dataset.upload", lock=False)
    columns = _signature(dataset)
    directory = storage_root() / "datasets" / str(dataset.id)
    received = receive(stream, directory, max_upload_bytes())
    stored: Path | None = None
    try:
        rows = _check(received.path, columns)
        with action(
            actor, "dataset.version_uploaded", department_id=dataset.owner_department_id
        ) as act:
            dataset = for_change(actor, dataset_id, "dataset.upload")
            if _signature(dataset) != columns:
                raise Conflict(
                    _(
                        "The dataset's columns changed while the file was being checked. "
                        "Upload it again."
                    ),
                    code=CatalogError.STALE,
                )
            number = max((v.number for v in dataset.versions), default=0) + 1
            stored = directory / f"v{number}-{received.sha256[:16]}.csv"
            os.replace(received.path, stored)
            version = _record(actor, dataset, number, stored, filename, received, rows)
            act.target("dataset_version", version)
            act.detail.update(
                dataset_id=dataset.id, number=number, rows=rows, sha256=received.sha256
            )
            act.publish(
                dataset_stream(dataset.id),
                text=_l(
                    "%(actor)s uploaded version %(number)s (%(rows)s rows)",
                    actor=actor.display_name,
                    number=number,
                    rows=rows,
                ),
                dataset_id=dataset.id,
                number=number,
                row_count=rows,
                size_bytes=received.size,
            )
    except BaseException:
        _remove(received.path)
        if stored is not None:
            _remove(stored)
        raise
    return version


def receive(stream: BinaryIO, directory: Path, limit: int) -> Received:
    """Copy ``stream`` into a new temporary file in ``directory``, hashing it on the way.

    Raises:
        FileTooLarge: the stream holds more than ``limit`` bytes (the file is removed).
    """
    directory.mkdir(parents=True, exist_ok=True)
    digest, size = hashlib.sha256(), 0
    handle, name = tempfile.mkstemp(prefix=".upload-", suffix=".part", dir=directory)
    path = Path(name)
    try:
        with os.fdopen(handle, "wb") as out:
            while chunk := stream.read(CHUNK_SIZE):
                size += len(chunk)
                if size > limit:
                    raise FileTooLarge(
                        _("The file is larger than the limit of %(size)s.", size=_megabytes(limit)),
                        fields={"file": [_("Upload at most %(size)s.", size=_megabytes(limit))]},
                    )
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        _remove(path)
        raise
    return Received(path, size, digest.hexdigest())


def _check(path: Path, columns: list[tuple[str, str]]) -> int:
    try:
        return check_file(path, columns)
    except FileRefused as refused:
        raise Invalid(
            _("The file was refused. %(problem)s", problem=refused.problem),
            code=CatalogError.BAD_FILE,
            fields={"file": [str(refused.problem)], "line": [str(refused.problem.line)]},
        ) from refused


def _record(
    actor: User,
    dataset: Dataset,
    number: int,
    stored: Path,
    filename: str,
    received: Received,
    rows: int,
) -> DatasetVersion:
    version = DatasetVersion(
        number=number,
        storage_path=stored.relative_to(storage_root()).as_posix(),
        original_filename=(Path(filename or "upload.csv").name or "upload.csv")[:FILENAME_MAX],
        size_bytes=received.size,
        row_count=rows,
        sha256=received.sha256,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
    )
    dataset.versions.insert(0, version)
    db.session.flush()
    return version


def _signature(dataset: Dataset) -> list[tuple[str, str]]:
    return [(column.name, column.type) for column in dataset.columns]


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):,.0f} MB"


@dataclass
class Preview:
    """The first rows of a version; no version (and no rows) before the first upload."""

    version: DatasetVersion | None
    header: list[str]
    rows: list[list[str]]


def preview(actor: User, dataset_id: int) -> Preview:
    """The header and first rows of the latest version of a public dataset.

    Raises:
        NotFound: no such dataset.
        Forbidden: the dataset is not public: its contents are not shown here.
    """
    dataset = get_dataset(actor, dataset_id)
    if not can(actor, "dataset.preview", dataset):
        raise Forbidden(_("Only the contents of public datasets can be previewed."))
    latest = dataset.latest_version
    if latest is None:
        return Preview(None, [column.name for column in dataset.columns], [])
    header, rows = preview_rows(storage_root() / latest.storage_path, PREVIEW_ROWS)
    return Preview(latest, header, rows)
