"""Upgrading a database whose audit log was sealed with plain SHA-256 re-seals it with the key.

The upgrade checks the old chain first: a broken chain is refused, never blessed.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

import pytest
import sqlalchemy as sa
from flask_migrate import downgrade, upgrade

from app.audit.models import AuditEntry
from app.audit.service import GENESIS_HASH, canonical_form, verify_chain
from app.extensions import db
from tests.unit.test_migrations import migration_app

BEFORE_KEYS = "5c1f3e7a9b20"
KEYED = "b7e2a94c1f3d"
TABLE = AuditEntry.__table__


def _write_plain_chain(count: int) -> None:
    """Entries as the code before keyed hashes wrote them (no checkpoints then)."""
    prev, rows = GENESIS_HASH, []
    for seq in range(1, count + 1):
        entry = AuditEntry(
            seq=seq,
            created_at=datetime(2026, 11, 1, 8, seq),
            actor_id=None,
            actor_name="henry.wong",
            action="case.updated",
            object_type="case",
            object_id=str(seq),
            department_id=None,
            workspace_id=3,
            detail={"n": seq},
            prev_hash=prev,
        )
        entry.entry_hash = hashlib.sha256(canonical_form(entry)).hexdigest()
        rows.append({c.name: getattr(entry, c.name) for c in TABLE.columns if c.name != "id"})
        prev = entry.entry_hash
    db.session.execute(TABLE.insert(), rows)
    db.session.execute(
        sa.text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, :seq, :hash)"),
        {"seq": count, "hash": prev},
    )
    db.session.commit()


@pytest.fixture
def old_database(tmp_path):
    with migration_app(f"sqlite:///{tmp_path / 'old.sqlite'}") as app:
        app.config.update(
            AUDIT_HMAC_KEY="migration-test-key", AUDIT_CHECKPOINT_DIR=str(tmp_path / "cp")
        )
        upgrade(revision=BEFORE_KEYS)
        yield app


def test_an_intact_plain_chain_is_resealed_with_the_key(old_database):
    _write_plain_chain(4)
    assert verify_chain().ok is False  # the keyed check does not accept plain hashes
    db.session.rollback()  # end the read, so the next one sees the migration's work
    upgrade(revision=KEYED)
    result = verify_chain()
    assert result.ok and result.checked == 4
    db.session.rollback()
    downgrade(revision=BEFORE_KEYS)
    assert verify_chain().first_broken_seq == 1  # plain hashes again, as the old code wants


def test_a_broken_plain_chain_is_not_blessed(old_database):
    _write_plain_chain(3)
    db.session.execute(sa.text("UPDATE audit_entries SET actor_name = 'x' WHERE seq = 2"))
    db.session.commit()
    before = db.session.execute(sa.select(TABLE.c.entry_hash).order_by(TABLE.c.seq)).all()
    db.session.rollback()
    with pytest.raises(SystemExit):  # Flask-Migrate logs the RuntimeError and exits 1
        upgrade(revision=KEYED)
    assert db.session.execute(sa.select(TABLE.c.entry_hash).order_by(TABLE.c.seq)).all() == before
    assert db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) == BEFORE_KEYS
