"""Grants: scoped, expiring, revocable access to a dataset, created by approved requests."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the grant rules."""
    from app.grants import policy  # noqa: F401  (registers the rules)
