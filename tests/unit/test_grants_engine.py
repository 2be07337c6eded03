"""The extract engine on its own: a file larger than its steps gives the same rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from app.arrow import pq
from app.grants import engine

DISTRICTS = ["Sha Tin", "Tai Po", "Kwun Tong"]


@pytest.fixture
def small_steps(monkeypatch):
    """Blocks, row groups and batches far smaller than the file, as on a large file."""
    monkeypatch.setattr(engine, "CSV_BLOCK_SIZE", 4096)
    monkeypatch.setattr(engine, "ROW_GROUP_ROWS", 500)
    monkeypatch.setattr(engine, "BATCH_ROWS", 128)


@pytest.fixture
def readings(tmp_path: Path) -> Path:
    path = tmp_path / "readings.csv"
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["reading_id", "station_id", "district", "level"])
        for n in range(3000):
            writer.writerow([n + 1, f"DSD-{n % 40:03d}", DISTRICTS[n % 3], f"{n % 97 / 10:.1f}"])
    return path


def plan(**masking: str) -> engine.Plan:
    columns = ["reading_id", "station_id", "level"]
    rules = {name: "none" for name in columns} | masking
    return engine.Plan(columns, {"district": ["Sha Tin"]}, rules, b"test-key")


def expected_rows(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as handle:
        return [
            [row["reading_id"], row["station_id"], row["level"]]
            for row in csv.DictReader(handle)
            if row["district"] == "Sha Tin"
        ]


def extract_rows(result: engine.Result) -> list[list[str]]:
    with result.file:
        rows = list(csv.reader(io.StringIO(result.file.read().decode())))
    assert rows[0] == ["reading_id", "station_id", "level"]
    return rows[1:]


def test_the_copy_gathers_csv_blocks_into_row_groups(small_steps, readings):
    blocks = sum(1 for _batch in engine._csv_batches(readings, ["reading_id"]))
    copy = pq.ParquetFile(engine.write_columnar_copy(readings))
    sizes = [copy.metadata.row_group(i).num_rows for i in range(copy.metadata.num_row_groups)]
    assert blocks > 10
    assert sum(sizes) == 3000
    assert len(sizes) < blocks / 2
    assert all(size >= 500 for size in sizes[:-1])
    table = copy.read()
    assert table.column_names == ["reading_id", "station_id", "district", "level"]
    assert table.column("reading_id").to_pylist() == [str(n + 1) for n in range(3000)]


def test_an_extract_read_in_many_batches_has_every_row(small_steps, readings):
    result = engine.run(readings, plan(), "csv")
    assert engine.columnar_path(readings).exists()
    assert result.rows == 1000
    assert extract_rows(result) == expected_rows(readings)


def test_a_limit_cuts_inside_a_batch(small_steps, readings):
    result = engine.run(readings, plan(), "csv", limit=333)
    assert result.rows == 333
    assert extract_rows(result) == expected_rows(readings)[:333]


def test_pseudonyms_stay_the_same_from_batch_to_batch(small_steps, readings):
    rows = extract_rows(engine.run(readings, plan(station_id="pseudonymise"), "csv"))
    by_station = {}
    for (_id, pseudonym, _level), (_same_id, station, _same_level) in zip(
        rows, expected_rows(readings), strict=True
    ):
        by_station.setdefault(station, set()).add(pseudonym)
    assert len(by_station) == 40
    assert all(len(pseudonyms) == 1 for pseudonyms in by_station.values())
    assert len(set.union(*by_station.values())) == 40
