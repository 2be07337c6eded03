"""The audit chain is tamper-evident: any change to any stored entry is found and located.

Tampering is done the way an intruder with database access would: SQL UPDATE and
DELETE statements straight on the table, bypassing the application.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DataError

from app import audit
from app.actions import action
from app.audit.models import AuditEntry, AuditHead
from app.audit.service import GENESIS_HASH, compute_hash, verify_chain
from app.audit.verification import verify
from app.cli import audit_verify
from app.errors import Forbidden
from tests.factories import make_user

TABLE = AuditEntry.__table__
pytestmark = pytest.mark.usefixtures("audit_triggers_off")


@pytest.fixture
def chain(db):
    """Five entries with every column filled in, committed (to the test's savepoint)."""
    actor = make_user("head", username="henry.wong")
    made = [
        audit.record(
            actor,
            f"case.step{n}",
            "case",
            100 + n,
            detail={"n": n, "note": f"step {n}", "tags": ["flood", "north"]},
            workspace_id=7,
        )
        for n in range(1, 6)
    ]
    db.session.commit()
    return made


def _tampered_value(column: str, entry: AuditEntry):
    """A different, well-typed value for ``column`` of ``entry``."""
    return {
        "seq": entry.seq + 1000,
        "created_at": entry.created_at + timedelta(seconds=1),
        "actor_id": (entry.actor_id or 0) + 1,
        "actor_name": "someone.else",
        "action": "case.nothing_happened",
        "object_type": "dataset",
        "object_id": "999",
        "department_id": (entry.department_id or 0) + 1,
        "workspace_id": (entry.workspace_id or 0) + 1,
        "detail": {"n": 0, "note": "rewritten", "tags": []},
        "prev_hash": "f" * 64,
        "entry_hash": "e" * 64,
    }[column]


STORED_COLUMNS = [c.name for c in TABLE.columns if c.name != "id"]


def test_every_stored_column_is_covered_by_the_tampering_tests():
    assert set(STORED_COLUMNS) == {
        "seq", "created_at", "actor_id", "actor_name", "action", "object_type", "object_id",
        "department_id", "workspace_id", "detail", "prev_hash", "entry_hash",
    }  # fmt: skip


def test_an_untouched_chain_verifies(db, chain):
    result = verify_chain()
    assert result.ok
    assert result.checked == len(chain)
    assert result.first_broken_seq is None and result.reason is None


def test_an_empty_chain_verifies(db):
    result = verify_chain()
    assert result.ok and result.checked == 0


def test_entries_link_to_their_predecessor_and_hash_their_content(db, chain):
    assert chain[0].seq == 1 and chain[0].prev_hash == GENESIS_HASH
    for previous, entry in zip(chain, chain[1:], strict=False):
        assert entry.seq == previous.seq + 1
        assert entry.prev_hash == previous.entry_hash
        assert entry.entry_hash == compute_hash(entry)
    head = db.session.get(AuditHead, 1)
    assert (head.last_seq, head.last_hash) == (chain[-1].seq, chain[-1].entry_hash)


@pytest.mark.parametrize("position", [0, 2, 4], ids=["first", "middle", "last"])
@pytest.mark.parametrize("column", STORED_COLUMNS)
def test_changing_any_column_of_any_entry_is_detected(db, chain, column, position):
    target = chain[position]
    seq = target.seq
    db.session.execute(
        update(TABLE).where(TABLE.c.seq == seq).values({column: _tampered_value(column, target)})
    )
    result = verify_chain()
    assert result.ok is False
    assert result.first_broken_seq == seq
    assert result.checked == seq - 1
    assert result.reason


def test_a_subtle_change_inside_the_detail_is_detected(db, chain):
    target = chain[1]
    detail = dict(target.detail, tags=["flood", "south"])
    db.session.execute(update(TABLE).where(TABLE.c.seq == target.seq).values(detail=detail))
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, target.seq)


def test_a_stored_time_written_as_other_text_is_detected(db, chain):
    """SQL may store a time the app never writes ('yesterday' is one PostgreSQL accepts;
    SQLite keeps it as text): verification reports the entry rather than failing."""
    target = chain[3]
    db.session.execute(
        text("UPDATE audit_entries SET created_at = 'yesterday' WHERE seq = :seq"),
        {"seq": target.seq},
    )
    result = verify_chain()
    assert (result.ok, result.first_broken_seq, result.checked) == (False, target.seq, 3)
    assert result.reason == "content does not match its hash"


