"""Joint cases: the shared pieces of work that a workspace's departments push forward together."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the case rules, the ``case`` stream kind (with presence) and the error codes."""
    from app.cases import policy, streams  # noqa: F401  (register on import)
    from app.cases.access import CaseError
    from app.errors import register_error_codes

    register_error_codes("cases", CaseError)
