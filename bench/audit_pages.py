"""The audit log's pages: the first, one far back by cursor, and the same one by number.

Builds an audit chain of ``--entries`` entries (as ``bench/audit_verify.py`` does, in a
fresh SQLite file or the empty PostgreSQL database ``--database-url`` names), then times
``app.audit.service.list_entries`` (the capped count and the rows, what the page and
``GET /api/v1/audit`` run) for 50 entries a page, taking turns for ``--rounds`` rounds of
``--calls`` calls each:

- **first**: the newest page;
- **cursor**: the page ``--depth`` pages back, by its ``before:<seq>`` cursor;
- **number**: the same page by ``page=<depth>`` (``OFFSET``), as the log paged before.

Prints the median time of a call for each, per round and overall.

    .venv/bin/python bench/audit_pages.py --entries 50000 --depth 1000
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))
sys.path.insert(0, str(PROJECT_ROOT / "bench"))

PER_PAGE = 50


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--entries", type=int, default=50_000)
    parser.add_argument("--depth", type=int, default=1000, help="the page far back")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--database-url", help="an empty database (default: a SQLite file)")
    args = parser.parse_args(argv)

    from audit_verify import build_app, fill

    with tempfile.TemporaryDirectory(prefix="bridgework-audit-pages-") as tmp:
        app = build_app(Path(tmp), args.database_url)
        with app.app_context():
            from app.audit.service import AuditFilters, list_entries
            from app.extensions import db
            from tests.factories import make_user

            started = time.perf_counter()
            fill(args.entries)
            auditor = make_user("auditor", username="bench.auditor")
            db.session.commit()
            print(f"{args.entries:,} entries built in {time.perf_counter() - started:.1f} s")
            print(f"load average {os.getloadavg()[0]:.2f} at the start")
            depth = min(args.depth, args.entries // PER_PAGE)
            by_number = list_entries(auditor, AuditFilters(), page=depth, per_page=PER_PAGE)
            cursor = f"before:{by_number.items[0].seq + 1}"
            by_cursor = list_entries(auditor, AuditFilters(), cursor=cursor, per_page=PER_PAGE)
            assert [e.seq for e in by_cursor.items] == [e.seq for e in by_number.items]
            reads = {
                "first": lambda: list_entries(auditor, AuditFilters(), per_page=PER_PAGE),
                "cursor": lambda: list_entries(
                    auditor, AuditFilters(), cursor=cursor, per_page=PER_PAGE
                ),
                "number": lambda: list_entries(
                    auditor, AuditFilters(), page=depth, per_page=PER_PAGE
                ),
            }
            times: dict[str, list[float]] = {name: [] for name in reads}
            for round_no in range(1, args.rounds + 1):
                line = []
                for name, read in reads.items():
                    calls = []
                    for _ in range(args.calls):
                        db.session.rollback()
                        begun = time.perf_counter()
                        read()
                        calls.append(time.perf_counter() - begun)
                    times[name].append(statistics.median(calls))
                    line.append(f"{name} {times[name][-1] * 1000:.1f} ms")
                print(f"round {round_no}: " + ", ".join(line))
            summary = ", ".join(
                f"{name} {statistics.median(values) * 1000:.1f} ms "
                f"({min(values) * 1000:.1f}-{max(values) * 1000:.1f})"
                for name, values in times.items()
            )
            print(f"page {depth} of {PER_PAGE} entries; median of {args.rounds}: {summary}")
            print(f"load average {os.getloadavg()[0]:.2f} at the end")
    return 0


if __name__ == "__main__":
    sys.exit(main())
