"""Writers in threads that start each step together, for the PostgreSQL concurrency tests."""

from __future__ import annotations

import threading
from collections.abc import Callable

from flask import Flask

from app.extensions import db


def run_writers_in_step(
    app: Flask, writers: int, steps: int, write: Callable[[int, int], None]
) -> list[str]:
    """Call ``write(number, step)`` in ``writers`` threads and commit after each call.

    The threads wait for each other before every step (a barrier), so their transactions
    overlap as much as they can. Returns what failed, one line per writer that failed; a
    failure stops the others.
    """
    barrier = threading.Barrier(writers)
    errors: list[str] = []

    def writer(number: int) -> None:
        with app.app_context():
            try:
                for step in range(steps):
                    barrier.wait(timeout=60)
                    write(number, step)
                    db.session.commit()
            except threading.BrokenBarrierError:
                db.session.rollback()
            except Exception as exc:  # noqa: BLE001 (any failure of a writer fails the test)
                db.session.rollback()
                errors.append(f"writer {number}: {exc.__class__.__name__}: {exc}")
                barrier.abort()
            finally:
                db.session.remove()

    threads = [threading.Thread(target=writer, args=(n,), daemon=True) for n in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
