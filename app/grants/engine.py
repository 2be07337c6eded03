"""The extract engine: a stored CSV version through a grant's projection, filter and masking.

Chosen by measurement (bench/extract.py, figures in bench/README.md): the version is
copied once, lazily on its first extract, into a Parquet file beside it with every
column as text; an extract then reads only the columns it needs, in record batches,
filters them with Arrow's vectorised ``is_in``, masks them and writes them out batch by
batch. Memory stays flat whatever the file's size: at most one batch is held at a time.

Two registries keep the engine open to additions without touching its loop:

- :data:`MASKS` maps a masking rule (``none``, ``pseudonymise``, ``redact``) to a
  function turning one column's text values into what the reader may see;
- :data:`FORMATS` maps an output format (``csv``, ``json``) to a writer class.

Nothing here knows about users or permissions: :mod:`app.grants.reading` decides, this
module only transforms.
"""

from __future__ import annotations

import abc
import csv
import hashlib
import hmac
import json
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from app.arrow import pa, pacsv, pc, pq

# Sizes that bound the memory of a pass (measured, bench/README.md): Arrow's streaming CSV
# reader reads up to about 40 blocks ahead, so 1 MB blocks held 42 MB where 256 kB
# blocks hold 10 MB; the copy's row groups and the batches read from them are what one
# step of the pass decodes at a time.
BATCH_ROWS = 16 * 1024
ROW_GROUP_ROWS = 64 * 1024
CSV_BLOCK_SIZE = 256 * 1024
REDACTED = "[redacted]"
PSEUDONYM_PREFIX = "P-"
PSEUDONYM_HEX_CHARS = 20


class VersionFileMissing(Exception):
    """The stored file of a version is gone (or unreadable)."""


class ColumnsMissing(Exception):
    """The stored file lacks columns the grant names (the dataset's columns changed)."""

    def __init__(self, names: list[str]):
        super().__init__(", ".join(names))
        self.names = names


# Masking rules ------------------------------------------------------------------------------


@dataclass
class MaskContext:
    """What masking needs to know about the read: the grant's pseudonym key."""

    pseudonym_key: bytes
    cache: dict[str, str] = field(default_factory=dict)


Mask = Callable[["pa.Array", MaskContext], "pa.Array"]
MASKS: dict[str, Mask] = {}


def mask_rule(name: str) -> Callable[[Mask], Mask]:
    """Register a masking rule under ``name`` (the value stored in ``Grant.masking``)."""

    def register(function: Mask) -> Mask:
        MASKS[name] = function
        return function

    return register


@mask_rule("none")
def _show(values: pa.Array, context: MaskContext) -> pa.Array:
    return values


@mask_rule("redact")
def _redact(values: pa.Array, context: MaskContext) -> pa.Array:
    return pa.repeat(pa.scalar(REDACTED, pa.string()), len(values))


@mask_rule("pseudonymise")
def _pseudonymise(values: pa.Array, context: MaskContext) -> pa.Array:
    """Each distinct value is hashed once per batch (and remembered for the whole read).

    An empty value stays empty: there is no one to pseudonymise.
    """
    encoded = pc.dictionary_encode(values)
    distinct = encoded.dictionary.to_pylist()
    replaced = pa.array([_pseudonym(value, context) for value in distinct], pa.string())
    return pc.take(replaced, encoded.indices)


def _pseudonym(value: str | None, context: MaskContext) -> str:
    if not value:
        return ""
    known = context.cache.get(value)
    if known is None:
        digest = hmac.new(context.pseudonym_key, value.encode(), hashlib.sha256).hexdigest()
        known = context.cache[value] = PSEUDONYM_PREFIX + digest[:PSEUDONYM_HEX_CHARS]
        if len(context.cache) > 1_000_000:  # keep memory flat on files of unique ids
            context.cache.clear()
    return known


