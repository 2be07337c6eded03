"""Decoding an upload's file from the multipart body as it arrives."""

from __future__ import annotations

import io

import pytest

from app.catalog import multipart
from app.catalog.multipart import MultipartFile
from app.errors import Invalid

BOUNDARY = b"----bridgework7MA4YWxkTrZu0gW"


def body(*parts: tuple[str, str | None, bytes], end: bool = True) -> bytes:
    out = b""
    for name, filename, content in parts:
        disposition = f'form-data; name="{name}"' + (f'; filename="{filename}"' if filename else "")
        out += b"--" + BOUNDARY + b"\r\nContent-Disposition: " + disposition.encode() + b"\r\n"
        if filename:
            out += b"Content-Type: text/csv\r\n"
        out += b"\r\n" + content + b"\r\n"
    return out + (b"--" + BOUNDARY + b"--\r\n" if end else b"")


CONTENT = b"station,level_m\r\n" + b"".join(b"TM-%05d,1.5\r\n" % n for n in range(5000))


@pytest.mark.parametrize("read_size", [7, 64, 4096, 1024 * 1024])
def test_file_bytes_come_out_exactly_whatever_the_read_size(monkeypatch, read_size):
    monkeypatch.setattr(multipart, "READ_SIZE", read_size)
    raw = body(("csrf_token", None, b"abc"), ("file", "levels.csv", CONTENT))
    reader = MultipartFile(io.BytesIO(raw), BOUNDARY, "file")
    assert reader.filename == "levels.csv"
    received = b""
    while chunk := reader.read(1000):
        received += chunk
    assert received == CONTENT


def test_missing_file_field_is_refused():
    with pytest.raises(Invalid) as refused:
        MultipartFile(io.BytesIO(body(("other", "x.csv", b"a"))), BOUNDARY, "file")
    assert "field 'file'" in refused.value.message


def test_body_cut_short_is_refused(monkeypatch):
    monkeypatch.setattr(multipart, "READ_SIZE", 64)
    raw = body(("file", "levels.csv", CONTENT), end=False)[:-500]
    reader = MultipartFile(io.BytesIO(raw), BOUNDARY, "file")
    with pytest.raises(Invalid) as refused:
        while reader.read(1000):
            pass
    assert "ended before the whole file arrived" in refused.value.message


def test_long_form_field_is_refused(monkeypatch):
    monkeypatch.setattr(multipart, "FIELD_MAX", 10)
    raw = body(("note", None, b"x" * 100), ("file", "levels.csv", CONTENT))
    with pytest.raises(Invalid):
        MultipartFile(io.BytesIO(raw), BOUNDARY, "file")
