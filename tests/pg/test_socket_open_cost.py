"""Opening a socket on PostgreSQL: one pooled connection per handler, no transaction.

Each Socket.IO handler runs in its own application context, as in production, so every
pool checkout is counted (with ``pool_pre_ping`` each costs a round trip too). Connect
and subscribe each check access after joining a room (connect: the token; subscribe:
the token, the membership and the stream's position in one statement, after the
membership alone before joining); at PostgreSQL's READ COMMITTED every statement already
sees what committed before it, so a handler keeps its one connection instead of
committing between the checks (which handed the connection back and took another), and
its reads run without BEGIN and ROLLBACK around them. It runs in a database of its own,
never the suite's.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import event

from app.extensions import db, socketio
from tests.second_app import second_app
from tests.services import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.one_pass("postgres")]


@pytest.fixture(scope="module")
def pg_app(app, tmp_path_factory):
    """A second app on its own database (see tests/second_app.py)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": fresh_postgres_database("bridgework_socket_open_cost"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "AUDIT_CHECKPOINT_DIR": str(tmp_path_factory.mktemp("socket-cost-checkpoints")),
        "REALTIME_RECHECK_SECONDS": 0,
    }
    with second_app(config) as pg:
        yield pg


@pytest.fixture(scope="module")
def member(pg_app):
    """A workspace member's API token and the workspace's stream."""
    from app.accounts.service import create_token
    from app.workspaces import service as workspaces
    from tests.factories import make_department, make_user

    with pg_app.app_context():
        department = make_department("DSD")
        lead = make_user("officer", department=department)
        member = make_user("officer", department=department)
        workspace = workspaces.create_workspace(
            lead,
            name="Typhoon season",
            purpose="Keep the drains clear.",
            ends_on=date.today() + timedelta(days=90),
        )
        workspaces.add_member(lead, workspace.id, user_id=member.id)
        _token, secret = create_token(member, name="socket")
        stream = f"workspace:{workspace.id}"
        db.session.remove()
    return {"token": secret, "stream": stream}


class _Tally:
    def __init__(self) -> None:
        self.checkouts = self.statements = self.commits = 0
        self.levels: set[str | None] = set()

    def checkout(self, *_args) -> None:
        self.checkouts += 1

    def statement(self, conn, *_args) -> None:
        self.statements += 1
        self.levels.add(conn.get_execution_options().get("isolation_level"))

    def commit(self, *_args) -> None:
        self.commits += 1


def test_connect_and_subscribe_take_one_pooled_connection_each_and_no_transaction(pg_app, member):
    with pg_app.app_context():
        engine = db.engine
    socketio.test_client(pg_app, auth={"token": member["token"]}).disconnect()
    tally = _Tally()  # counted from the token's second socket: the process knows whose it is
    event.listen(engine.pool, "checkout", tally.checkout)
    event.listen(engine, "before_cursor_execute", tally.statement)
    event.listen(engine, "commit", tally.commit)
    try:
        socket = socketio.test_client(pg_app, auth={"token": member["token"]})
        connected = (tally.checkouts, tally.statements, tally.commits)
        ack = socket.emit("subscribe", {"stream": member["stream"]}, callback=True)
        socket.disconnect()
    finally:
        event.remove(engine.pool, "checkout", tally.checkout)
        event.remove(engine, "before_cursor_execute", tally.statement)
        event.remove(engine, "commit", tally.commit)

    assert ack["ok"] is True, ack
    assert connected == (1, 1, 0)
    assert (tally.checkouts, tally.statements, tally.commits) == (2, 3, 0)
    assert tally.levels == {"AUTOCOMMIT"}, "the handlers' reads run outside a transaction"
