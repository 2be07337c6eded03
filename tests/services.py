"""Reaching the real services (PostgreSQL, Redis, Chromium) from tests.

On a laptop without them a test skips with the reason; under ``CI=true`` it fails,
because CI must exercise them.
"""

from __future__ import annotations

import os
import shutil

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"
POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def unavailable(reason: str):
    """Skip locally; fail under CI, where every service must be there."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: this service is required)")
    pytest.skip(reason)


def require_postgres() -> str:
    import sqlalchemy as sa

    try:
        engine = sa.create_engine(POSTGRES_URL)
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 (any failure means "not reachable")
        unavailable(f"PostgreSQL not reachable at {POSTGRES_URL}: {exc.__class__.__name__}")
    return POSTGRES_URL


def require_redis() -> str:
    import redis

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping()
    except Exception as exc:  # noqa: BLE001
        unavailable(f"Redis not reachable at {REDIS_URL}: {exc.__class__.__name__}")
    return REDIS_URL


def require_chromium() -> str:
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        unavailable(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        unavailable("Python Playwright is not installed (pip install -e .[test])")
    return CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")


def fresh_postgres_database(name: str) -> str:
    """Create (or re-create) a database for this test process and return its URL.

    Its name is ``name`` with the process id appended, so that the SQLite and PostgreSQL
    passes of the suite, which ``make test`` runs side by side, never drop each other's.
    """
    import sqlalchemy as sa

    name = f"{name}_{os.getpid()}"
    base = sa.engine.make_url(require_postgres())
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgres_database(url: str) -> None:
    """Drop the database of ``url`` (made by :func:`fresh_postgres_database`)."""
    import sqlalchemy as sa

    name = sa.engine.make_url(url).database
    admin = sa.create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
