"""A second app beside the suite's, for tests that need their own database.

The Socket.IO and rate-limit extensions keep one server and one store per process; building
another app would bind them to it and take them from the suite's app (``app``, built first so
that it owns the socket handlers). So their state is put back once the second app is built:
it needs neither. A PostgreSQL database made for it is dropped when it is done.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import Flask
from flask_migrate import upgrade

from app import create_app
from app.extensions import db, limiter, socketio
from tests.services import drop_postgres_database


@contextmanager
def second_app(config: dict[str, Any]) -> Iterator[Flask]:
    """Build and migrate an app with ``config`` (on top of the testing defaults); yield it."""
    saved = {ext: dict(vars(ext)) for ext in (socketio, limiter)}
    app = create_app({"ENV_NAME": "testing", "TESTING": True, **config})
    for ext, state in saved.items():
        vars(ext).clear()
        vars(ext).update(state)
    with app.app_context():
        upgrade()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        url = config["SQLALCHEMY_DATABASE_URI"]
        if url.startswith("postgresql"):
            drop_postgres_database(url)
