"""Appending to and verifying the audit chain.

``record`` is called by every service inside its own transaction, so the audited change
and its entry commit together or not at all.
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from app.audit import checkpoints, keys
from app.audit.models import HEAD_ID, AuditEntry, AuditHead
from app.common import Cursor, KeysetPage, keyset_paginate, text_matches, utcnow
from app.extensions import db
from app.policy import require

GENESIS_HASH = "0" * 64


def _canonical_time(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [_jsonable(v) for v in value]
        return sorted(items, key=str) if isinstance(value, set | frozenset) else items
    if isinstance(value, datetime):
        return _canonical_time(value)
    if isinstance(value, date):
        return value.isoformat()
    if value is None or isinstance(value, bool | int | str):
        return value
    return str(value)


def canonical_form(entry: Any) -> bytes:
    """The bytes an entry's hash seals: every field but the hash, as sorted compact JSON."""
    payload = {
        "seq": entry.seq,
        "created_at": _canonical_time(entry.created_at),
        "actor_id": entry.actor_id,
        "actor_name": entry.actor_name,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "department_id": entry.department_id,
        "workspace_id": entry.workspace_id,
        "detail": entry.detail,
        "prev_hash": entry.prev_hash,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return canonical.encode("utf-8")


def compute_hash(entry: AuditEntry, key: bytes | None = None) -> str:
    """HMAC-SHA256, keyed with the audit key, over a canonical form of every other field.

    A plain hash could be recomputed by anyone able to rewrite the table; the key lives
    outside the database (see :mod:`app.audit.keys`).
    """
    return keys.seal(canonical_form(entry), key)


def _locked_head() -> AuditHead:
    """The head row, locked until the caller's transaction ends, created on first use.

    Writers that both find no head row must not fork the chain: the row is created with
    "insert unless present", which waits for a concurrent creator, and then locked.
    """
    locked = (
        select(AuditHead)
        .where(AuditHead.id == HEAD_ID)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    head = db.session.scalar(locked)
    if head is None:
        dialect = db.session.get_bind().dialect.name
        insert = postgresql_insert if dialect == "postgresql" else sqlite_insert
        db.session.execute(
            insert(AuditHead)
            .values(id=HEAD_ID, last_seq=0, last_hash=GENESIS_HASH)
            .on_conflict_do_nothing(index_elements=["id"])
        )
        head = db.session.scalar(locked)
    return head


def record(
    actor,
    action: str,
    object_type: str,
    object_id: Any = None,
    *,
    detail: dict | None = None,
    department_id: int | None = None,
    workspace_id: int | None = None,
    actor_name: str | None = None,
) -> AuditEntry:
    """Append an entry to the chain inside the caller's transaction (flush, no commit).

    ``actor`` may be ``None`` for anonymous events (a failed sign-in with an unknown
    name); ``actor_name`` then says who was claimed.
    """
    head = _locked_head()
    entry = AuditEntry(
        seq=head.last_seq + 1,
        created_at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor_name=actor_name or getattr(actor, "username", None) or "anonymous",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        department_id=department_id
        if department_id is not None
        else getattr(actor, "department_id", None),
        workspace_id=workspace_id,
        detail=_jsonable(detail or {}),
        prev_hash=head.last_hash,
    )
    entry.entry_hash = compute_hash(entry)
    head.last_seq = entry.seq
    head.last_hash = entry.entry_hash
    db.session.add(entry)
    db.session.flush()
    return entry


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_broken_seq: int | None = None
    reason: str | None = None
    checkpoint_seq: int | None = None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "checked": self.checked,
            "first_broken_seq": self.first_broken_seq,
            "reason": self.reason,
            "checkpoint_seq": self.checkpoint_seq,
        }


_CHAIN_SQL = (
    "SELECT seq, created_at, actor_id, actor_name, action, object_type, object_id, "  # noqa: S608
    f"department_id, workspace_id, detail, prev_hash, entry_hash FROM {AuditEntry.__tablename__} "
    "ORDER BY seq"
)
"""Every column the hash seals, and the hash, in the order :func:`_stored_entries` yields."""

_STREAM_BATCH = 5000

_canonical_json = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
"""``json.dumps`` with :func:`canonical_form`'s arguments, without building an encoder per call."""


def _stored_entries() -> Iterator[tuple]:
    """Every entry as the database driver hands it back (a tuple per row), oldest first.

    One query on the session's own connection, so verification sees what this
    transaction sees, read through a plain DB-API cursor: SQLAlchemy's rows and type
    processing cost more than the hashing. On PostgreSQL the cursor is a server-side
    one that fetches :data:`_STREAM_BATCH` rows at a time, so memory stays flat on any
    table size; SQLite's cursor steps through the result as it is read.
    """
    db.session.flush()
    connection = db.session.connection()
    driver_connection = connection.connection.dbapi_connection
    if connection.dialect.name == "postgresql":
        cursor = driver_connection.cursor(name="bridgework_audit_verify")
        cursor.itersize = _STREAM_BATCH
    else:
        cursor = driver_connection.cursor()
    try:
        cursor.execute(_CHAIN_SQL)
        yield from cursor
    finally:
        cursor.close()


def _stored_canonical_form(row: tuple) -> bytes:
    """:func:`canonical_form` of an entry read by :func:`_stored_entries`.

    Drivers hand back what the column types would otherwise convert: SQLite gives the
    time and the detail as text. Raises ``ValueError`` for a stored value no entry can
    have had (a time or detail that does not parse).
    """
    created_at, detail = row[1], row[9]
    if isinstance(created_at, str):
        created_at = datetime.fromisoformat(created_at)
    if isinstance(detail, str | bytes):
        detail = json.loads(detail)
    payload = {
        "seq": row[0],
        "created_at": _canonical_time(created_at),
        "actor_id": row[2],
        "actor_name": row[3],
        "action": row[4],
        "object_type": row[5],
        "object_id": row[6],
        "department_id": row[7],
        "workspace_id": row[8],
        "detail": detail,
        "prev_hash": row[10],
    }
    return _canonical_json(payload).encode("utf-8")


def _later_sealing_key(message: bytes, digest: str, ring: list[bytes], current: int) -> int | None:
    """Index of the key after ``ring[current]`` that sealed ``message``, if one did.

    Keys only move forward along the chain (a retired key never seals a later entry),
    so someone holding a leaked retired key cannot append entries after a rotation.
    """
    for index in range(current + 1, len(ring)):
        if keys.matches(message, digest, ring[index]):
            return index
    return None


def verify_chain(checkpoint: checkpoints.Checkpoint | None = None) -> VerifyResult:
    """Walk the chain in order, in constant memory, and report the first broken entry.

    An entry is broken when its stored hash is not its content sealed with an audit key,
    when it does not point at the previous entry's hash, or when its sequence number
    skips (an entry removed). The head row must name the last entry, and the chain must
    reach the signed ``checkpoint`` (by default the latest stored one) with the hash it
    recorded: that is what reveals entries cut off the end, or all of them replaced.
    """
    if checkpoint is None:
        try:
            checkpoint = checkpoints.latest()
        except checkpoints.CheckpointError as exc:
            return VerifyResult(False, 0, None, str(exc))
    pinned = checkpoint.seq if checkpoint else None
    ring = keys.keyring()
    key_index = 0
    key = ring[0]
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    # Bound once: the loop runs once per entry, and the hashing is most of its time.
    canonical, seal, same = _stored_canonical_form, hmac.digest, hmac.compare_digest
    for row in _stored_entries():
        seq, prev_hash, entry_hash = row[0], row[10], row[11]
        if seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, "entry missing from the chain")
        if prev_hash != expected_prev:
            return VerifyResult(False, checked, seq, "does not follow the previous entry")
        try:
            message = canonical(row)
        except (ValueError, TypeError, AttributeError):
            return VerifyResult(False, checked, seq, "content does not match its hash")
        if not same(seal(key, message, "sha256").hex(), entry_hash):
            key_index = _later_sealing_key(message, entry_hash, ring, key_index)
            if key_index is None:
                return VerifyResult(False, checked, seq, "content does not match its hash")
            key = ring[key_index]
        if seq == pinned and entry_hash != checkpoint.entry_hash:
            return VerifyResult(False, checked, seq, "differs from the signed checkpoint", pinned)
        expected_prev = entry_hash
        expected_seq += 1
        checked += 1
    head = db.session.get(AuditHead, HEAD_ID, populate_existing=True)
    head_seq = head.last_seq if head else 0
    head_hash = head.last_hash if head else GENESIS_HASH
    if head_seq != checked or head_hash != expected_prev:
        return VerifyResult(False, checked, checked + 1, "entries missing from the end", pinned)
    if pinned is not None and pinned > checked:
        reason = f"entries missing from the end: the signed checkpoint records entry #{pinned}"
        return VerifyResult(False, checked, checked + 1, reason, pinned)
    return VerifyResult(True, checked, checkpoint_seq=pinned)


