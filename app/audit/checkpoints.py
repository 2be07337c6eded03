"""Signed checkpoints of the audit chain, kept outside the database.

The keyed hashes stop anyone without the key from forging entries, but not from
deleting them: cutting entries off the end and moving the head back, or emptying the
tables, leaves a shorter chain that is still internally consistent. A checkpoint
records (seq, hash) of the chain's head at a moment, signed with the audit key, in a
file under ``AUDIT_CHECKPOINT_DIR``; verification then requires the chain to reach
that entry with that hash. One is written after the commit that appends the first
entry and every ``AUDIT_CHECKPOINT_EVERY``-th one, and on demand by
``flask --app wsgi audit checkpoint``, which also prints it so a copy can be kept
off-site (where someone who controls the server cannot reach it).
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.audit import keys
from app.audit.models import HEAD_ID, AuditEntry, AuditHead
from app.common import utcnow
from app.extensions import db

_APPENDED = "bridgework_audit_appended"
_DUE = "bridgework_audit_checkpoint_due"
_PREFIX = "checkpoint-"


class CheckpointError(ValueError):
    """A checkpoint file or text is unreadable, or its signature is not the audit key's."""


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at ``written_at``: entry ``seq`` had hash ``entry_hash``."""

    seq: int
    entry_hash: str
    written_at: str
    signature: str = ""

    def _message(self) -> bytes:
        fields = f"{self.seq}:{self.entry_hash}:{self.written_at}"
        return f"bridgework-audit-checkpoint:{fields}".encode()

    def signed(self) -> Checkpoint:
        return Checkpoint(self.seq, self.entry_hash, self.written_at, keys.seal(self._message()))

    def has_valid_signature(self) -> bool:
        return any(keys.matches(self._message(), self.signature, key) for key in keys.keyring())

    def as_line(self) -> str:
        """One line of JSON, the form stored in files and printed for off-site copies."""
        return json.dumps(
            {
                "seq": self.seq,
                "hash": self.entry_hash,
                "written_at": self.written_at,
                "signature": self.signature,
            },
            sort_keys=True,
        )


def parse(text: str, source: str = "checkpoint") -> Checkpoint:
    """Read a checkpoint from its one-line JSON form and check its signature.

    Raises:
        CheckpointError: the text is not a checkpoint, or not signed with an audit key.
    """
    try:
        data = json.loads(text)
        checkpoint = Checkpoint(
            int(data["seq"]), str(data["hash"]), str(data["written_at"]), str(data["signature"])
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(f"{source} is not a readable audit checkpoint") from exc
    if not checkpoint.has_valid_signature():
        raise CheckpointError(f"{source} is not signed with the audit key")
    return checkpoint


def directory() -> Path:
    return Path(current_app.config["AUDIT_CHECKPOINT_DIR"])


def write(seq: int, entry_hash: str) -> Checkpoint:
    """Sign and store a checkpoint; the file appears whole or not at all."""
    checkpoint = Checkpoint(seq, entry_hash, utcnow().isoformat(timespec="seconds")).signed()
    folder = directory()
    folder.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=folder, prefix=".writing-")
    with os.fdopen(handle, "w", encoding="utf-8") as stream:
        stream.write(checkpoint.as_line() + "\n")
    os.replace(temporary, folder / f"{_PREFIX}{seq:020d}.json")
    return checkpoint


def latest() -> Checkpoint | None:
    """The stored checkpoint with the highest sequence number, or ``None`` if there is none.

    Raises:
        CheckpointError: that file is unreadable or its signature does not match.
    """
    folder = directory()
    files = sorted(folder.glob(f"{_PREFIX}*.json")) if folder.is_dir() else []
    if not files:
        return None
    return parse(files[-1].read_text(encoding="utf-8"), f"checkpoint file {files[-1].name}")


def checkpoint_head() -> Checkpoint:
    """Write a checkpoint of the chain's committed head (the genesis when it is empty)."""
    head = db.session.get(AuditHead, HEAD_ID, populate_existing=True)
    if head is None:
        return write(0, "0" * 64)
    return write(head.last_seq, head.last_hash)


def _due(seqs: list[int], every: int) -> bool:
    return any(seq == 1 or (every > 0 and seq % every == 0) for seq in seqs)


@event.listens_for(Session, "after_flush")
def _note_appended(session: Session, _context) -> None:
    appended = [obj.seq for obj in session.new if isinstance(obj, AuditEntry)]
    if appended:
        session.info.setdefault(_APPENDED, []).extend(appended)


@event.listens_for(Session, "before_commit")
def _decide_checkpoint(session: Session) -> None:
    """Take the head this transaction will commit, while it still holds the head's lock."""
    appended = session.info.pop(_APPENDED, [])
    if not appended or not has_app_context():
        return
    if _due(appended, current_app.config["AUDIT_CHECKPOINT_EVERY"]):
        head = session.get(AuditHead, HEAD_ID)
        if head is not None:
            session.info[_DUE] = (head.last_seq, head.last_hash)


@event.listens_for(Session, "after_commit")
def _write_due_checkpoint(session: Session) -> None:
    due = session.info.pop(_DUE, None)
    if due is None:
        return
    try:
        write(*due)
    except OSError:
        # The entries are committed; a missing checkpoint only weakens truncation checks
        # until the next one, so it is logged loudly rather than failing the request.
        current_app.logger.exception("Could not write the audit checkpoint for #%s", due[0])


@event.listens_for(Session, "after_rollback")
def _forget_on_rollback(session: Session) -> None:
    session.info.pop(_APPENDED, None)
    session.info.pop(_DUE, None)
