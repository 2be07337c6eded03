"""How an extract goes out over HTTP, the same for the API and the download button."""

from __future__ import annotations

from flask import Response

from app.grants.reading import Extract


def extract_response(extract: Extract, *, attachment: bool = True) -> Response:
    """Stream an extract with the headers that say which grant it came through."""
    response = Response(extract.chunks(), mimetype=extract.media_type)
    disposition = "attachment" if attachment else "inline"
    response.headers["Content-Disposition"] = f'{disposition}; filename="{extract.filename}"'
    response.headers["Content-Length"] = str(extract.size)
    response.headers["X-Grant-Rows"] = str(extract.rows)
    response.headers.update(extract.headers)
    return response
