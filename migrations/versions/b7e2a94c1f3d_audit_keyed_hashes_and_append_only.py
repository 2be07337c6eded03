"""audit: keyed hashes, and append-only tables on PostgreSQL

Existing entries were sealed with plain SHA-256. They are verified with it, then sealed
again with HMAC-SHA256 under AUDIT_HMAC_KEY (the upgrade refuses to bless a broken
chain). On PostgreSQL, triggers then refuse UPDATE, DELETE and TRUNCATE on
audit_entries, and on audit_head everything but moving the head forward onto an entry
that exists with that hash (checked at commit, when the appended entry is in place).

Revision ID: b7e2a94c1f3d
Revises: 5c1f3e7a9b20
Create Date: 2026-11-30 19:20:00.000000

"""
import hashlib
from types import SimpleNamespace

import sqlalchemy as sa
from alembic import op
from flask import current_app

# revision identifiers, used by Alembic.
revision = 'b7e2a94c1f3d'
down_revision = '5c1f3e7a9b20'
branch_labels = None
depends_on = None

GENESIS_HASH = "0" * 64

entries = sa.table(
    "audit_entries",
    sa.column("seq", sa.BigInteger),
    sa.column("created_at", sa.DateTime),
    sa.column("actor_id", sa.Integer),
    sa.column("actor_name", sa.String),
    sa.column("action", sa.String),
    sa.column("object_type", sa.String),
    sa.column("object_id", sa.String),
    sa.column("department_id", sa.Integer),
    sa.column("workspace_id", sa.Integer),
    sa.column("detail", sa.JSON),
    sa.column("prev_hash", sa.String),
    sa.column("entry_hash", sa.String),
)
head = sa.table(
    "audit_head", sa.column("id", sa.Integer), sa.column("last_seq", sa.BigInteger),
    sa.column("last_hash", sa.String),
)

APPEND_ONLY_SQL = """
CREATE FUNCTION audit_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit log is append-only: % on % refused', TG_OP, TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION audit_head_moves_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.last_seq <= OLD.last_seq THEN
        RAISE EXCEPTION 'audit head may only move forward (from % to %)', OLD.last_seq, NEW.last_seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;

CREATE FUNCTION audit_head_names_an_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM audit_entries
                   WHERE seq = NEW.last_seq AND entry_hash = NEW.last_hash) THEN
        RAISE EXCEPTION 'audit head names entry % but no such entry exists', NEW.last_seq
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER audit_entries_append_only BEFORE UPDATE OR DELETE ON audit_entries
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_entries_no_truncate BEFORE TRUNCATE ON audit_entries
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_no_truncate BEFORE TRUNCATE ON audit_head
    FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse_change();
CREATE TRIGGER audit_head_forward_only BEFORE UPDATE ON audit_head
    FOR EACH ROW EXECUTE FUNCTION audit_head_moves_forward();
CREATE CONSTRAINT TRIGGER audit_head_on_an_entry AFTER UPDATE ON audit_head
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION audit_head_names_an_entry();
"""

DROP_APPEND_ONLY_SQL = """
DROP TRIGGER IF EXISTS audit_head_on_an_entry ON audit_head;
DROP TRIGGER IF EXISTS audit_head_forward_only ON audit_head;
DROP TRIGGER IF EXISTS audit_head_no_truncate ON audit_head;
DROP TRIGGER IF EXISTS audit_head_no_delete ON audit_head;
DROP TRIGGER IF EXISTS audit_entries_no_truncate ON audit_entries;
DROP TRIGGER IF EXISTS audit_entries_append_only ON audit_entries;
DROP FUNCTION IF EXISTS audit_head_names_an_entry();
DROP FUNCTION IF EXISTS audit_head_moves_forward();
DROP FUNCTION IF EXISTS audit_refuse_change();
"""


def _plain(message: bytes) -> str:
    return hashlib.sha256(message).hexdigest()


def _keyed(message: bytes) -> str:
    from app.audit.keys import seal

    return seal(message, current_app.config["AUDIT_HMAC_KEY"].encode("utf-8"))


def _reseal(check, seal) -> None:
    """Verify every entry with ``check``, then rewrite the chain's hashes with ``seal``.

    Raises:
        RuntimeError: the chain does not verify with ``check``: nothing is changed.
    """
    from app.audit.service import canonical_form

    connection = op.get_bind()
    rows = connection.execute(sa.select(entries).order_by(entries.c.seq)).mappings().all()
    if not rows:
        return
    if not current_app.config.get("AUDIT_HMAC_KEY"):
        raise RuntimeError("AUDIT_HMAC_KEY must be set to migrate an audit log with entries.")
    old_prev, new_prev, updates = GENESIS_HASH, GENESIS_HASH, []
    for number, row in enumerate(rows, start=1):
        entry = SimpleNamespace(**row)
        if row["seq"] != number or row["prev_hash"] != old_prev:
            raise RuntimeError(f"Audit chain broken at entry #{number}: not migrated.")
        if check(canonical_form(entry)) != row["entry_hash"]:
            raise RuntimeError(f"Audit entry #{number} does not match its hash: not migrated.")
        old_prev = row["entry_hash"]
        entry.prev_hash = new_prev
        new_prev = seal(canonical_form(entry))
        updates.append({"s": row["seq"], "p": entry.prev_hash, "h": new_prev})
    statement = (
        entries.update()
        .where(entries.c.seq == sa.bindparam("s"))
        .values(prev_hash=sa.bindparam("p"), entry_hash=sa.bindparam("h"))
    )
    connection.execute(statement, updates)
    connection.execute(head.update().values(last_seq=len(rows), last_hash=new_prev))


def upgrade():
    _reseal(_plain, _keyed)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(APPEND_ONLY_SQL)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(DROP_APPEND_ONLY_SQL)
    _reseal(_keyed, _plain)
