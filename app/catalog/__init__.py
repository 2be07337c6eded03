"""Catalog: the datasets departments hold, described, versioned and searchable by everyone."""

from __future__ import annotations

from flask import Flask, current_app, request

# The routes that take a dataset's file; every other request keeps MAX_CONTENT_LENGTH.
UPLOAD_ENDPOINTS = {"api.upload_version", "catalog.upload"}
# Room for the multipart envelope around the file itself.
MULTIPART_OVERHEAD = 64 * 1024


def init_app(app: Flask) -> None:
    """Register the dataset rules, the ``dataset`` stream kind, the error codes, and the
    upload size limit."""
    from app.catalog import models, policy, streams  # noqa: F401  (register on import)
    from app.catalog.access import CatalogError
    from app.errors import register_error_codes

    register_error_codes("catalog", CatalogError)
    app.before_request(_upload_size_limit)


def _upload_size_limit() -> None:
    """Let an upload route take a file up to ``DATASET_MAX_UPLOAD_BYTES``.

    It runs before the CSRF check, which reads the form and so the file: the limit must
    be in place before anything parses the body. Larger bodies are refused with 413.
    """
    if request.endpoint in UPLOAD_ENDPOINTS:
        limit = current_app.config["DATASET_MAX_UPLOAD_BYTES"] + MULTIPART_OVERHEAD
        request.max_content_length = limit
