"""Reading the file of an upload as it arrives, instead of after Werkzeug has spooled it.

Werkzeug's form parser copies an uploaded file to a temporary file before the view sees
it, reading the socket 64 KB at a time. For a dataset version that is a second copy of
up to a gigabyte, and under gunicorn's gevent worker the small reads alone cost more
than checking the file: a 94 MB body took 0.8-1.3 s to read in 64 KB reads and 0.4 s in
1 MB reads (bench/README.md). :class:`MultipartFile` decodes the body with Werkzeug's
own incremental decoder, 1 MB at a time, and hands the file's bytes straight on.

When something already parsed the form (the CSRF check of a browser's request does), the
parsed file is used instead: the bytes can only be read once.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import Request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import FileStorage
from werkzeug.http import parse_options_header
from werkzeug.sansio.multipart import Data, Epilogue, Field, File, MultipartDecoder, NeedData

from app.errors import Invalid

READ_SIZE = 1024 * 1024
FIELD_MAX = 64 * 1024
_NO_FILE = _l("Send the CSV file as multipart/form-data in the field 'file'.")


def _refused(message: Any = _NO_FILE) -> Invalid:
    return Invalid(str(message), fields={"file": [_("Choose a CSV file.")]})


class MultipartFile:
    """The bytes of one file field of a ``multipart/form-data`` body, decoded as read.

    Raises (on creation or while reading):
        Invalid: not a multipart body, no such file field, or a body cut short.
    """

    def __init__(self, stream, boundary: bytes, field: str) -> None:
        self._stream = stream
        self._decoder = MultipartDecoder(boundary, max_parts=16)
        self._events = self._decode()
        self._buffer = b""
        self._done = False
        self.filename = ""
        for event in self._events:
            if isinstance(event, File) and event.name == field:
                self.filename = event.filename or "upload.csv"
                return
            if isinstance(event, Epilogue):
                break
        raise _refused()

    def _decode(self) -> Iterator:
        """Every event of the body, reading more of it whenever the decoder needs it.

        Other (non-file) fields are small: a CSRF token at most. Their data is capped.
        """
        field_bytes: int | None = None
        ended = False
        while True:
            try:
                event = self._decoder.next_event()
            except ValueError as exc:
                raise _refused(_("The upload ended before the whole file arrived.")) from exc
            if isinstance(event, NeedData):
                if ended:
                    raise _refused(_("The upload ended before the whole file arrived."))
                chunk = self._stream.read(READ_SIZE)
                ended = not chunk
                self._decoder.receive_data(chunk or None)
                continue
            if isinstance(event, Field):
                field_bytes = 0
            elif isinstance(event, File):
                field_bytes = None
            elif isinstance(event, Data) and field_bytes is not None:
                field_bytes += len(event.data)
                if field_bytes > FIELD_MAX:
                    raise _refused(_("A form field of the upload is too long."))
            yield event
            if isinstance(event, Epilogue):
                return

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the file (all that is left for -1); ``b""`` at its end."""
        while not self._done and (size < 0 or len(self._buffer) < size):
            event = next(self._events, None)
            if event is None or isinstance(event, Epilogue):
                self._done = True
            elif isinstance(event, Data):
                self._buffer += event.data
                self._done = not event.more_data
        if size < 0:
            size = len(self._buffer)
        taken, self._buffer = self._buffer[:size], self._buffer[size:]
        return taken


def uploaded_file(request: Request, field: str = "file") -> tuple[object, str]:
    """The stream and file name of the uploaded file ``field`` of this request.

    Raises:
        Invalid: no such file in the request.
    """
    if "files" in request.__dict__:  # already parsed (the CSRF check reads the form)
        upload: FileStorage | None = request.files.get(field)
        if upload is None or not upload.filename:
            raise _refused()
        return upload.stream, upload.filename
    mimetype, options = parse_options_header(request.headers.get("Content-Type", ""))
    boundary = options.get("boundary", "").encode("latin-1")
    if mimetype != "multipart/form-data" or not boundary:
        raise _refused()
    reader = MultipartFile(request.stream, boundary, field)
    return reader, reader.filename
