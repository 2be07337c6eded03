"""Checking an uploaded CSV file against a dataset's declared columns.

Two passes with one meaning. The fast pass is pyarrow's streaming CSV reader: it parses
every value as its column's type in blocks of a few megabytes on every core, so memory
stays flat whatever the file's size (chosen by measurement, see bench/README.md). It
says *that* a file is wrong, not always *where*; so when it refuses a file, the exact
pass, Python's ``csv`` module going line by line, finds the first problem and names its
line. Both accept the same values:

- the file is UTF-8 (a byte-order mark is allowed), and its first line is the header,
  the declared column names in order;
- every other non-blank line has one value per column; an empty value is missing;
- integer ``-12``; decimal ``3.5``, ``-1e3``; date ``2026-11-30``; datetime
  ``2026-11-30T08:15:00`` (a space instead of ``T``, seconds, fractions and a zone
  ``Z`` or ``+08:00`` are allowed); boolean ``true``/``false`` (or ``1``/``0``).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.arrow import pa, pacsv, pc

# Measured: 1 MB blocks were faster than 4 MB here and held half the memory.
BLOCK_SIZE = 1024 * 1024
# The longest value the exact pass accepts; pyarrow has no such limit, so a file with a
# longer one is refused by the exact pass alone.
FIELD_MAX = 1024 * 1024
TRUE_VALUES = ["true", "True", "TRUE", "1"]
FALSE_VALUES = ["false", "False", "FALSE", "0"]
_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# What Arrow's ISO 8601 parser takes, to the microsecond: the time may stop after the hour
# or the minute, and a zone may follow it.
_DATETIME_PATTERN = (
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}([T ]([01][0-9]|2[0-3])(:[0-5][0-9](:[0-5][0-9](\.[0-9]{1,6})?)?)?"
    r"(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?)?"
)
_DATETIME = re.compile(_DATETIME_PATTERN)
_ZONE = re.compile(r"(Z|[+-][0-9]{2}(:?[0-9]{2})?)$")
_INT64 = (-(2**63), 2**63 - 1)
_TYPE_WORDS = {
    "integer": _l("a whole number"),
    "decimal": _l("a number"),
    "date": _l("a date (YYYY-MM-DD)"),
    "datetime": _l("a date and time (YYYY-MM-DDTHH:MM:SS)"),
    "boolean": _l("true or false"),
}


@dataclass(frozen=True)
class Problem:
    """What is wrong with a file, and on which line (1 is the header; 0 when unknown)."""

    line: int
    reason: str

    def __str__(self) -> str:
        if self.line:
            return _("Line %(line)s: %(reason)s", line=self.line, reason=self.reason)
        return self.reason


class FileRefused(ValueError):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


def check_file(path: Path, columns: list[tuple[str, str]]) -> int:
    """The number of data rows in the CSV file at ``path`` if it fits ``columns``.

    ``columns`` are the declared ``(name, type)`` pairs in order.

    Raises:
        FileRefused: the first problem, with its line.
    """
    problem = check_header(path, [name for name, _type in columns])
    if problem is not None:
        raise FileRefused(problem)
    try:
        return _arrow_rows(path, columns)
    except (pa.ArrowInvalid, UnicodeDecodeError) as exc:
        found = find_problem(path, columns)
        raise FileRefused(found or Problem(0, _arrow_reason(exc))) from exc
    finally:
        # Arrow's allocator keeps freed blocks for reuse; give them back, so a worker's
        # memory returns to what it was after each upload.
        pa.default_memory_pool().release_unused()


def check_header(path: Path, names: list[str]) -> Problem | None:
    """The header's problem, if the first line is not ``names`` in order."""
    with path.open("rb") as raw:
        if not raw.read(1):
            return Problem(0, _("The file is empty; the first line must be the header."))
    try:
        rows = _rows(path)
        header = next(rows, None)
    except _BadLine as bad:
        return bad.problem
    except csv.Error as exc:
        return Problem(1, _("the header cannot be read as CSV (%(error)s).", error=exc))
    if header != names:
        shown = ", ".join(header or [])
        return Problem(
            1,
            _(
                "the header must be the declared columns in order: %(names)s (found: %(found)s).",
                names=", ".join(names),
                found=shown,
            ),
        )
    return None


def find_problem(path: Path, columns: list[tuple[str, str]]) -> Problem | None:
    """The first problem of the file, line by line (the exact pass); ``None`` if it fits."""
    expected = len(columns)
    checks = [(name, _VALUE_CHECKS.get(kind)) for name, kind in columns]
    rows = _rows(path)
    try:
        next(rows, None)
        for row in rows:
            if not row:
                continue
            line = rows.line  # type: ignore[attr-defined]
            if len(row) != expected:
                return Problem(
                    line,
                    _(
                        "expected %(expected)s values, found %(found)s.",
                        expected=expected,
                        found=len(row),
                    ),
                )
            for value, (name, check) in zip(row, checks, strict=True):
                if value and check is not None and not check(value):
                    kind = dict(columns)[name]
                    return Problem(
                        line,
                        _(
                            "%(name)s must be %(kind)s, found %(value)s.",
                            name=name,
                            kind=_TYPE_WORDS[kind],
                            value=repr(value[:40]),
                        ),
                    )
    except _BadLine as bad:
        return bad.problem
    except csv.Error as exc:
        return Problem(
            rows.line,  # type: ignore[attr-defined]
            _("the line cannot be read as CSV (%(error)s).", error=exc),
        )
    return None


# The fast pass ------------------------------------------------------------------------------


