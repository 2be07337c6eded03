"""Append-only, hash-chained audit log: ``record()`` inside every service transaction."""

from app.audit.service import record

__all__ = ["record"]
