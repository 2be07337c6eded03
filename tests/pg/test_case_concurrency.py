"""Concurrent case writers on PostgreSQL: no edit is silently lost, no number is handed out twice.

Threads act in lock-step (a barrier releases them together), each in its own app context
and session. Two people saving an edit of the same version at once: the case row lock
makes the second wait and then see the first's version, so exactly one edit is stored
and the other is refused as stale. Several people opening cases at once in one workspace
queue on the workspace's counter row and get consecutive numbers. It runs in a database
of its own, never the suite's.
"""

from __future__ import annotations

import threading

import pytest

from app.cases import service
from app.cases.models import Case
from app.errors import Conflict
from app.extensions import db
from tests.case_world import build_world
from tests.second_app import second_app
from tests.services import fresh_postgres_database

pytestmark = [pytest.mark.postgres, pytest.mark.one_pass("postgres")]

CREATORS = 6


@pytest.fixture(scope="module")
def pg_app(app):
    """A second app on its own database (see tests/second_app.py)."""
    config = {
        "SQLALCHEMY_DATABASE_URI": fresh_postgres_database("bridgework_case_concurrency"),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": CREATORS + 2, "max_overflow": 0},
    }
    with second_app(config) as pg:
        yield pg


@pytest.fixture(scope="module")
def world(pg_app):
    with pg_app.app_context():
        world = build_world()
        people = world["people"]
        case = service.create_case(people["lead"], world["workspace"].id, title="Sha Tin flooding")
        ids = {
            "workspace": world["workspace"].id,
            "case": case.id,
            "people": {name: user.id for name, user in people.items()},
        }
        db.session.remove()
    return ids


def _in_thread(app, barrier, results, name, work):
    def run():
        with app.app_context():
            try:
                barrier.wait(timeout=30)
                results[name] = work()
            except Exception as exc:  # noqa: BLE001 (every outcome is asserted)
                results[name] = exc
            finally:
                db.session.remove()

    return threading.Thread(target=run, daemon=True)


def _user(user_id: int):
    from app.accounts.models import User

    return db.session.get(User, user_id)


def test_two_concurrent_edits_of_one_version_store_one_and_refuse_the_other(pg_app, world):
    people = world["people"]
    barrier = threading.Barrier(2)
    results: dict = {}
    edits = {
        "lead": {"priority": "urgent"},
        "member": {"status": "in_progress"},
    }
    threads = [
        _in_thread(
            pg_app,
            barrier,
            results,
            name,
            lambda name=name, change=change: (
                service.update_case(_user(people[name]), world["case"], version=1, **change).version
            ),
        )
        for name, change in edits.items()
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    outcomes = sorted(type(result).__name__ for result in results.values())
    assert outcomes == ["Conflict", "int"], results
    refused = next(r for r in results.values() if isinstance(r, Conflict))
    assert refused.code == "stale"
    winner = next(name for name, r in results.items() if r == 2)
    with pg_app.app_context():
        case = db.session.get(Case, world["case"])
        assert case.version == 2
        assert (case.priority == "urgent") == (winner == "lead")
        assert (case.status == "in_progress") == (winner == "member")
        db.session.remove()


def test_concurrent_creators_get_consecutive_numbers(pg_app, world):
    people = world["people"]
    barrier = threading.Barrier(CREATORS)
    results: dict = {}
    writers = ["lead", "member", "transport_member"]
    threads = [
        _in_thread(
            pg_app,
            barrier,
            results,
            n,
            lambda n=n: (
                service.create_case(
                    _user(people[writers[n % len(writers)]]),
                    world["workspace"],
                    title=f"Flooded underpass {n}",
                ).number
            ),
        )
        for n in range(CREATORS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    numbers = sorted(results.values(), key=str)
    assert all(isinstance(number, int) for number in numbers), results
    assert sorted(numbers) == list(range(2, CREATORS + 2))
