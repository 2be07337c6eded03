"""The schema comes only from the Alembic migrations, so they must agree with the models.

Each database test migrates a brand-new database through a small app that binds only the
database and the migrations (a second full app would rebind the shared Socket.IO server).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pprint import pformat

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from flask_migrate import Migrate, downgrade, upgrade

from app.extensions import db, migrate
from tests.services import drop_postgres_database, fresh_postgres_database

pytestmark = pytest.mark.one_pass("sqlite")


@contextmanager
def migration_app(url: str) -> Iterator[Flask]:
    """An app context bound to ``url`` with the project's migrations and Alembic options."""
    app = Flask("bridgework-migrations")
    app.config["SQLALCHEMY_DATABASE_URI"] = url
    db.init_app(app)
    Migrate(app, db, directory=migrate.directory, **migrate.alembic_ctx_kwargs)
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            for engine in db.engines.values():
                engine.dispose()


def schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": migrate.alembic_ctx_kwargs.get("compare_type")}
        )
        return compare_metadata(context, db.metadata)


def table_names() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request, tmp_path) -> Iterator[str]:
    """A new, empty database; on PostgreSQL one per test process, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    url = fresh_postgres_database("bridgework_migrations")
    try:
        yield url
    finally:
        drop_postgres_database(url)


def test_migrations_have_exactly_one_head(app):
    config = Config()
    config.set_main_option("script_location", migrate.directory)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several Alembic heads, merge them: {heads}"


def test_upgrade_of_empty_database_matches_the_models(app, empty_database):
    with migration_app(empty_database):
        assert table_names() == set()
        upgrade()
        differences = schema_differences()
    assert differences == [], "migrations and models differ:\n" + pformat(differences)


def test_downgrade_to_base_and_upgrade_again_gives_the_same_schema(app, empty_database):
    with migration_app(empty_database):
        upgrade()
        migrated_tables = table_names()
        downgrade(revision="base")
        assert table_names() <= {"alembic_version"}
        upgrade()
        assert table_names() == migrated_tables
        differences = schema_differences()
    assert differences == [], "schema after downgrade and upgrade differs:\n" + pformat(differences)