@dataclass
class AuditFilters:
    actor: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    department_id: int | None = None
    workspace_id: int | None = None
    date_from: date | None = None
    date_to: date | None = None


def _filtered(filters: AuditFilters, stmt: Select | None = None) -> Select:
    """``stmt`` (every entry by default) kept to the entries ``filters`` asks for."""
    if stmt is None:
        stmt = select(AuditEntry)
    if filters.actor:
        stmt = stmt.where(text_matches(AuditEntry.actor_name, filters.actor))
    if filters.action:
        stmt = stmt.where(text_matches(AuditEntry.action, filters.action, prefix=True))
    if filters.object_type:
        stmt = stmt.where(AuditEntry.object_type == filters.object_type)
    if filters.object_id:
        stmt = stmt.where(AuditEntry.object_id == filters.object_id)
    if filters.department_id:
        stmt = stmt.where(AuditEntry.department_id == filters.department_id)
    if filters.workspace_id:
        stmt = stmt.where(AuditEntry.workspace_id == filters.workspace_id)
    if filters.date_from:
        stmt = stmt.where(
            AuditEntry.created_at >= datetime.combine(filters.date_from, datetime.min.time())
        )
    if filters.date_to:
        stmt = stmt.where(
            AuditEntry.created_at <= datetime.combine(filters.date_to, datetime.max.time())
        )
    return stmt


