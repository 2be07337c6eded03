"""Uploading versions: real files, good and bad, and what is left behind.

Every refused file must leave no version, no audit entry and no file (not even a
temporary one) in the dataset's storage directory, and say which line is wrong and why.
"""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest
from flask import current_app
from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.catalog import service
from app.catalog.models import DatasetVersion
from app.errors import Forbidden, Invalid
from app.extensions import db as _db
from app.realtime import events_after
from tests.factories import make_dataset, make_user

COLUMNS = [
    {"name": "station", "type": "text"},
    {"name": "measured_at", "type": "datetime"},
    {"name": "level_m", "type": "decimal"},
    {"name": "readings", "type": "integer"},
    {"name": "day", "type": "date"},
    {"name": "alarm", "type": "boolean"},
]
HEADER = b"station,measured_at,level_m,readings,day,alarm\n"
GOOD_ROW = b"TM-01,2026-11-30T08:15:00,3.25,12,2026-11-30,false\n"


@pytest.fixture(autouse=True)
def own_storage(app, tmp_path, monkeypatch):
    """Each test its own storage: dataset ids repeat after every rolled-back test."""
    monkeypatch.setitem(app.config, "STORAGE_DIR", str(tmp_path / "storage"))


@pytest.fixture
def owner(db):
    return make_user("officer")


@pytest.fixture
def dataset(owner):
    return make_dataset(owner, columns=COLUMNS)


def storage(dataset) -> Path:
    return Path(current_app.config["STORAGE_DIR"]) / "datasets" / str(dataset.id)


def files_in(dataset) -> list[str]:
    directory = storage(dataset)
    return sorted(p.name for p in directory.iterdir()) if directory.exists() else []


def upload(actor, dataset, content: bytes, name: str = "levels.csv"):
    return service.upload_version(actor, dataset.id, io.BytesIO(content), name)


def versions(dataset) -> int:
    return _db.session.scalar(
        select(func.count(DatasetVersion.id)).where(DatasetVersion.dataset_id == dataset.id)
    )


def test_good_file_is_stored_with_rows_size_and_hash(owner, dataset):
    content = HEADER + GOOD_ROW + b"TM-02,2026-11-30 08:20,,7,,1\n"
    version = upload(owner, dataset, content)
    assert (version.number, version.row_count, version.size_bytes) == (1, 2, len(content))
    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.original_filename == "levels.csv"
    stored = Path(current_app.config["STORAGE_DIR"]) / version.storage_path
    assert stored.read_bytes() == content
    assert files_in(dataset) == [stored.name]
    assert upload(owner, dataset, content).number == 2
    event = events_after(f"dataset:{dataset.id}", 0)[-1].as_message()
    assert (event["type"], event["data"]["number"], event["data"]["row_count"]) == (
        "dataset.version_uploaded",
        2,
        2,
    )


def test_byte_order_mark_is_accepted(owner, dataset):
    assert upload(owner, dataset, b"\xef\xbb\xbf" + HEADER + GOOD_ROW).row_count == 1


def test_header_only_file_is_a_version_without_rows(owner, dataset):
    assert upload(owner, dataset, HEADER).row_count == 0


def test_dates_and_times_with_and_without_zone_may_be_mixed(owner, dataset):
    rows = b"A,2026-11-30T08:15:00+08:00,,,,\nB,2026-11-30 08:20,,,,\nC,2026-11-30T08:25:00Z,,,,\n"
    assert upload(owner, dataset, HEADER + rows).row_count == 3
    with pytest.raises(Invalid) as refused:
        upload(owner, dataset, HEADER + rows + b"D,2026-11-31T08:30:00,,,,\n")
    assert "Line 5: measured_at must be a date and time" in refused.value.message


def test_quoted_values_may_hold_commas_and_line_breaks(owner, dataset):
    content = (
        HEADER + b'"Tai Po, north","2026-11-30T08:15:00",1,2,2026-11-30,true\n"Line\nbreak",,,,,\n'
    )
    assert upload(owner, dataset, content).row_count == 2


