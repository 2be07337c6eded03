"""The query plans of the case reads, on the read benchmark's database.

Builds the database as ``http_reads.py`` does (``--scale``), makes one request of each
case read in-process through the test client (after a warm-up request), records every
SQL statement with its parameters through an engine ``before_cursor_execute`` hook, and
runs each again under ``EXPLAIN (ANALYZE, BUFFERS)``, printing the plans and each
statement's execution time, slowest first::

    python bench/case_plans.py --scale 0.2 --keep bench/results/cases-0.2.json
    flask --app wsgi db upgrade          # on that database: a new migration
    python bench/case_plans.py --reuse bench/results/cases-0.2.json

``--keep FILE`` leaves the database in place and writes what is needed to use it again
to FILE; ``--reuse FILE`` reads the plans on that database without building, so a
migration's effect can be seen on the same rows; ``--drop FILE`` drops it.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from fanout import DEFAULT_POSTGRES  # noqa: E402
from http_data import BenchData, build, load_kept, save_kept  # noqa: E402
from http_reads import (  # noqa: E402
    READS,
    SignedInClients,
    in_process_app,
    postgres_admin,
    prepare_database,
)

EXECUTION = re.compile(r"Execution Time: ([0-9.]+) ms")


def record_with_parameters(app, data: BenchData, read) -> list[tuple[str, Any]]:
    """The statements of one request of ``read`` (after a warm-up), with their parameters."""
    from sqlalchemy import event

    from app.extensions import db

    clients = SignedInClients(app, data)
    path = read.path.format(**data.ids)
    clients.get(read, path)
    with app.app_context():
        engine = db.engine
    recorded: list[tuple[str, Any]] = []

    def note(_conn, _cursor, statement, parameters, *_args) -> None:
        recorded.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", note)
    try:
        response = clients.get(read, path)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    if response.status_code != 200:
        raise RuntimeError(f"{read.label} answered {response.status_code}")
    return recorded


def explain(app, statement: str, parameters: Any) -> tuple[float, str]:
    """The statement's plan as run (``EXPLAIN (ANALYZE, BUFFERS)``) and its execution time."""
    from app.extensions import db

    with app.app_context(), db.engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        with raw.cursor() as cursor:
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(row[0] for row in cursor.fetchall())
        raw.rollback()
    found = EXECUTION.search(plan)
    return (float(found.group(1)) if found else 0.0), plan


def report(app, data: BenchData, labels: list[str], top: int) -> dict[str, list[dict]]:
    results: dict[str, list[dict]] = {}
    for read in [r for r in READS if r.domain == "cases" and (not labels or r.label in labels)]:
        rows = []
        for statement, parameters in record_with_parameters(app, data, read):
            if not statement.lstrip().upper().startswith(("SELECT", "WITH")):
                continue
            ms, plan = explain(app, statement, parameters)
            rows.append({"ms": ms, "statement": " ".join(statement.split()), "plan": plan})
        results[read.label] = rows
        total = sum(row["ms"] for row in rows)
        print(f"\n=== {read.label}: {len(rows)} SELECTs, {total:.2f} ms in all ===")
        for row in sorted(rows, key=lambda r: -r["ms"])[:top]:
            print(f"\n--- {row['ms']:.3f} ms: {row['statement'][:300]}")
            print(row["plan"])
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.2)
    parser.add_argument("--keep", type=Path, help="keep the database; describe it in this file")
    parser.add_argument("--reuse", type=Path, help="use the database a --keep file describes")
    parser.add_argument("--drop", type=Path, help="drop the database a --keep file describes")
    parser.add_argument("--only", action="append", default=[], help="a read's label (repeatable)")
    parser.add_argument("--top", type=int, default=4, help="plans printed per read")
    parser.add_argument("--json", type=Path, help="also write the plans to this file")
    args = parser.parse_args(argv)
    admin_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    if args.drop:
        database = load_kept(args.drop)[0]
        postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        return 0
    workdir = Path(tempfile.mkdtemp(prefix="bridgework-plans-"))
    if args.reuse:
        database, env, data = load_kept(args.reuse)
    else:
        env, database = prepare_database(workdir, admin_url)
    env = {**env, "INSTANCE_DIR": str(workdir / "instance")}
    keep = bool(args.reuse)
    app = None
    try:
        app = in_process_app(env)
        if not args.reuse:
            with app.app_context():
                data = build(args.scale, log=lambda m: print(m, flush=True))
            print(f"  built in {data.seconds:.0f} s: {data.counts}", flush=True)
        if args.keep:
            save_kept(args.keep, database, env, data)
            keep = True
        results = report(app, data, args.only, args.top)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=2))
    finally:
        if app is not None:
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
        if not keep:
            postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
