"""The audit chain survives an intruder who controls its database, but not its key.

The intruder here can run any SQL on the audit tables and knows the hashing algorithm;
the key (``AUDIT_HMAC_KEY``) and the checkpoint files live outside the database. Each
scenario of the security review is replayed: rewriting an entry and recomputing every
later hash, cutting entries off the end and moving the head back, emptying the log and
resetting the head.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import delete, select, update

from app import audit
from app.audit import checkpoints, keys
from app.audit.models import HEAD_ID, AuditEntry, AuditHead
from app.audit.service import GENESIS_HASH, canonical_form, verify_chain
from app.config import ConfigError, load_config
from tests.factories import make_user

ENTRIES = AuditEntry.__table__
HEAD = AuditHead.__table__
pytestmark = pytest.mark.usefixtures("audit_triggers_off")


def _append(count: int, start: int = 1) -> list[AuditEntry]:
    actor = make_user("officer")
    made = [
        audit.record(actor, f"case.step{n}", "case", n, detail={"n": n})
        for n in range(start, start + count)
    ]
    audit.record(None, "test.padding", "test")  # so the actor's own entries come first
    return made


@pytest.fixture
def chain(db):
    """Ten committed entries (the user factory records some too) and a checkpoint of the head."""
    _append(9)
    db.session.commit()
    checkpoints.checkpoint_head()
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()


def _stored() -> list[AuditEntry]:
    from app.extensions import db

    db.session.expire_all()
    return db.session.scalars(select(AuditEntry).order_by(AuditEntry.seq)).all()


def _rehash_from(seq: int, digest) -> None:
    """Recompute every hash from entry ``seq`` on with ``digest`` and move the head: the forger."""
    from app.extensions import db

    entries = _stored()
    prev = entries[seq - 2].entry_hash if seq > 1 else GENESIS_HASH
    for entry in entries[seq - 1 :]:
        entry.prev_hash = prev
        prev = digest(canonical_form(entry))
        db.session.execute(
            update(ENTRIES)
            .where(ENTRIES.c.seq == entry.seq)
            .values(prev_hash=entry.prev_hash, entry_hash=prev)
        )
    db.session.execute(update(HEAD).values(last_seq=entries[-1].seq, last_hash=prev))


def _plain_sha256(message: bytes) -> str:
    return hashlib.sha256(message).hexdigest()


def _guessed_key(message: bytes) -> str:
    return keys.seal(message, b"a guessed key")


def test_the_checkpointed_chain_verifies(db, chain):
    result = verify_chain()
    assert result.ok, result
    assert result.checkpoint_seq == chain[-1].seq == result.checked


@pytest.mark.parametrize(
    "digest",
    [_plain_sha256, _guessed_key],
    ids=["public-sha256", "wrong-key"],
)
def test_rewriting_an_entry_and_recomputing_every_later_hash_is_detected(db, chain, digest):
    target = chain[4].seq
    db.session.execute(
        update(ENTRIES).where(ENTRIES.c.seq == target).values(actor_name="someone.else")
    )
    _rehash_from(target, digest)
    result = verify_chain()
    assert (result.ok, result.first_broken_seq) == (False, target)
    assert result.reason == "content does not match its hash"


def test_cutting_off_the_tail_and_moving_the_head_back_is_detected(db, chain):
    keep = chain[-6]
    db.session.execute(delete(ENTRIES).where(ENTRIES.c.seq > keep.seq))
    db.session.execute(update(HEAD).values(last_seq=keep.seq, last_hash=keep.entry_hash))
    result = verify_chain()
    assert result.ok is False
    assert result.checked == keep.seq
    assert result.first_broken_seq == keep.seq + 1
    assert f"checkpoint records entry #{chain[-1].seq}" in result.reason


def test_deleting_everything_and_resetting_the_head_is_detected(db, chain):
    db.session.execute(delete(ENTRIES))
    db.session.execute(update(HEAD).values(last_seq=0, last_hash=GENESIS_HASH))
    result = verify_chain()
    assert (result.ok, result.checked, result.first_broken_seq) == (False, 0, 1)
    assert "entries missing from the end" in result.reason


def test_replacing_the_whole_log_with_a_fresh_plausible_one_is_detected(db, chain):
    db.session.execute(delete(ENTRIES).where(ENTRIES.c.seq > 1))
    _rehash_from(1, _plain_sha256)
    assert verify_chain().first_broken_seq == 1


def test_the_first_entry_is_checkpointed_without_anyone_asking(db, app):
    assert checkpoints.latest() is None
    audit.record(None, "test.first", "test")
    db.session.commit()
    first = checkpoints.latest()
    assert first is not None and first.seq == 1
    db.session.execute(delete(ENTRIES))
    db.session.execute(update(HEAD).values(last_seq=0, last_hash=GENESIS_HASH))
    assert verify_chain().ok is False


def test_a_checkpoint_is_written_every_n_entries_after_commit(db, app, monkeypatch):
    monkeypatch.setitem(app.config, "AUDIT_CHECKPOINT_EVERY", 4)
    seen = []
    for n in range(1, 10):
        audit.record(None, "test.step", "test", n)
        db.session.commit()
        latest = checkpoints.latest()
        seen.append(latest.seq if latest else None)
    assert seen == [1, 1, 1, 4, 4, 4, 4, 8, 8]


def test_a_rolled_back_append_writes_no_checkpoint(db, app):
    audit.record(None, "test.first", "test")
    db.session.rollback()
    assert checkpoints.latest() is None


def test_a_checkpoint_file_edited_without_the_key_is_refused(db, chain):
    folder = checkpoints.directory()
    newest = sorted(folder.glob("checkpoint-*.json"))[-1]
    data = json.loads(newest.read_text())
    data["seq"] = 3
    forged = folder / "checkpoint-99999999999999999999.json"
    forged.write_text(json.dumps(data))
    result = verify_chain()
    assert result.ok is False
    assert "not signed with the audit key" in result.reason


def test_a_retired_key_still_verifies_its_entries_but_cannot_seal_later_ones(db, app, chain):
    old_key = app.config["AUDIT_HMAC_KEY"]
    rotated = {"AUDIT_HMAC_KEY": "a-new-audit-key", "AUDIT_HMAC_RETIRED_KEYS": [old_key]}
    with pytest.MonkeyPatch.context() as patch:
        for name, value in rotated.items():
            patch.setitem(app.config, name, value)
        assert verify_chain().ok
        audit.record(None, "test.after_rotation", "test")
        audit.record(None, "test.after_rotation", "test")
        db.session.commit()
        assert verify_chain().ok
        # Someone holding the leaked old key reseals the newest entry with it.
        last = _stored()[-1]
        _rehash_from(last.seq, lambda message: keys.seal(message, old_key.encode()))
        result = verify_chain()
        assert (result.ok, result.first_broken_seq) == (False, last.seq)


def test_the_head_row_gone_is_detected(db, chain):
    db.session.execute(delete(HEAD).where(HEAD.c.id == HEAD_ID))
    assert verify_chain().ok is False


# The command line -----------------------------------------------------------------------


def test_cli_checkpoint_prints_a_signed_line_and_stores_it(app, db, chain):
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 0, result.output
    printed = checkpoints.parse(result.output.strip())
    assert printed == checkpoints.latest()
    assert printed.seq == _stored()[-1].seq


def test_cli_checkpoint_refuses_a_broken_chain(app, db, chain):
    db.session.execute(update(ENTRIES).where(ENTRIES.c.seq == 2).values(action="x.y"))
    result = app.test_cli_runner().invoke(args=["audit", "checkpoint"])
    assert result.exit_code == 1
    assert "no checkpoint written" in result.output


def test_cli_verify_against_an_off_site_copy_finds_truncation_after_files_are_gone(
    app, db, chain, tmp_path
):
    off_site = tmp_path / "checkpoint.json"
    off_site.write_text(checkpoints.latest().as_line())
    for stored in checkpoints.directory().glob("*.json"):
        stored.unlink()
    keep = chain[2]
    db.session.execute(delete(ENTRIES).where(ENTRIES.c.seq > keep.seq))
    db.session.execute(update(HEAD).values(last_seq=keep.seq, last_hash=keep.entry_hash))
    runner = app.test_cli_runner()
    assert runner.invoke(args=["audit", "verify"]).exit_code == 0  # nothing left to compare
    result = runner.invoke(args=["audit", "verify", "--checkpoint", str(off_site)])
    assert result.exit_code == 1
    assert f"checkpoint records entry #{chain[-1].seq}" in result.output


def test_cli_verify_refuses_an_unsigned_off_site_copy(app, db, chain, tmp_path):
    forged = tmp_path / "checkpoint.json"
    forged.write_text(json.dumps({"seq": 1, "hash": "0", "written_at": "x", "signature": "y"}))
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--checkpoint", str(forged)])
    assert result.exit_code == 1
    assert "not signed with the audit key" in result.output


# Configuration ----------------------------------------------------------------------------


def test_the_audit_key_is_required_outside_development(monkeypatch):
    monkeypatch.setenv("BRIDGEWORK_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "s" * 64)
    monkeypatch.delenv("AUDIT_HMAC_KEY", raising=False)
    with pytest.raises(ConfigError, match="AUDIT_HMAC_KEY"):
        load_config()
    monkeypatch.setenv("AUDIT_HMAC_KEY", "k" * 64)
    assert load_config()["AUDIT_HMAC_KEY"] == "k" * 64