def _arrow_rows(path: Path, columns: list[tuple[str, str]]) -> int:
    """Rows of the file, every value parsed as its type; ``ArrowInvalid`` on the first misfit.

    Dates and times are parsed while reading, with or without a zone as the first value
    of the file has it. A file mixing both is read again with those columns as text and
    checked value by value, which is slower but rare.
    """
    zoned = _first_datetimes_zoned(path, columns)
    arrow_types = _arrow_types()
    types = {name: arrow_types[kind] for name, kind in columns}
    datetimes = [name for name, kind in columns if kind == "datetime"]
    for name in datetimes:
        types[name] = pa.timestamp("us", tz="UTC") if zoned else pa.timestamp("us")
    try:
        return sum(batch.num_rows for batch in _reader(path, columns, types))
    except pa.ArrowInvalid:
        if not datetimes:
            raise
    types.update({name: pa.string() for name in datetimes})
    rows = 0
    for batch in _reader(path, columns, types):
        for name in datetimes:
            _check_datetimes(batch.column(name))
        rows += batch.num_rows
    return rows


def _arrow_types() -> dict[str, pa.DataType]:
    """The Arrow type each declared type is parsed as (built on use: pyarrow loads lazily)."""
    return {
        "text": pa.string(),
        "integer": pa.int64(),
        "decimal": pa.float64(),
        "date": pa.date32(),
        # Read as text and checked below: values with and without a zone may be mixed.
        "datetime": pa.string(),
        "boolean": pa.bool_(),
    }


def _reader(path: Path, columns: list[tuple[str, str]], types: dict[str, pa.DataType]):
    return pacsv.open_csv(
        path,
        read_options=pacsv.ReadOptions(
            column_names=[name for name, _kind in columns], skip_rows=1, block_size=BLOCK_SIZE
        ),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=types,
            true_values=TRUE_VALUES,
            false_values=FALSE_VALUES,
            null_values=[""],
            strings_can_be_null=False,
            timestamp_parsers=[pacsv.ISO8601],
        ),
    )


def _first_datetimes_zoned(path: Path, columns: list[tuple[str, str]]) -> bool:
    """Whether the first present date-and-time value of the file has a zone."""
    indexes = [i for i, (_name, kind) in enumerate(columns) if kind == "datetime"]
    if not indexes:
        return False
    try:
        rows = _rows(path)
        next(rows, None)
        for row in itertools.islice(rows, 1000):
            for index in indexes:
                value = row[index] if index < len(row) else ""
                if len(value) > 10:
                    return bool(_ZONE.search(value))
    except (_BadLine, csv.Error):
        return False
    return False


def _check_datetimes(values: pa.Array) -> None:
    """Raise ``ArrowInvalid`` unless every present value is a valid ISO date and time."""
    present = pc.filter(values, pc.not_equal(values, ""))
    if pc.any(pc.invert(pc.match_substring_regex(present, f"^{_DATETIME_PATTERN}$"))).as_py():
        raise pa.ArrowInvalid("a value is not a date and time")
    # The pattern cannot know the length of each month: cast the dates to find 30 February.
    pc.cast(pc.utf8_slice_codeunits(present, 0, 10), pa.date32())


def _arrow_reason(exc: Exception) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return _("The file cannot be read: %(error)s", error=text)


# The exact pass -----------------------------------------------------------------------------


class _BadLine(Exception):
    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class _Rows:
    """CSV rows of a file, decoding it strictly as UTF-8 one physical line at a time."""

    def __init__(self, path: Path):
        self.path = path
        self.line = 0
        self._reader = csv.reader(self._lines(), strict=True)

    def _lines(self) -> Iterator[str]:
        decoder = codecs.getincrementaldecoder("utf-8")("strict")
        with self.path.open("rb") as raw:
            for number, data in enumerate(raw, start=1):
                if number == 1 and data.startswith(codecs.BOM_UTF8):
                    data = data[len(codecs.BOM_UTF8) :]
                try:
                    text = decoder.decode(data)
                except UnicodeDecodeError as exc:
                    raise _BadLine(
                        Problem(
                            number,
                            _(
                                "the file is not UTF-8 (byte %(byte)s of the line).",
                                byte=exc.start + 1,
                            ),
                        )
                    ) from exc
                self.line = number
                yield text

    def __iter__(self) -> _Rows:
        return self

    def __next__(self) -> list[str]:
        return next(self._reader)


def _rows(path: Path) -> _Rows:
    csv.field_size_limit(FIELD_MAX)
    return _Rows(path)


def _is_integer(value: str) -> bool:
    return bool(_INTEGER.fullmatch(value)) and _INT64[0] <= int(value) <= _INT64[1]


def _is_decimal(value: str) -> bool:
    return bool(_DECIMAL.fullmatch(value))


def _is_date(value: str) -> bool:
    if not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    if not _DATETIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_boolean(value: str) -> bool:
    return value in TRUE_VALUES or value in FALSE_VALUES


_VALUE_CHECKS = {
    "integer": _is_integer,
    "decimal": _is_decimal,
    "date": _is_date,
    "datetime": _is_datetime,
    "boolean": _is_boolean,
}


def preview_rows(path: Path, limit: int) -> tuple[list[str], list[list[str]]]:
    """The header and the first ``limit`` data rows of a stored (already checked) file."""
    rows = _rows(path)
    header = next(rows, None) or []
    taken = []
    for row in rows:
        if row:
            taken.append(row)
        if len(taken) >= limit:
            break
    return header, taken