# What the log's page shows of an entry: its hash chain and actor id stay in the table.
_PAGE_ROW = select(
    AuditEntry.seq,
    AuditEntry.created_at,
    AuditEntry.actor_name,
    AuditEntry.action,
    AuditEntry.object_type,
    AuditEntry.object_id,
    AuditEntry.department_id,
    AuditEntry.workspace_id,
    AuditEntry.detail,
)


def _as_read(row: Any) -> Any:
    return row


def list_entry_rows(
    actor,
    filters: AuditFilters,
    *,
    cursor: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> KeysetPage:
    """:func:`list_entries` for the log's page: the same page, read as plain rows with the
    columns the page shows (building fifty entries as objects cost more than the rest of
    reading them).

    Raises:
        Forbidden: the actor is neither an auditor nor an admin.
        BadCursor: ``cursor`` is not one a page hands out.
    """
    require(actor, "audit.read")
    return keyset_paginate(
        _filtered(filters, _PAGE_ROW),
        AuditEntry.seq,
        cursor=Cursor.parse(cursor),
        page=page,
        per_page=per_page,
        shape=_as_read,
    )


EXPORT_BATCH = 500


def export_entries(actor, filters: AuditFilters) -> Iterator[AuditEntry]:
    """Every entry the filters keep, oldest first, read in batches (for a streamed export).

    Authorization happens on the call, before the first entry is read.

    Raises:
        Forbidden: the actor is neither an auditor nor an admin.
    """
    require(actor, "audit.read")
    stmt = _filtered(filters).order_by(AuditEntry.seq).execution_options(yield_per=EXPORT_BATCH)

    def rows() -> Iterator[AuditEntry]:
        yield from db.session.scalars(stmt)

    return rows()


def list_entries(
    actor,
    filters: AuditFilters,
    *,
    cursor: str | None = None,
    page: int = 1,
    per_page: int = 50,
) -> KeysetPage:
    """One page of audit entries, newest first, by ``seq``.

    ``cursor`` is one a previous page handed out (``before:<seq>`` for older entries,
    ``after:<seq>`` for newer ones); the filters apply as on the first page. Without one,
    ``page`` pages the old way (see :func:`~app.common.keyset_paginate`).

    Raises:
        Forbidden: the actor is neither an auditor nor an admin.
        BadCursor: ``cursor`` is not one a page hands out.
    """
    require(actor, "audit.read")
    return keyset_paginate(
        _filtered(filters),
        AuditEntry.seq,
        cursor=Cursor.parse(cursor),
        page=page,
        per_page=per_page,
    )