def pseudonym_key(secret: str | bytes, grant_id: int) -> bytes:
    """A key unique to the grant, derived from the app's secret: a leaked file names its grant."""
    secret_bytes = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(secret_bytes, f"grant-pseudonyms:{grant_id}".encode(), hashlib.sha256).digest()


# Output formats -----------------------------------------------------------------------------


class Writer(abc.ABC):
    """Writes batches of text columns to a binary file; subclasses register a format."""

    media_type = "application/octet-stream"
    extension = "bin"

    def __init__(self, out: IO[bytes], names: list[str]):
        self.out = out
        self.names = names

    @abc.abstractmethod
    def write(self, batch: pa.RecordBatch) -> None:
        """Append one batch of rows."""

    def close(self) -> None:  # noqa: B027 (a hook: most formats need no closing)
        """Finish the document (closing brackets and the like)."""


FORMATS: dict[str, type[Writer]] = {}


def output_format(name: str) -> Callable[[type[Writer]], type[Writer]]:
    """Register a writer class under a format name (``?format=<name>``)."""

    def register(cls: type[Writer]) -> type[Writer]:
        FORMATS[name] = cls
        return cls

    return register


@output_format("csv")
class CsvWriter(Writer):
    media_type = "text/csv; charset=utf-8"
    extension = "csv"

    def __init__(self, out: IO[bytes], names: list[str]):
        super().__init__(out, names)
        schema = pa.schema([(name, pa.string()) for name in names])
        options = pacsv.WriteOptions(include_header=True, quoting_style="needed")
        self._writer = pacsv.CSVWriter(out, schema, write_options=options)

    def write(self, batch: pa.RecordBatch) -> None:
        self._writer.write_batch(batch)

    def close(self) -> None:
        self._writer.close()


@output_format("json")
class JsonWriter(Writer):
    """A JSON array of objects, one per row, keyed by column name."""

    media_type = "application/json"
    extension = "json"

    def __init__(self, out: IO[bytes], names: list[str]):
        super().__init__(out, names)
        self._first = True
        out.write(b"[")

    def write(self, batch: pa.RecordBatch) -> None:
        columns = [column.to_pylist() for column in batch.columns]
        parts = []
        for values in zip(*columns, strict=True):
            parts.append(json.dumps(dict(zip(self.names, values, strict=True)), ensure_ascii=False))
        if not parts:
            return
        text = ",\n".join(parts)
        self.out.write(((",\n" if not self._first else "\n") + text).encode())
        self._first = False

    def close(self) -> None:
        self.out.write(b"\n]\n")


# The plan and the pass ----------------------------------------------------------------------


@dataclass
class Plan:
    """What a grant lets through: columns in order, allowed values, masking per column."""

    columns: list[str]
    row_filter: dict[str, list[str]]
    masking: dict[str, str]
    pseudonym_key: bytes

    @property
    def needed(self) -> list[str]:
        """Every column the pass reads: the granted ones and those the filter looks at."""
        extra = [name for name in self.row_filter if name not in self.columns]
        return list(self.columns) + extra


@dataclass
class Result:
    """An extract written to a temporary file, ready to send, and how many rows it holds."""

    file: IO[bytes]
    rows: int
    size: int


