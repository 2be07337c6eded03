"""Does a PostgreSQL query block the gevent loop? Measure it, as gunicorn's gevent worker runs.

Under ``gunicorn -k gevent`` one OS thread serves every socket, so a database call that
waits in C without yielding would freeze every connection for its duration. psycopg 3
picks its wait function when it is imported: the C one (blind to gevent) normally, a
``select``-based one when gevent has monkey-patched ``select``. This script patches the
way the gevent worker does (before the app is imported), runs ``pg_sleep`` through the
app's own engine in a few greenlets while a ticker greenlet counts, and reports the
longest pause of the ticker. With ``--unpatched-driver`` it forces psycopg's C wait
function, to show what a wrong import order would cost.

    python bench/gevent_db_check.py [--url postgresql+psycopg://postgres@127.0.0.1:5432/postgres]
"""

from gevent import monkey

monkey.patch_all()

import argparse  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import gevent  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description="gevent + psycopg cooperation check")
    parser.add_argument(
        "--url",
        default=os.environ.get(
            "BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        ),
    )
    parser.add_argument("--sleep", type=float, default=0.5, help="seconds of pg_sleep per query")
    parser.add_argument("--queries", type=int, default=4, help="concurrent queries")
    parser.add_argument("--unpatched-driver", action="store_true")
    args = parser.parse_args()
    if args.unpatched_driver:
        os.environ["PSYCOPG_WAIT_FUNC"] = "wait_c"

    import psycopg.waiting
    from sqlalchemy import create_engine, text

    engine = create_engine(args.url, pool_size=args.queries)
    gaps: list[float] = []
    stop = False

    def ticker() -> None:
        last = time.monotonic()
        while not stop:
            gevent.sleep(0.01)
            now = time.monotonic()
            gaps.append(now - last)
            last = now

    def query() -> None:
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_sleep(:s)"), {"s": args.sleep})

    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    tick = gevent.spawn(ticker)
    started = time.monotonic()
    gevent.joinall([gevent.spawn(query) for _ in range(args.queries)], timeout=60)
    elapsed = time.monotonic() - started
    stop = True
    tick.join(timeout=5)
    engine.dispose()
    longest = max(gaps) * 1000 if gaps else float("nan")
    cooperative = elapsed < args.sleep * args.queries * 0.75 and longest < 100
    print(
        f"psycopg wait function: {psycopg.waiting.wait.__name__}; "
        f"{args.queries} x pg_sleep({args.sleep}) took {elapsed:.2f} s; "
        f"longest ticker pause {longest:.0f} ms -> "
        f"{'cooperative' if cooperative else 'BLOCKS the loop'}"
    )
    return 0 if cooperative else 1


if __name__ == "__main__":
    sys.exit(main())
