"""Grants: scoped, expiring, revocable access to a dataset, created by approved requests."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the grant rules, the ``grant`` stream kind, the error codes and the CLI."""
    from app.errors import register_error_codes
    from app.grants import policy, streams  # noqa: F401  (register on import)
    from app.grants.access import GrantError
    from app.grants.cli import grants_cli

    register_error_codes("grants", GrantError)
    app.cli.add_command(grants_cli)
