"""Case fan-out benchmark: a case moved on the board reaching 500 members' open boards.

Issue 11 asks that a case update reaching 500 open boards (commit, audit, emit) has a
p99 of no more than 3x a raw fan-out of the same size measured in the same run, and
under 250 ms. This script measures exactly that with the machinery of ``fanout.py``:

* baseline: the bare Flask-SocketIO app (``baseline_server.py``), ``POST /emit`` to a room
  of N unauthenticated sockets;
* Bridgework: the real app on a fresh database, N sockets authenticated with members'
  API tokens following ``cases:<workspace id>`` (what a board follows), and the action is a
  lead's ``PATCH /api/v1/cases/<id>`` moving one case to the next status with the version
  it read: one action that locks the case, writes the audit entry, stores the event on the
  case's and the case boards' streams, notifies the assignees and emits after commit.

Both run at once and take turns round by round; the ratio of their p99s is the figure to
judge. ``python bench/case_fanout.py`` measures 500 boards on gevent in one process on
PostgreSQL; ``--database sqlite`` needs no server; ``--help`` for the rest.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

import fanout  # noqa: E402
from sioclient import raise_open_files_limit  # noqa: E402

STATUSES = ("in_progress", "blocked", "resolved", "open")


def case_action(port: int, fixture: fanout.AppFixture) -> Callable[[], None]:
    """Open a case in the benchmark workspace; each call moves it to the next status."""
    status, body = fanout.http_request(
        port,
        "POST",
        "/api/v1/cases",
        {
            "workspace_id": fixture.workspace_id,
            "title": "Sha Tin flooding, typhoon signal No. 8",
            "priority": "urgent",
        },
        token=fixture.lead_token,
    )
    if status != 201:
        raise RuntimeError(f"POST /api/v1/cases answered {status}: {body[:300]!r}")
    case = json.loads(body)
    path = f"/api/v1/cases/{case['id']}"
    state = {"version": case["version"], "round": 0}

    def action() -> None:
        move = {"version": state["version"], "status": STATUSES[state["round"] % len(STATUSES)]}
        status, body = fanout.http_request(port, "PATCH", path, move, token=fixture.lead_token)
        if status != 200:
            raise RuntimeError(f"PATCH {path} answered {status}: {body[:300]!r}")
        state["version"] = json.loads(body)["version"]
        state["round"] += 1

    return action


def _connect(side: fanout.Side, clients: int, fixture: fanout.AppFixture) -> None:
    listen, act = side.servers[0], side.servers[-1]
    if side.target == "app":
        # What an open case board follows: the workspace's case-board stream.
        stream, tokens = f"cases:{fixture.workspace_id}", list(fixture.member_tokens)
        action = case_action(act.port, fixture)
    else:
        stream, tokens = "bench", [None]
        action = fanout.baseline_action(act.port, stream)
    side.pool = fanout.ClientPool(listen.port, stream, clients, tokens, fanout.PER_PROCESS)
    side.ready = side.pool.wait_ready()
    if not side.ready["connected"]:
        raise RuntimeError(f"no socket connected: {side.ready['errors']}\n{listen.tail()}")
    side.probe = fanout.Probe(side.pool, action, side.ready["last_seq"])


def run(args, workdir: Path, fixture: fanout.AppFixture) -> list[fanout.Result]:
    sides = [
        fanout._start_side(
            target, args.mode, args.topology, args.clients, workdir, fixture, args.redis
        )
        for target in ("baseline", "app")
    ]
    load_before = os.getloadavg()[0]
    try:
        with fanout.running([server for side in sides for server in side.servers]):
            for side in sides:
                _connect(side, args.clients, fixture)
            fanout.measure_interleaved([side.probe for side in sides], args.rounds)
    finally:
        for side in sides:
            if side.pool is not None:
                side.pool.close()
    load = max(load_before, os.getloadavg()[0])
    return [
        fanout.Result(
            target=side.target,
            mode=args.mode,
            topology=args.topology,
            clients=args.clients,
            connected=side.ready["connected"],
            rounds=args.rounds,
            connect_s=side.ready["seconds"],
            database=fixture.database if side.target == "app" else "",
            load=load,
            **side.probe.figures(),
        )
        for side in sides
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Case update fan-out to open boards.")
    parser.add_argument("--clients", type=int, default=500, help="open boards (sockets)")
    parser.add_argument("--mode", choices=fanout.MODES, default="gevent")
    parser.add_argument("--topology", choices=("single", "redis"), default="single")
    parser.add_argument("--rounds", type=int, default=30, help="measured case moves")
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--members", type=int, default=50, help="workspace members with tokens")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", fanout.DEFAULT_REDIS))
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args(argv)

    raise_open_files_limit()
    workdir = Path(tempfile.mkdtemp(prefix="bridgework-case-bench-"))
    fanout.log(f"Case fan-out benchmark on {os.cpu_count()} cores; logs in {workdir}")
    fixture = None
    try:
        fanout.log(f"Preparing Bridgework on a fresh {args.database} database ...")
        fixture = fanout.prepare_app(workdir, args.database, args.members)
        fanout.log(f"  {args.mode} {args.topology} N={args.clients}, {args.rounds} rounds ...")
        results = run(args, workdir, fixture)
    finally:
        if fixture is not None and fixture.drop is not None:
            with suppress(Exception):
                fixture.drop()
    fanout.log("")
    fanout.log(fanout.markdown_table(results))
    bare, app = results
    ratio = app.p99_ms / bare.p99_ms if bare.p99_ms else float("nan")
    met = ratio <= 3 and app.p99_ms < 250 and not app.missing
    fanout.log(
        f"\nCase update p99 {app.p99_ms:.1f} ms vs raw fan-out p99 {bare.p99_ms:.1f} ms: "
        f"ratio {ratio:.2f} (goal <= 3 and < 250 ms): {'met' if met else 'NOT met'}"
    )
    if args.json:
        args.json.write_text(json.dumps([r.__dict__ for r in results], indent=2))
    if app.missing or bare.missing:
        fanout.log(f"Some sockets missed events; server logs are kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
