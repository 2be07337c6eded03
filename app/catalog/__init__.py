"""Catalog: the datasets departments hold, described, versioned and searchable by everyone."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the catalog's models (its rules, streams and error codes follow)."""
    from app.catalog import models  # noqa: F401  (tables known to the metadata)