BAD_FILES = {
    "wrong header": (b"station,level_m\n" + GOOD_ROW, 1, "header must be the declared columns"),
    "header in another order": (
        b"measured_at,station,level_m,readings,day,alarm\n" + GOOD_ROW,
        1,
        "in order",
    ),
    "ragged row": (
        HEADER + GOOD_ROW + b"TM-02,2026-11-30T08:20:00,3.1\n",
        3,
        "expected 6 values, found 3",
    ),
    "too many values": (
        HEADER + GOOD_ROW + GOOD_ROW.rstrip() + b",extra\n",
        3,
        "expected 6 values, found 7",
    ),
    "bad UTF-8": (HEADER + GOOD_ROW + b"T\xe9-03,,,,,\n", 3, "not UTF-8"),
    "Big5 file": (HEADER + "大埔,,,,,\n".encode("big5"), 2, "not UTF-8"),
    "bad integer": (
        HEADER + GOOD_ROW * 3 + b"TM-04,,,twelve,,\n",
        5,
        "readings must be a whole number",
    ),
    "integer with decimals": (HEADER + b"TM-04,,,1.5,,\n", 2, "readings must be a whole number"),
    "bad date": (HEADER + b"TM-04,,,,2026-02-30,\n", 2, "day must be a date"),
    "day-first date": (HEADER + b"TM-04,,,,30/11/2026,\n", 2, "day must be a date"),
    "bad datetime": (HEADER + b"TM-04,yesterday,,,,\n", 2, "measured_at must be a date and time"),
    "bad decimal": (HEADER + b"TM-04,,3,5,,,\n", 2, "expected 6 values, found 7"),
    "bad boolean": (HEADER + b"TM-04,,,,,maybe\n", 2, "alarm must be true or false"),
    "unclosed quote": (HEADER + GOOD_ROW + b'"TM-05,,,,,\n', 0, ""),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_bad_file_is_refused_naming_line_and_reason_and_leaves_nothing(owner, dataset, case):
    content, line, reason = BAD_FILES[case]
    audit_before = _db.session.scalar(select(func.count(AuditEntry.seq)))
    with pytest.raises(Invalid) as refused:
        upload(owner, dataset, content)
    message = refused.value.message
    assert refused.value.code == "bad_file"
    if line:
        assert f"Line {line}:" in message
    assert reason in message
    assert versions(dataset) == 0
    assert files_in(dataset) == []
    assert _db.session.scalar(select(func.count(AuditEntry.seq))) == audit_before


def test_empty_file_is_refused(owner, dataset):
    with pytest.raises(Invalid) as refused:
        upload(owner, dataset, b"")
    assert "empty" in refused.value.message
    assert files_in(dataset) == []


def test_file_over_the_limit_is_refused_with_413_and_leaves_nothing(
    owner, dataset, app, monkeypatch
):
    monkeypatch.setitem(app.config, "DATASET_MAX_UPLOAD_BYTES", len(HEADER) + 10)
    with pytest.raises(service.FileTooLarge) as refused:
        upload(owner, dataset, HEADER + GOOD_ROW)
    assert refused.value.status == 413
    assert versions(dataset) == 0
    assert files_in(dataset) == []


def test_other_department_cannot_upload_and_nothing_is_read(owner, dataset):
    stream = io.BytesIO(HEADER + GOOD_ROW)
    with pytest.raises(Forbidden):
        service.upload_version(make_user("officer", "head"), dataset.id, stream, "x.csv")
    assert stream.tell() == 0
    assert files_in(dataset) == []


def test_failure_while_recording_removes_the_stored_file(owner, dataset, monkeypatch):
    from app.catalog import uploads

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(uploads, "_record", broken)
    with pytest.raises(RuntimeError):
        upload(owner, dataset, HEADER + GOOD_ROW)
    assert files_in(dataset) == []
    assert versions(dataset) == 0


def test_preview_shows_first_twenty_rows_of_public_datasets_only(owner, dataset):
    rows = b"".join(b"TM-%02d,,,%d,,\n" % (i, i) for i in range(30))
    upload(owner, dataset, HEADER + rows)
    reader = make_user("officer")
    found = service.preview(reader, dataset.id)
    assert found.header == [c["name"] for c in COLUMNS]
    assert len(found.rows) == 20 and found.rows[0][0] == "TM-00"
    internal = make_dataset(owner, columns=COLUMNS, classification="internal")
    upload(owner, internal, HEADER + rows)
    for person in (reader, owner):
        with pytest.raises(Forbidden):
            service.preview(person, internal.id)