def header_of(path: Path) -> list[str]:
    """The column names on a stored file's first line."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            return next(csv.reader(handle), [])
    except (FileNotFoundError, IsADirectoryError, PermissionError) as exc:
        raise VersionFileMissing(str(path)) from exc


def run(path: Path, plan: Plan, fmt: str, limit: int | None = None) -> Result:
    """Write the extract of the CSV file at ``path`` through ``plan`` into a temporary file.

    Raises:
        VersionFileMissing: the file is gone.
        ColumnsMissing: the file has no column the plan needs.
        KeyError: ``fmt`` is not a registered format (callers check first).
    """
    writer_class = FORMATS[fmt]
    present = set(header_of(path))
    missing = [name for name in plan.needed if name not in present]
    if missing:
        raise ColumnsMissing(missing)
    spool = tempfile.TemporaryFile()
    try:
        writer = writer_class(spool, plan.columns)
        rows = 0
        context = MaskContext(plan.pseudonym_key)
        for batch in _filtered_batches(path, plan):
            if limit is not None and rows + batch.num_rows > limit:
                batch = batch.slice(0, limit - rows)
            writer.write(_masked(batch, plan, context))
            rows += batch.num_rows
            if limit is not None and rows >= limit:
                break
        writer.close()
        size = spool.tell()
        spool.seek(0)
    except BaseException:
        spool.close()
        raise
    finally:
        release_memory()
    return Result(spool, rows, size)


def release_memory() -> None:
    """Hand Arrow's freed blocks back to the system: the worker serves pages between extracts.

    Measured (bench/README.md): without it the worker kept 50-80 MB after each pass.
    """
    pa.default_memory_pool().release_unused()


def _filtered_batches(path: Path, plan: Plan) -> Iterator[pa.RecordBatch]:
    allowed = {
        name: pa.array([str(value) for value in values], pa.string())
        for name, values in plan.row_filter.items()
    }
    for batch in _read_batches(path, plan.needed):
        if allowed:
            keep = None
            for name, values in allowed.items():
                test = pc.is_in(batch.column(name), value_set=values)
                keep = test if keep is None else pc.and_(keep, test)
            batch = batch.filter(keep)
        if batch.num_rows:
            yield batch


def _masked(batch: pa.RecordBatch, plan: Plan, context: MaskContext) -> pa.RecordBatch:
    arrays = []
    for name in plan.columns:
        rule = MASKS[plan.masking.get(name, "redact")]
        arrays.append(rule(batch.column(name), context))
    return pa.RecordBatch.from_arrays(arrays, names=plan.columns)


# Reading the stored version -----------------------------------------------------------------


def columnar_path(path: Path) -> Path:
    return path.with_name(path.name + ".parquet")


def _read_batches(path: Path, names: list[str]) -> Iterator[pa.RecordBatch]:
    """Record batches of ``names`` (as text) from the version's columnar copy.

    The copy is made on first use, so versions uploaded before it existed work too; if
    it cannot be made (a read-only store), the CSV file is streamed directly.
    """
    columnar = columnar_path(path)
    if not columnar.exists():
        try:
            write_columnar_copy(path)
        except OSError:
            yield from _csv_batches(path, names)
            return
    parquet = pq.ParquetFile(columnar)
    yield from parquet.iter_batches(batch_size=BATCH_ROWS, columns=names)


def write_columnar_copy(path: Path) -> Path:
    """Store the CSV version as Parquet beside it, every column as text (streamed; atomic).

    Safe to call concurrently: each writer uses its own temporary file and the last
    rename wins with an identical file.
    """
    target = columnar_path(path)
    header = header_of(path)
    schema = pa.schema([(name, pa.string()) for name in header])
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".parquet.part")
    os.close(handle)
    try:
        with pq.ParquetWriter(temporary, schema, compression="zstd") as writer:
            for rows in _row_groups(_csv_batches(path, header)):
                writer.write_table(rows)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        release_memory()
    return target


def _row_groups(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.Table]:
    """The CSV reader's small batches gathered into tables of about ``ROW_GROUP_ROWS`` rows.

    Each table becomes one row group: Parquet writes one per call, and groups as small as
    a CSV block (2,700 rows of 256 kB) would make reading slower and the footer larger.
    """
    pending: list[pa.RecordBatch] = []
    rows = 0
    for batch in batches:
        pending.append(batch)
        rows += batch.num_rows
        if rows >= ROW_GROUP_ROWS:
            yield pa.Table.from_batches(pending)
            pending, rows = [], 0
    if pending:
        yield pa.Table.from_batches(pending)


def _csv_batches(path: Path, names: list[str]) -> Iterator[pa.RecordBatch]:
    try:
        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(block_size=CSV_BLOCK_SIZE),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                include_columns=names,
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except FileNotFoundError as exc:
        raise VersionFileMissing(str(path)) from exc
    yield from reader