def test_a_stored_detail_that_is_not_json_is_detected_or_refused(db, chain):
    """SQLite stores any text in the detail column: verification reports the entry.
    PostgreSQL's json column refuses such text, so the chain cannot hold it there."""
    target = chain[2]
    forge = text("UPDATE audit_entries SET detail = '{\"n\": ' WHERE seq = :seq")
    if db.session.get_bind().dialect.name == "postgresql":
        with pytest.raises(DataError), db.session.begin_nested():
            db.session.execute(forge, {"seq": target.seq})
        assert verify_chain().ok
        return
    db.session.execute(forge, {"seq": target.seq})
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, target.seq)


def test_verification_streams_rows_of_a_chain_longer_than_one_fetch(db, monkeypatch):
    """More entries than the server-side cursor fetches at a time: all of them checked."""
    import app.audit.service

    monkeypatch.setattr(app.audit.service, "_STREAM_BATCH", 3)
    actor = make_user("head", username="henry.wong")
    for n in range(10):
        audit.record(actor, "case.step", "case", n)
    db.session.commit()
    assert verify_chain().checked == 10
    db.session.execute(update(TABLE).where(TABLE.c.seq == 8).values(action="case.forged"))
    assert (verify_chain().ok, verify_chain().first_broken_seq) == (False, 8)


def test_rehashing_a_changed_entry_still_breaks_the_next_link(db, chain):
    target = chain[2]
    target.actor_name = "someone.else"
    forged = compute_hash(target)
    db.session.execute(
        update(TABLE)
        .where(TABLE.c.seq == target.seq)
        .values(actor_name="someone.else", entry_hash=forged)
    )
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, target.seq + 1)


def test_deleting_a_middle_entry_is_detected(db, chain):
    db.session.execute(delete(TABLE).where(TABLE.c.seq == chain[2].seq))
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, chain[2].seq)
    assert "missing" in result.reason


def test_deleting_the_first_entry_is_detected(db, chain):
    db.session.execute(delete(TABLE).where(TABLE.c.seq == chain[0].seq))
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, 1)


def test_deleting_the_last_entry_is_detected(db, chain):
    db.session.execute(delete(TABLE).where(TABLE.c.seq == chain[-1].seq))
    result = verify_chain()
    assert result.ok is False
    assert result.first_broken_seq == chain[-1].seq
    assert result.checked == len(chain) - 1
    assert "end" in result.reason


def test_swapping_two_entries_is_detected(db, chain):
    first, second = chain[1].seq, chain[3].seq
    db.session.execute(update(TABLE).where(TABLE.c.seq == first).values(seq=-1))
    db.session.execute(update(TABLE).where(TABLE.c.seq == second).values(seq=first))
    db.session.execute(update(TABLE).where(TABLE.c.seq == -1).values(seq=second))
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, first)


def test_appending_after_verification_keeps_the_chain_whole(db, chain):
    assert verify_chain().ok
    audit.record(None, "auth.login_failed", "user", None, actor_name="intruder")
    db.session.commit()
    result = verify_chain()
    assert result.ok and result.checked == len(chain) + 1


def test_verification_reads_what_is_stored_not_what_the_session_remembers(db, chain):
    loaded = db.session.scalars(select(AuditEntry)).all()
    assert len(loaded) == len(chain)
    db.session.execute(
        update(TABLE).where(TABLE.c.seq == chain[0].seq).values(action="case.forged")
    )
    assert verify_chain().first_broken_seq == chain[0].seq


def test_verify_on_behalf_of_someone_needs_oversight_and_is_recorded(db, chain):
    with pytest.raises(Forbidden):
        verify(make_user("officer"))
    auditor = make_user("auditor")
    result = verify(auditor)
    assert result.ok and result.checked == len(chain)
    last = db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq.desc())).first()
    assert last.action == "audit.verified" and last.actor_id == auditor.id
    assert last.detail == result.as_dict()
    assert verify_chain().ok


def test_verify_is_an_action_so_an_enclosing_failure_leaves_no_record(db, chain):
    """Loose end of issue 14: verifying used to commit by itself, whatever surrounded it."""
    auditor = make_user("auditor")
    with pytest.raises(RuntimeError), action(auditor, "audit.exported"):
        assert verify(auditor).ok
        raise RuntimeError("the enclosing work failed")
    recorded = db.session.scalars(select(AuditEntry.action)).all()
    assert "audit.verified" not in recorded and len(recorded) == len(chain)


# The command line -------------------------------------------------------------------------


def test_cli_audit_verify_exits_0_when_intact(app, db, chain):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    assert f"{len(chain)} entries verified" in result.output


def test_cli_audit_verify_exits_1_and_names_the_broken_entry(app, db, chain):
    target = chain[3].seq
    db.session.execute(update(TABLE).where(TABLE.c.seq == target).values(object_id="1"))
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert f"BROKEN at entry #{target}" in result.output
    assert "does not match its hash" in result.output


def test_cli_command_is_the_registered_one(app):
    assert app.cli.get_command(None, "audit").get_command(None, "verify") is audit_verify
