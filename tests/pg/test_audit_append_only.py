"""On PostgreSQL the audit tables are append-only: the database itself refuses rewrites.

Runs on a database of its own, migrated from nothing, through a small app that binds only
the database (a second full app would rebind the suite's Socket.IO server).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate, upgrade

from app import audit
from app.audit.service import verify_chain
from app.extensions import db, migrate
from tests.services import drop_postgres_database, fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.one_pass("postgres")]

REFUSED = [
    "UPDATE audit_entries SET actor_name = 'someone.else' WHERE seq = 2",
    "DELETE FROM audit_entries WHERE seq = 3",
    "TRUNCATE audit_entries",
    "DELETE FROM audit_head",
    "TRUNCATE audit_head",
    "UPDATE audit_head SET last_seq = 1",
    "UPDATE audit_head SET last_seq = last_seq + 1, last_hash = repeat('a', 64)",
]


@pytest.fixture(scope="module")
def pg_audit_app(tmp_path_factory):
    url = fresh_postgres_database("bridgework_audit_append_only")
    app = Flask("bridgework-audit-append-only")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=url,
        AUDIT_HMAC_KEY="append-only-test-key",
        AUDIT_CHECKPOINT_DIR=str(tmp_path_factory.mktemp("checkpoints")),
        AUDIT_CHECKPOINT_EVERY=1000,
    )
    db.init_app(app)
    Migrate(app, db, directory=migrate.directory, **migrate.alembic_ctx_kwargs)
    with app.app_context():
        upgrade()
        for n in range(3):
            audit.record(None, "test.append", "test", n)
            db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()
    drop_postgres_database(url)


def _appended() -> int:
    return db.session.scalar(sa.text("SELECT count(*) FROM audit_entries"))


@pytest.mark.parametrize("statement", REFUSED)
def test_rewrites_of_the_audit_tables_are_refused(pg_audit_app, statement):
    before = _appended()
    with pytest.raises(sa.exc.DBAPIError) as refused:
        db.session.execute(sa.text(statement))
        db.session.commit()
    db.session.rollback()
    assert "audit" in str(refused.value)
    assert _appended() == before
    assert verify_chain().ok


def test_appending_still_works_and_the_chain_stays_whole(pg_audit_app):
    before = _appended()
    audit.record(None, "test.append", "test", "more")
    audit.record(None, "test.append", "test", "again")
    db.session.commit()
    assert _appended() == before + 2
    result = verify_chain()
    assert result.ok and result.checked == before + 2


def _readme_role_sql() -> str:
    """The README's INSERT-only role statements, as an operator would paste them."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```sql\n(-- as the owner of the database.*?)```", readme, re.S)
    assert block, "the README's Security section has no role SQL"
    return block.group(1)


def test_the_readmes_app_role_can_append_but_not_rewrite(pg_audit_app):
    role = f"bridgework_app_{os.getpid()}"
    database = db.engine.url.database
    statements = (
        _readme_role_sql()
        .replace("bridgework_app", role)
        .replace("DATABASE bridgework", f'DATABASE "{database}"')
        .replace("PASSWORD '...'", "PASSWORD 'not-used'")
    )
    db.session.execute(sa.text(f'DROP ROLE IF EXISTS "{role}"'))
    db.session.execute(sa.text(statements))
    db.session.commit()
    try:
        db.session.execute(sa.text(f'SET ROLE "{role}"'))
        audit.record(None, "test.as_app_role", "test")
        db.session.commit()
        for statement, refusal in [
            ("UPDATE audit_entries SET action = 'x.y'", "permission denied"),
            ("DELETE FROM audit_head", "permission denied"),
            ("ALTER TABLE audit_entries DISABLE TRIGGER USER", "must be owner"),
        ]:
            db.session.execute(sa.text(f'SET ROLE "{role}"'))
            with pytest.raises(sa.exc.ProgrammingError, match=refusal):
                db.session.execute(sa.text(statement))
            db.session.rollback()
    finally:
        db.session.rollback()
        db.session.execute(sa.text("RESET ROLE"))
        db.session.execute(sa.text(f'DROP OWNED BY "{role}"'))
        db.session.execute(sa.text(f'DROP ROLE "{role}"'))
        db.session.commit()
    assert verify_chain().ok
