"""The audit key: what makes the chain's hashes unforgeable by someone who can write SQL.

Every entry hash and every checkpoint is an HMAC-SHA256 keyed with ``AUDIT_HMAC_KEY``,
which lives in the environment, never in the database. Anyone who can rewrite the audit
tables can still recompute plain SHA-256 hashes, but without the key they cannot make
entries that verify.

Keys are rotated by moving the current key into ``AUDIT_HMAC_RETIRED_KEYS`` (oldest
first) and setting a new ``AUDIT_HMAC_KEY``: entries sealed before the rotation still
verify with the retired key, and new ones are sealed with the new key.
"""

from __future__ import annotations

import hashlib
import hmac

from flask import current_app


def _encode(key: str) -> bytes:
    return key.encode("utf-8")


def current_key() -> bytes:
    """The key new entries and checkpoints are sealed with."""
    return _encode(current_app.config["AUDIT_HMAC_KEY"])


def keyring() -> list[bytes]:
    """Every key an entry may have been sealed with, oldest first, the current key last."""
    retired = current_app.config.get("AUDIT_HMAC_RETIRED_KEYS") or []
    return [_encode(key) for key in retired] + [current_key()]


def seal(message: bytes, key: bytes | None = None) -> str:
    """HMAC-SHA256 of ``message`` as 64 hex digits, with ``key`` or the current key."""
    return hmac.new(key if key is not None else current_key(), message, hashlib.sha256).hexdigest()


def matches(message: bytes, digest: str, key: bytes) -> bool:
    """Whether ``digest`` seals ``message`` under ``key`` (compared in constant time)."""
    return hmac.compare_digest(seal(message, key), digest)
