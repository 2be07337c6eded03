"""SQLite, the embedded default: connection settings and the write lock of an action.

SQLite allows one writer at a time. A transaction that began with a plain ``BEGIN`` and has
only read cannot become a writer once another connection has committed since it began: its
snapshot is stale, and SQLite refuses the first write at once with "database is locked",
without waiting for ``busy_timeout``. Two processes on one file (``make run`` beside a CLI
command, or the scale-out tests) then fail each other's writes whenever a read ran before
the change, as signing in reads the account before the action that records it.

So the outermost action claims the write lock before its work (:func:`claim_write_lock`):
a transaction that has written nothing yet is ended and a ``BEGIN IMMEDIATE`` one takes its
place, which waits for the lock under ``busy_timeout`` and sees everything committed before
it. Objects already loaded stay in the session; the locked loads that changes use
(``with_for_update`` with ``populate_existing``) read them again under the lock.
"""

from __future__ import annotations

import sqlite3

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session

_CHANGES_AT_BEGIN = "sqlite_changes_at_begin"


@event.listens_for(Engine, "connect")
def _configure(dbapi_connection, _record) -> None:
    """Enforce foreign keys, wait for locks, and let SQLAlchemy issue BEGIN itself.

    Python's sqlite3 module otherwise starts transactions lazily on its own, which
    breaks SAVEPOINTs; the ``begin`` hook below takes over.
    """
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.close()


@event.listens_for(Engine, "begin")
def _begin(conn: Connection) -> None:
    if conn.dialect.name == "sqlite":
        conn.exec_driver_sql("BEGIN")
        conn.info[_CHANGES_AT_BEGIN] = conn.connection.driver_connection.total_changes


def claim_write_lock(session: Session) -> None:
    """SQLite only: make the session's transaction one that may write (see the module doc).

    Does nothing on other databases, inside a SAVEPOINT (the tests' outer transaction), or
    when the transaction has written already (it holds the lock).
    """
    if session.get_bind().dialect.name != "sqlite":
        return
    connection = session.connection()
    if connection.in_nested_transaction():
        return
    raw = connection.connection.driver_connection
    if raw.total_changes != connection.info.get(_CHANGES_AT_BEGIN):
        return
    raw.execute("COMMIT")
    raw.execute("BEGIN IMMEDIATE")
