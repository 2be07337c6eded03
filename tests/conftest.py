"""Fixtures: one app per session on a migrated database, a rolled-back transaction per test.

Set ``TEST_DATABASE_URL`` (e.g. ``postgresql+psycopg://postgres@127.0.0.1:5432/test``) to
run the whole suite on PostgreSQL; its ``public`` schema is dropped and migrated afresh.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import sqlalchemy as sa
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import event
from sqlalchemy.orm import scoped_session, sessionmaker

from app import create_app
from app.extensions import db as _db
from app.extensions import limiter
from tests import factories
from tests.services import require_postgres

PASSES = ("sqlite", "postgres")


def pytest_collection_modifyitems(config, items):
    """Under ``make test``, leave out the tests that the other pass runs.

    ``make test`` runs the suite twice, side by side, and names each run in ``TEST_PASS``.
    A test marked ``one_pass(name)`` does not depend on the database of the pass (it makes
    its own, or none), so running it twice would only repeat it: it runs in the pass
    ``name`` alone. Without ``TEST_PASS`` (a bare ``pytest``, ``make test-sqlite``) every
    test runs.
    """
    current = os.environ.get("TEST_PASS", "")
    if current and current not in PASSES:
        raise pytest.UsageError(f"TEST_PASS={current!r}: expected one of {PASSES}")
    kept, left_out = [], []
    for item in items:
        marker = item.get_closest_marker("one_pass")
        if marker is None:
            kept.append(item)
            continue
        (home,) = marker.args
        if home not in PASSES:
            raise pytest.UsageError(f"{item.nodeid}: one_pass({home!r}), expected one of {PASSES}")
        (kept if not current or home == current else left_out).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite'}"
    if url.startswith("postgresql"):
        os.environ.setdefault("TEST_POSTGRES_URL", url)
        require_postgres()
        engine = sa.create_engine(url)
        with engine.begin() as conn:
            conn.execute(sa.text("DROP SCHEMA public CASCADE"))
            conn.execute(sa.text("CREATE SCHEMA public"))
        engine.dispose()
    return url


def compile_catalogs(directory: Path) -> list[Path]:
    """Compile each ``.po`` catalog whose ``.mo`` is missing or older, as ``make install`` does.

    The ``.mo`` files are not in git, so without this a bare ``pytest`` on a fresh clone
    would show English where the tests expect Chinese.
    """
    compiled = []
    for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        with po_path.open("rb") as po:
            catalog = read_po(po, locale=po_path.parent.parent.name)
        with mo_path.open("wb") as mo:
            write_mo(mo, catalog)
        compiled.append(mo_path)
    return compiled


@pytest.fixture(scope="session", autouse=True)
def translations_compiled():
    compile_catalogs(Path(__file__).resolve().parent.parent / "app" / "translations")


def _engine_options(url: str) -> dict:
    """The app's engine options (``pool_pre_ping``, as in app/config.py), JIT off on PostgreSQL.

    The suite's tables are never analysed (CI's PostgreSQL runs with ``autovacuum = off``,
    and each test's rows are rolled back), so the planner guesses their sizes from their
    pages, which the run's dead rows keep adding to. The eager-loading reads of a workspace
    then cross ``jit_above_cost``, and PostgreSQL spent 5-7 s compiling each one for rows
    read in a millisecond: the PostgreSQL pass's page tests ran 20 times slower in the
    whole suite than alone. JIT changes how a plan runs, never what it returns.
    """
    options: dict = {"pool_pre_ping": True}
    if url.startswith("postgresql"):
        options["connect_args"] = {"options": "-c jit=off"}
    return options


@pytest.fixture(scope="session")
def app(tmp_path_factory, translations_compiled):
    url = _database_url(tmp_path_factory)
    app = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": url,
            "SQLALCHEMY_ENGINE_OPTIONS": _engine_options(url),
            "STORAGE_DIR": str(tmp_path_factory.mktemp("storage")),
            "AUDIT_CHECKPOINT_DIR": str(tmp_path_factory.mktemp("audit-checkpoints")),
            "SERVER_NAME": "bridgework.test",
            # The cheapest argon2 parameters: the suite hashes hundreds of passwords.
            "PASSWORD_HASH_TIME_COST": 1,
            "PASSWORD_HASH_MEMORY_KIB": 1024,
        }
    )
    with app.app_context():
        upgrade()
    return app


@pytest.fixture
def db(app):
    """A session joined into an outer transaction that is rolled back after the test.

    Services call ``commit()``; here that only releases a SAVEPOINT, so every test
    starts from the migrated, empty database.
    """
    with app.app_context(), rolled_back_connection() as connection:
        limiter.reset()
        _forget_audit_checkpoints(app)
        with session_joined_to(connection):
            yield _db


@contextmanager
def rolled_back_connection() -> Iterator[sa.Connection]:
    """A connection in a transaction that is rolled back, whatever was committed on it."""
    connection = _db.engine.connect()
    outer = connection.begin()
    try:
        yield connection
    finally:
        outer.rollback()
        connection.close()


@contextmanager
def session_joined_to(connection: sa.Connection) -> Iterator[None]:
    """Make ``db.session`` work on ``connection``, its commits releasing SAVEPOINTs only."""
    original = _db.session
    _db.session = scoped_session(
        sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
        scopefunc=original.registry.scopefunc,
    )
    try:
        yield
    finally:
        _db.session.remove()
        _db.session = original


@contextmanager
def savepoint_for_one_test(app, connection: sa.Connection) -> Iterator[None]:
    """Run a test on ``connection`` in a SAVEPOINT rolled back at its end.

    For data built once for many tests (in a :func:`rolled_back_connection`): each test
    starts from that data as if it had just been built, as the ``db`` fixture's tests start
    from an empty database.
    """
    with app.app_context():
        savepoint = connection.begin_nested()
        limiter.reset()
        _forget_audit_checkpoints(app)
        try:
            with session_joined_to(connection):
                yield
        finally:
            savepoint.rollback()


def _forget_audit_checkpoints(app) -> None:
    """Checkpoint files outlive the rolled-back transaction that wrote them: drop them."""
    for stale in Path(app.config["AUDIT_CHECKPOINT_DIR"]).glob("*.json"):
        stale.unlink()


@pytest.fixture
def audit_triggers_off(db):
    """Tamper with the audit tables as their owner could, past the append-only triggers.

    On PostgreSQL the triggers refuse UPDATE and DELETE; tampering tests play an intruder
    who got past them, so triggers are off for this test's transaction (the setting is
    undone with the transaction). SQLite has no triggers to switch off.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.text("SET session_replication_role = replica"))


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The ``db`` fixture keeps an app context open for the whole test; without this, each
    request would reuse it and share ``g`` (the signed-in user, the CSRF token) with the
    test and with every other client. Each request therefore has its own session (on the
    same connection), and the test's objects are expired afterwards so they reload.
    """

    def open(self, *args, **kwargs):
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        # The request committed through its own session: the test's objects reload.
        _db.session.expire_all()
        return response


@pytest.fixture
def client(app, db):
    app.test_client_class = FreshContextClient
    return app.test_client()


class QueryCounter:
    def __init__(self):
        self.statements: list[str] = []

    def __call__(self, conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK TO")):
            self.statements.append(statement)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture
def count_queries(db):
    """``with count_queries() as counter:`` counts the SQL statements run inside."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        counter = QueryCounter()
        event.listen(_db.engine, "before_cursor_execute", counter)
        try:
            yield counter
        finally:
            event.remove(_db.engine, "before_cursor_execute", counter)

    return counting


def login(client, user, password: str = factories.PASSWORD):
    """Sign ``user`` in through the real form, CSRF token included."""
    page = client.get("/login")
    token = _csrf_from(page.get_data(as_text=True))
    response = client.post(
        "/login", data={"username": user.username, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def _csrf_from(html: str) -> str:
    import re

    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', html
    )
    assert match, "no CSRF token on the page"
    return match.group(1)


def csrf_token(client, path: str = "/") -> str:
    return _csrf_from(client.get(path).get_data(as_text=True))


@pytest.fixture
def make_token(db):
    """Create an API token for a user and return the ``Authorization`` header for it."""
    from app.accounts.service import create_token

    def _make(user, name: str = "test"):
        _token, secret = create_token(user, name=name)
        return {"Authorization": f"Bearer {secret}"}

    return _make
