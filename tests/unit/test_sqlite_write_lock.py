"""Two connections on one SQLite file: an action after a read waits for the lock, never fails.

A read opens a snapshot; once another connection commits, SQLite refuses that snapshot's
first write at once ("database is locked"). The outermost action claims the write lock
first (app.sqlite.claim_write_lock), so a change that follows a read goes through.
"""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import func, select

from app.actions import action
from app.audit.models import AuditEntry
from app.extensions import db
from tests.second_app import second_app

pytestmark = pytest.mark.one_pass("sqlite")


@pytest.fixture
def file_app(app, tmp_path):
    path = tmp_path / "bridgework.db"
    config = {
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}",
        "STORAGE_DIR": str(tmp_path / "storage"),
        "AUDIT_CHECKPOINT_DIR": str(tmp_path / "checkpoints"),
    }
    with second_app(config) as file_app, file_app.app_context():
        yield file_app, path


def _other_connection(path) -> sqlite3.Connection:
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    other.execute("PRAGMA busy_timeout=0")
    return other


def _record_something() -> None:
    with action(None, "system.checked", target=("system", None), actor_name="system"):
        pass


def test_an_action_after_a_stale_read_commits(file_app):
    _app, path = file_app
    before = db.session.scalar(select(func.count()).select_from(AuditEntry))
    other = _other_connection(path)
    other.execute("CREATE TABLE elsewhere (x INTEGER)")
    other.close()

    _record_something()

    check = _other_connection(path)
    after = check.execute("SELECT count(*) FROM audit_entries").fetchone()[0]
    check.close()
    assert after == before + 1


def test_the_action_holds_the_write_lock_from_its_start(file_app):
    _app, path = file_app
    db.session.scalar(select(func.count()).select_from(AuditEntry))
    other = _other_connection(path)
    with action(None, "system.checked", target=("system", None), actor_name="system"):
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
    other.execute("BEGIN IMMEDIATE")
    other.execute("ROLLBACK")
    other.close()
