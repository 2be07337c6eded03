"""Read-only requests end with COMMIT on PostgreSQL, so psycopg keeps its prepared statements.

A request whose transaction sent anything but SELECT keeps ending with ROLLBACK: an
uncommitted write is never committed by the end of a request, whether the view answered
normally, answered an error it handled, or raised. It runs in a database of its own, on a
pool of one connection, so that the connection the requests used is the one inspected.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import abort

from app.accounts.models import Region
from app.extensions import db
from tests.second_app import second_app
from tests.services import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.one_pass("postgres")]

READ_PATH = "/test-read-only"


@pytest.fixture(scope="module")
def pg_app(app, tmp_path_factory):
    config = {
        "SQLALCHEMY_DATABASE_URI": fresh_postgres_database("bridgework_prepared_plans"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 1, "max_overflow": 0},
        "AUDIT_CHECKPOINT_DIR": str(tmp_path_factory.mktemp("prepared-plans-checkpoints")),
    }
    with second_app(config) as pg:
        _add_test_views(pg)
        yield pg


def _add_test_views(pg) -> None:
    def read_only():
        count = db.session.execute(sa.select(sa.func.count()).select_from(Region)).scalar()
        return str(count)

    def write_then_answer():
        db.session.add(Region(code="W1", name="Written, not committed", jurisdiction="HK"))
        db.session.flush()
        return "ok"

    def write_then_refuse():
        db.session.add(Region(code="W2", name="Written, then refused", jurisdiction="HK"))
        db.session.flush()
        abort(409)

    def write_then_fail():
        db.session.add(Region(code="W3", name="Written, then failed", jurisdiction="HK"))
        db.session.flush()
        raise RuntimeError("the view failed after writing")

    pg.add_url_rule(READ_PATH, "test_read_only", read_only)
    pg.add_url_rule("/test-write", "test_write", write_then_answer)
    pg.add_url_rule("/test-write-refused", "test_write_refused", write_then_refuse)
    pg.add_url_rule("/test-write-failed", "test_write_failed", write_then_fail)


def _prepared_statements(pg) -> list[str]:
    with pg.app_context():
        rows = db.session.execute(sa.text("SELECT statement FROM pg_prepared_statements"))
        statements = [row[0] for row in rows]
        db.session.remove()
    return statements


def _region_codes(pg) -> set[str]:
    with pg.app_context():
        codes = set(db.session.execute(sa.select(Region.code)).scalars())
        db.session.remove()
    return codes


def test_a_repeated_read_only_request_is_prepared_once_and_kept(pg_app):
    client = pg_app.test_client()
    for _ in range(6):
        assert client.get(READ_PATH).status_code == 200

    prepared = _prepared_statements(pg_app)

    assert any("count(*)" in statement and "regions" in statement for statement in prepared)


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [("/test-write", 200, "W1"), ("/test-write-refused", 409, "W2")],
)
def test_a_request_that_wrote_without_committing_is_rolled_back(pg_app, path, status, code):
    client = pg_app.test_client()

    assert client.get(path).status_code == status

    assert code not in _region_codes(pg_app)


def test_a_request_that_failed_after_writing_is_rolled_back(pg_app):
    pg_app.testing = False
    try:
        response = pg_app.test_client().get("/test-write-failed")
    finally:
        pg_app.testing = True

    assert response.status_code == 500
    assert "W3" not in _region_codes(pg_app)
