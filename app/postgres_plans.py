"""PostgreSQL: keep prepared statements, and so their plans, from one request to the next.

psycopg prepares a statement on the server once it has run five times on a connection,
and PostgreSQL then reuses its plan instead of planning it again. But psycopg forgets
every prepared statement, and its counts, whenever a transaction is rolled back (the
rolled-back work may have dropped what they refer to). Flask-SQLAlchemy ends each request
by closing its session, which rolls back, so no statement was ever prepared: every page
planned its statements afresh, and planning (1 to 6 ms a page at the benchmark's scale
0.05, the session's own statement alone 1.1 ms) cost the database more than running them.

A transaction that changed nothing ends the same under COMMIT as under ROLLBACK. So when a
request ends without an unhandled error and its transaction has sent only ``SELECT``
statements, the connection commits before the session closes; the session's own rollback
then finds no transaction and psycopg keeps what it prepared. Any other statement marks the
connection, and that request ends with the rollback as before; so does a transaction with a
SAVEPOINT open (the test suite runs each test inside one, in a transaction it rolls back).
The session's events see an ordinary close: nothing waiting for a commit runs, and pending
ORM changes are dropped.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session, SessionTransaction

from app.extensions import db

_WROTE = "bridgework_sent_a_write"
_BEGUN_ON = "bridgework_transaction_connection"


def init_app(app: Flask) -> None:
    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        return
    _watch_for_writes(engine)
    app.teardown_request(commit_if_read_only)


def _watch_for_writes(engine: Engine) -> None:
    @event.listens_for(engine, "before_cursor_execute")
    def _mark_writes(conn: Connection, _cursor, statement: str, *_args) -> None:
        if not statement.startswith("SELECT "):
            conn.info[_WROTE] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _forget_writes(conn: Connection) -> None:
        conn.info.pop(_WROTE, None)


@event.listens_for(Session, "after_begin")
def _note_connection(session: Session, transaction: SessionTransaction, connection) -> None:
    """Which connection the session's outermost transaction runs on (public API has none)."""
    while transaction.parent is not None:
        transaction = transaction.parent
    session.info[_BEGUN_ON] = (transaction, connection)


def commit_if_read_only(error: BaseException | None) -> None:
    """End the request's transaction with COMMIT when it has only read (see the module)."""
    if error is not None or not db.session.registry.has():
        return
    session = db.session()
    noted = session.info.get(_BEGUN_ON)
    if noted is None:
        return
    transaction, connection = noted
    if transaction is not session.get_transaction() or not transaction.is_active:
        return
    if connection.closed or connection.in_nested_transaction() or connection.info.get(_WROTE):
        return
    connection.connection.dbapi_connection.commit()
