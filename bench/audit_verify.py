"""``audit verify`` against a bare fetch-and-hash loop over the same rows, in one run.

Builds an audit chain of ``--entries`` entries (through ``app.audit.record``, 500 per
commit) in a fresh SQLite file (or the PostgreSQL database ``--database-url`` names,
which must be empty and is left as it is), then times, alternately for ``--rounds``
rounds:

- **verify**: ``app.audit.service.verify_chain()``, what ``flask audit verify`` runs;
- **bare**: one DB-API cursor over ``audit_entries`` in ``seq`` order, each row turned
  into the same canonical JSON and checked with HMAC-SHA256, nothing else (no ORM, no
  chain or checkpoint logic).

Prints each round, the medians and their ratio (bare time / verify time: 1.0 means
verify is as fast as the bare loop; issue 13 asks for at least 0.7).

    .venv/bin/python bench/audit_verify.py --entries 50000
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

COLUMNS = (
    "seq, created_at, actor_id, actor_name, action, object_type, object_id, "
    "department_id, workspace_id, detail, prev_hash, entry_hash"
)


def build_app(workdir: Path, database_url: str | None):
    from flask_migrate import upgrade

    from app import create_app

    app = create_app(
        {
            "ENV_NAME": "testing",
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url or f"sqlite:///{workdir / 'audit.sqlite'}",
            "AUDIT_HMAC_KEY": uuid.uuid4().hex * 2,
            "AUDIT_CHECKPOINT_DIR": str(workdir / "checkpoints"),
            "STORAGE_DIR": str(workdir / "storage"),
        }
    )
    with app.app_context():
        upgrade()
    return app


def fill(entries: int) -> None:
    from app import audit
    from app.extensions import db

    for start in range(0, entries, 500):
        for n in range(start, min(start + 500, entries)):
            audit.record(
                None,
                "account.signed_in" if n % 2 else "account.signed_out",
                "user",
                n % 997 + 1,
                detail={"ip": f"10.0.{n % 256}.{n % 251}", "agent": "bench"},
                actor_name=f"user{n % 997}",
            )
        db.session.commit()


def _canonical_time(value) -> str:
    if isinstance(value, str):  # SQLite hands back text
        value = datetime.fromisoformat(value)
    return value.isoformat(timespec="microseconds")


def bare_loop(key: bytes) -> int:
    """Fetch every entry with a plain cursor and check its HMAC; the count that matched."""
    from app.extensions import db

    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute(f"SELECT {COLUMNS} FROM audit_entries ORDER BY seq")  # noqa: S608
        matched = 0
        for row in cursor:
            detail = row[9]
            payload = {
                "seq": row[0],
                "created_at": _canonical_time(row[1]),
                "actor_id": row[2],
                "actor_name": row[3],
                "action": row[4],
                "object_type": row[5],
                "object_id": row[6],
                "department_id": row[7],
                "workspace_id": row[8],
                "detail": json.loads(detail) if isinstance(detail, str) else detail,
                "prev_hash": row[10],
            }
            message = json.dumps(
                payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False
            ).encode("utf-8")
            digest = hmac.new(key, message, hashlib.sha256).hexdigest()
            matched += hmac.compare_digest(digest, row[11])
        return matched
    finally:
        connection.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="bridgework-audit-") as tmp:
        workdir = Path(tmp)
        app = build_app(workdir, args.database_url)
        with app.app_context():
            from app.audit import keys
            from app.audit.service import verify_chain
            from app.extensions import db

            started = time.perf_counter()
            fill(args.entries)
            print(f"{args.entries:,} entries built in {time.perf_counter() - started:.1f} s")
            print(f"load average {os.getloadavg()[0]:.2f} at the start")
            key = keys.current_key()
            verify_times, bare_times = [], []
            for round_no in range(1, args.rounds + 1):
                db.session.rollback()
                started = time.perf_counter()
                result = verify_chain()
                verify_times.append(time.perf_counter() - started)
                assert result.ok and result.checked == args.entries, result
                db.session.rollback()
                started = time.perf_counter()
                matched = bare_loop(key)
                bare_times.append(time.perf_counter() - started)
                assert matched == args.entries, matched
                print(
                    f"round {round_no}: verify {verify_times[-1]:.2f} s, "
                    f"bare {bare_times[-1]:.2f} s"
                )
            verify_median = statistics.median(verify_times)
            bare_median = statistics.median(bare_times)
            print(
                f"median: verify {verify_median:.2f} s "
                f"({args.entries / verify_median:,.0f} entries/s), "
                f"bare {bare_median:.2f} s ({args.entries / bare_median:,.0f} entries/s); "
                f"verify runs at {bare_median / verify_median:.2f}x the bare loop's speed"
            )
            print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
