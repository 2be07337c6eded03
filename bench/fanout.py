"""Real-time fan-out benchmark: how fast does one action reach every open browser?

N Socket.IO clients (100, 500, 1000) sit in one room; an HTTP request causes one event in
that room; the script measures, for every client, the time from just before the request
was sent to the moment the event arrived (one clock: everything runs on this machine),
and reports p50, p99, max and messages per second.

Two servers are measured in the same run, one after the other, the same way:

* baseline: a bare Flask-SocketIO app (bench/baseline_server.py): ``POST /emit`` emits to
  a room the clients joined with no authentication, no policy and no database;
* Bridgework: the real app (``wsgi:app``) on a freshly migrated PostgreSQL (or SQLite)
  database; the clients authenticate with API tokens of workspace members and subscribe
  to ``workspace:<id>`` with the ``subscribe`` protocol (policy checked), and the action
  is ``PATCH /api/v1/workspaces/<id>`` by a lead, which stores a ``workspace.updated``
  event in the same transaction and emits it after commit.

Each in one process, and across two processes sharing events through Redis (clients on
one, the action through the other), for each async mode (threading: gunicorn's gthread
worker; gevent: gunicorn's gevent worker; werkzeug: ``python wsgi.py``). The ratio
Bridgework p99 / baseline p99 is what the benchmark is judged on.

``--capacity 4000`` also opens 4,000 sockets on one gevent process, holds them past a
ping interval, and checks that every one still receives an event.

Every wait is bounded and every server and client process is stopped at the end.
``python bench/fanout.py --quick`` (50 clients, gevent, one process) runs in under a
minute; ``python bench/fanout.py`` runs the full matrix (about 15 minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import http.client
import json
import math
import multiprocessing
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = BENCH_DIR.parent
sys.path.insert(0, str(BENCH_DIR))

from sioclient import WorkerSpec, raise_open_files_limit, run_worker  # noqa: E402

HOST = "127.0.0.1"
PYTHON = sys.executable
BIN = Path(PYTHON).parent
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/14"
PER_PROCESS = 500
ROUND_TIMEOUT = 30.0
PAUSE = 0.25
# Sockets each client process opens at once: the app's handshake is CPU-bound on the server,
# so more in flight only queue for its database connections (a pool of 15 by default).
CONNECT_CONCURRENCY = 10

MODES = ("threading", "gevent", "werkzeug")


# helpers ------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of already sorted values."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def http_request(
    port: int, method: str, path: str, body: dict | None = None, token: str | None = None
) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    try:
        conn.request(method, path, body=json.dumps(body or {}), headers=headers)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def log(message: str) -> None:
    print(message, flush=True)


# servers ------------------------------------------------------------------------------------


@dataclass
class ServerSpec:
    """How to start one server process: ``target`` is baseline or app, ``mode`` as in MODES."""

    target: str
    mode: str
    env: dict[str, str] = field(default_factory=dict)
    connections: int = 2000


class Server:
    """A server subprocess in its own process group, with its output in a log file."""

    def __init__(self, spec: ServerSpec, workdir: Path, name: str) -> None:
        self.spec = spec
        self.port = free_port()
        self.log_path = workdir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def argv(self) -> list[str]:
        spec = self.spec
        if spec.mode == "werkzeug":
            if spec.target == "baseline":
                return [PYTHON, str(BENCH_DIR / "baseline_server.py"), "--port", str(self.port)]
            return [PYTHON, str(PROJECT_ROOT / "wsgi.py")]
        worker = ["-k", "gevent"] if spec.mode == "gevent" else ["-k", "gthread"]
        if spec.mode == "threading":
            worker += ["--threads", str(spec.connections + 100)]
        target = ["--pythonpath", str(BENCH_DIR), "baseline_server:app"]
        if spec.target == "app":
            target = ["wsgi:app"]
        return [
            str(BIN / "gunicorn"),
            *worker,
            "-w",
            "1",
            "--worker-connections",
            str(spec.connections + 100),
            "--graceful-timeout",
            "3",
            "--log-level",
            "warning",
            "-b",
            f"{HOST}:{self.port}",
            *target,
        ]

    def mode_env(self) -> dict[str, str]:
        mode = "gevent" if self.spec.mode == "gevent" else "threading"
        return {"BENCH_ASYNC_MODE": mode, "SOCKETIO_ASYNC_MODE": mode}

    def start(self) -> None:
        env = {**os.environ, **self.spec.env, "PORT": str(self.port), "HOST": HOST}
        env.update(self.mode_env())
        with open(self.log_path, "ab") as out:
            self.process = subprocess.Popen(
                self.argv(),
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=raise_open_files_limit,
            )

    def wait_ready(self, timeout: float = 60.0) -> None:
        path = "/health" if self.spec.target == "baseline" else "/api/v1/openapi.json"
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"server exited early; see {self.log_path}:\n{self.tail()}")
            with suppress(OSError):
                status, _ = http_request(self.port, "GET", path)
                if status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"server not ready after {timeout:.0f} s; see {self.log_path}")

    def tail(self, lines: int = 15) -> str:
        with suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    def rss_mb(self) -> float:
        """Resident memory of the server process and its children (gunicorn's worker)."""
        if self.process is None:
            return math.nan
        total = 0
        for pid in [self.process.pid, *_children(self.process.pid)]:
            with suppress(OSError):
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
        return total / 1024

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        with suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)


def _children(pid: int) -> list[int]:
    with suppress(OSError):
        return [int(c) for c in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return []


@contextmanager
def running(servers: list[Server]) -> Iterator[list[Server]]:
    try:
        for server in servers:
            server.start()
        for server in servers:
            server.wait_ready()
        yield servers
    finally:
        for server in servers:
            server.stop()


# clients ------------------------------------------------------------------------------------


class ClientPool:
    """N sockets spread over a few client processes, driven through pipes."""

    def __init__(
        self,
        port: int,
        stream: str,
        count: int,
        tokens: list[str | None],
        per_process: int,
        connect_timeout: float = 240.0,
    ) -> None:
        self.count = count
        self.connect_timeout = connect_timeout
        processes = max(1, math.ceil(count / per_process))
        context = multiprocessing.get_context("fork")
        self.workers: list[tuple[Any, Any]] = []
        start = 0
        for i in range(processes):
            share = count // processes + (1 if i < count % processes else 0)
            parent, child = context.Pipe()
            spec = WorkerSpec(
                HOST,
                port,
                stream,
                share,
                tokens,
                first_index=start,
                concurrency=CONNECT_CONCURRENCY,
                connect_timeout=connect_timeout,
            )
            process = context.Process(target=run_worker, args=(spec, child), daemon=True)
            process.start()
            child.close()
            self.workers.append((process, parent))
            start += share

    def _ask_all(self, message: tuple, timeout: float) -> list[Any]:
        for _process, conn in self.workers:
            conn.send(message)
        return self._answers(timeout)

    def _answers(self, timeout: float) -> list[Any]:
        deadline = time.monotonic() + timeout
        answers = []
        for process, conn in self.workers:
            if not conn.poll(max(0.0, deadline - time.monotonic())):
                raise RuntimeError(f"client process {process.pid} did not answer in time")
            answers.append(conn.recv()[1:])
        return answers

    def wait_ready(self) -> dict[str, Any]:
        reports = [answer[0] for answer in self._answers(self.connect_timeout + 30)]
        return {
            "connected": sum(r["connected"] for r in reports),
            "failed": sum(r["failed"] for r in reports),
            "errors": sorted({e for r in reports for e in r["errors"]})[:3],
            "seconds": max(r["seconds"] for r in reports),
            "last_seq": max(r["last_seq"] for r in reports),
        }

    def arm(self, after: int) -> None:
        self._ask_all(("arm", after), 30)

    def collect(self, timeout: float) -> tuple[list[float], int, int]:
        answers = [a[0] for a in self._ask_all(("collect", timeout), timeout + 30)]
        times = [t for a in answers for t in a["times"]]
        return times, sum(a["missing"] for a in answers), max(a["max_seq"] for a in answers)

    def open_count(self) -> int:
        return sum(a[0] for a in self._ask_all(("count",), 30))

    def close(self) -> None:
        with suppress(Exception):
            self._ask_all(("close",), 30)
        for process, conn in self.workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join(timeout=5)
            conn.close()


@dataclass
class Result:
    target: str
    mode: str
    topology: str
    clients: int
    connected: int
    rounds: int
    samples: int
    missing: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    round_p99_ms: float
    msgs_per_s: float
    action_ms: float
    connect_s: float
    database: str = ""
    load: float = 0.0

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.mode, self.topology, self.clients)


class Probe:
    """One target's clients and action; :meth:`round` measures one action's delivery."""

    def __init__(self, pool: ClientPool, action: Callable[[], None], last_seq: int) -> None:
        self.pool, self.action, self.after = pool, action, last_seq
        self.latencies: list[float] = []
        self.round_p99s: list[float] = []
        self.spans: list[float] = []
        self.actions: list[float] = []
        self.missing = 0

    def round(self, counted: bool = True) -> None:
        self.pool.arm(self.after)
        sent = time.monotonic()
        self.action()
        answered = time.monotonic()
        times, lost, max_seq = self.pool.collect(ROUND_TIMEOUT)
        self.after = max(self.after, max_seq)
        if counted:
            latencies = sorted(t - sent for t in times)
            self.latencies.extend(latencies)
            if latencies:
                self.spans.append(latencies[-1])
                self.round_p99s.append(percentile(latencies, 0.99))
            self.actions.append(answered - sent)
            self.missing += lost

    def figures(self) -> dict[str, Any]:
        latencies = sorted(self.latencies)
        return {
            "samples": len(latencies),
            "missing": self.missing,
            "p50_ms": percentile(latencies, 0.50) * 1000,
            "p99_ms": percentile(latencies, 0.99) * 1000,
            "max_ms": (latencies[-1] * 1000) if latencies else math.nan,
            "round_p99_ms": (
                statistics.median(self.round_p99s) * 1000 if self.round_p99s else math.nan
            ),
            "msgs_per_s": len(latencies) / sum(self.spans) if self.spans else 0.0,
            "action_ms": statistics.median(self.actions) * 1000 if self.actions else math.nan,
        }


def measure_interleaved(probes: list[Probe], rounds: int, warmup: int = 2) -> None:
    """Take turns: one round of each probe, then the next, so noise hits them alike."""
    for index in range(warmup + rounds):
        for probe in probes:
            probe.round(counted=index >= warmup)
            time.sleep(PAUSE)


# Bridgework set-up ----------------------------------------------------------------------------


@dataclass
class AppFixture:
    """A migrated, seeded database with a workspace, its members' tokens and a lead's token."""

    env: dict[str, str]
    database: str
    workspace_id: int = 0
    stream: str = ""
    member_tokens: list[str] = field(default_factory=list)
    lead_token: str = ""
    drop: Callable[[], None] | None = None


def prepare_app(workdir: Path, database: str, members: int) -> AppFixture:
    """Create a fresh database, migrate and seed it, and create the benchmark workspace."""
    instance = workdir / "instance"
    instance.mkdir(parents=True, exist_ok=True)
    env = {
        "INSTANCE_DIR": str(instance),
        "BRIDGEWORK_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "AUDIT_HMAC_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
    }
    fixture = AppFixture(env=env, database=database)
    if database == "postgres":
        name = f"bench_fanout_{os.getpid()}"
        admin_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
        _postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}"')
        _postgres_admin(admin_url, f'CREATE DATABASE "{name}"')
        env["DATABASE_URL"] = admin_url.rsplit("/", 1)[0] + "/" + name
        fixture.drop = lambda: _postgres_admin(
            admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'
        )
    else:
        env["DATABASE_URL"] = f"sqlite:///{instance / 'bench.sqlite'}"
    run_env = {**os.environ, **env, "BRIDGEWORK_ENV": "development"}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(
            [*flask, *command], cwd=PROJECT_ROOT, env=run_env, check=True, capture_output=True
        )
    output = subprocess.run(
        [PYTHON, str(BENCH_DIR / "app_fixture.py"), "--members", str(members)],
        cwd=PROJECT_ROOT,
        env=run_env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    made = json.loads(output.strip().splitlines()[-1])
    fixture.workspace_id = made["workspace_id"]
    fixture.stream = f"workspace:{made['workspace_id']}"
    fixture.member_tokens = made["member_tokens"]
    fixture.lead_token = made["lead_token"]
    return fixture


def _postgres_admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(statement)


def workspace_action(port: int, fixture: AppFixture) -> Callable[[], None]:
    """A lead's ``PATCH /api/v1/workspaces/<id>`` of the purpose, with the current version."""
    path = f"/api/v1/workspaces/{fixture.workspace_id}"
    status, body = http_request(port, "GET", path, token=fixture.lead_token)
    if status != 200:
        raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
    version = [json.loads(body)["version"]]

    def action() -> None:
        change = {"version": version[0], "purpose": f"Benchmark round {uuid.uuid4().hex[:8]}"}
        status, body = http_request(port, "PATCH", path, change, token=fixture.lead_token)
        if status != 200:
            raise RuntimeError(f"PATCH {path} answered {status}: {body[:300]!r}")
        version[0] = json.loads(body)["version"]

    return action


# scenarios ----------------------------------------------------------------------------------


@dataclass
class Side:
    """One target's servers, clients and action inside a paired run."""

    target: str
    servers: list[Server]
    pool: ClientPool | None = None
    probe: Probe | None = None
    ready: dict[str, Any] = field(default_factory=dict)


def _start_side(
    target: str,
    mode: str,
    topology: str,
    clients: int,
    workdir: Path,
    fixture: AppFixture | None,
    redis_url: str,
) -> Side:
    env: dict[str, str] = dict(fixture.env) if (target == "app" and fixture) else {}
    if topology == "redis":
        env["SOCKETIO_MESSAGE_QUEUE"] = redis_url
        env["BENCH_MESSAGE_QUEUE"] = redis_url
        env["BENCH_CHANNEL"] = f"bench-baseline-{os.getpid()}"
    name = f"{target}-{mode}-{topology}-{clients}"
    count = 2 if topology == "redis" else 1
    return Side(
        target,
        [
            Server(ServerSpec(target, mode, env, connections=clients), workdir, f"{name}-{i}")
            for i in range(count)
        ],
    )


def _connect_side(side: Side, clients: int, fixture: AppFixture | None) -> None:
    listen, act = side.servers[0], side.servers[-1]
    if side.target == "app":
        assert fixture is not None
        stream = fixture.stream
        tokens: list[str | None] = list(fixture.member_tokens)
        action = workspace_action(act.port, fixture)
    else:
        stream, tokens = "bench", [None]
        action = baseline_action(act.port, stream)
    side.pool = ClientPool(listen.port, stream, clients, tokens, PER_PROCESS)
    side.ready = side.pool.wait_ready()
    if side.ready["failed"]:
        log(
            f"    {side.target}: {side.ready['failed']} of {clients} sockets failed: "
            f"{side.ready['errors']}"
        )
    if not side.ready["connected"]:
        raise RuntimeError(f"no socket connected: {side.ready['errors']}\n{listen.tail()}")
    side.probe = Probe(side.pool, action, side.ready["last_seq"])


def run_pair(
    targets: list[str],
    mode: str,
    topology: str,
    clients: int,
    rounds: int,
    workdir: Path,
    fixture: AppFixture | None,
    redis_url: str,
) -> list[Result]:
    """Start every target's servers and clients together, then measure them in turns."""
    sides = [
        _start_side(target, mode, topology, clients, workdir, fixture, redis_url)
        for target in targets
    ]
    load_before = os.getloadavg()[0]
    try:
        with running([server for side in sides for server in side.servers]):
            for side in sides:
                _connect_side(side, clients, fixture)
            measure_interleaved([side.probe for side in sides if side.probe], rounds)
    finally:
        for side in sides:
            if side.pool is not None:
                side.pool.close()
    load = max(load_before, os.getloadavg()[0])
    results = []
    for side in sides:
        assert side.probe is not None
        results.append(
            Result(
                target=side.target,
                mode=mode,
                topology=topology,
                clients=clients,
                connected=side.ready["connected"],
                rounds=rounds,
                connect_s=side.ready["seconds"],
                database=fixture.database if (side.target == "app" and fixture) else "",
                load=load,
                **side.probe.figures(),
            )
        )
    return results


def baseline_action(port: int, stream: str) -> Callable[[], None]:
    """``POST /emit`` on the bare server: one event to the room ``stream``."""

    def action() -> None:
        status, body = http_request(port, "POST", "/emit", {"stream": stream})
        if status != 204:
            raise RuntimeError(f"/emit answered {status}: {body[:300]!r}")

    return action


def run_capacity(
    target: str, connections: int, hold: float, workdir: Path, fixture: AppFixture | None
) -> dict[str, Any]:
    """Open ``connections`` sockets on one gevent process, hold them, and deliver one event."""
    env = dict(fixture.env) if (target == "app" and fixture) else {}
    server = Server(
        ServerSpec(target, "gevent", env, connections=connections),
        workdir,
        f"capacity-{target}-{connections}",
    )
    with running([server]):
        if target == "app":
            assert fixture is not None
            stream = fixture.stream
            tokens: list[str | None] = list(fixture.member_tokens)
            action = workspace_action(server.port, fixture)
        else:
            stream, tokens = "bench", [None]
            action = baseline_action(server.port, stream)
        pool = ClientPool(server.port, stream, connections, tokens, 1000, connect_timeout=900)
        try:
            ready = pool.wait_ready()
            log(
                f"    {ready['connected']} of {connections} sockets open in "
                f"{ready['seconds']:.1f} s; holding them {hold:.0f} s"
            )
            time.sleep(hold)
            still_open = pool.open_count()
            probe = Probe(pool, action, ready["last_seq"])
            for _ in range(3):
                probe.round()
                time.sleep(PAUSE)
            figures = probe.figures()
            rss = server.rss_mb()
        finally:
            pool.close()
    return {
        "target": target,
        "connections": connections,
        "connected": ready["connected"],
        "connect_s": ready["seconds"],
        "held_s": hold,
        "still_open": still_open,
        "rss_mb": rss,
        **figures,
    }


# report -------------------------------------------------------------------------------------


def markdown_table(results: list[Result]) -> str:
    bare = {r.key: r for r in results if r.target == "baseline"}
    lines = [
        "| mode | processes | clients | server | p50 ms | p99 ms | max ms | msgs/s | "
        "p99 / bare p99 | round p99 ms | ratio | lost | load |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in sorted(results, key=lambda r: (r.mode, r.topology, r.clients, r.target)):
        ratio = round_ratio = ""
        if r.target == "app" and r.key in bare and bare[r.key].p99_ms > 0:
            ratio = f"{r.p99_ms / bare[r.key].p99_ms:.2f}"
            round_ratio = f"{r.round_p99_ms / bare[r.key].round_p99_ms:.2f}"
        processes = "2 + Redis" if r.topology == "redis" else "1"
        server = "bare" if r.target == "baseline" else f"Bridgework ({r.database})"
        lines.append(
            f"| {r.mode} | {processes} | {r.clients} | {server} | {r.p50_ms:.1f} | "
            f"{r.p99_ms:.1f} | {r.max_ms:.1f} | {r.msgs_per_s:,.0f} | {ratio} | "
            f"{r.round_p99_ms:.1f} | {round_ratio} | {r.missing} | {r.load:.1f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Real-time fan-out benchmark.")
    parser.add_argument("--quick", action="store_true", help="50 clients, gevent, one process")
    parser.add_argument("--clients", default="100,500,1000", help="comma-separated N values")
    parser.add_argument("--modes", default="threading,gevent", help=f"from {', '.join(MODES)}")
    parser.add_argument("--topologies", default="single,redis", help="single and/or redis")
    parser.add_argument("--targets", default="baseline,app", help="baseline and/or app")
    parser.add_argument("--rounds", type=int, default=30, help="measured actions per run")
    parser.add_argument("--database", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--members", type=int, default=50, help="workspace members with tokens")
    parser.add_argument("--redis", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    parser.add_argument("--capacity", type=int, default=0, help="sockets for the capacity check")
    parser.add_argument("--hold", type=float, default=60.0, help="seconds to hold them")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="change the priority of the benchmark and its servers (negative needs root)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.modes, args.topologies = "50", "gevent", "single"
        args.rounds, args.members, args.capacity = 10, 10, 0
        if "--database" not in (argv or sys.argv):
            args.database = "sqlite"
    sizes = [int(n) for n in args.clients.split(",") if n]
    modes = [m for m in args.modes.split(",") if m]
    topologies = [t for t in args.topologies.split(",") if t]
    targets = [t for t in args.targets.split(",") if t]
    if bad := [m for m in modes if m not in MODES]:
        parser.error(f"unknown mode(s): {', '.join(bad)}")

    raise_open_files_limit()
    if args.nice:
        os.nice(args.nice)
    workdir = Path(tempfile.mkdtemp(prefix="bridgework-bench-"))
    log(f"Bridgework fan-out benchmark on {os.cpu_count()} cores; logs in {workdir}")
    fixture: AppFixture | None = None
    results: list[Result] = []
    capacity: dict[str, Any] | None = None
    try:
        if "app" in targets:
            log(f"Preparing Bridgework on a fresh {args.database} database ...")
            fixture = prepare_app(workdir, args.database, args.members)
            log(f"  workspace {fixture.workspace_id}, {len(fixture.member_tokens)} member tokens")
        for mode in modes:
            for topology in topologies:
                for clients in sizes:
                    log(f"  {mode:9} {topology:6} N={clients}: {' and '.join(targets)} ...")
                    pair = run_pair(
                        targets, mode, topology, clients, args.rounds, workdir, fixture, args.redis
                    )
                    results.extend(pair)
                    for result in pair:
                        log(
                            f"    {result.target:8} p50 {result.p50_ms:.1f} ms, "
                            f"p99 {result.p99_ms:.1f} ms (round p99 {result.round_p99_ms:.1f}), "
                            f"{result.msgs_per_s:,.0f} msgs/s, "
                            f"action {result.action_ms:.1f} ms, lost {result.missing}, "
                            f"{result.connected} connected in {result.connect_s:.1f} s, "
                            f"load {result.load:.1f}"
                        )
        if args.capacity:
            target = "app" if fixture else "baseline"
            log(f"  capacity: {args.capacity} sockets on one gevent process ({target}) ...")
            capacity = run_capacity(target, args.capacity, args.hold, workdir, fixture)
    finally:
        if fixture is not None and fixture.drop is not None:
            with suppress(Exception):
                fixture.drop()
    log("")
    log(markdown_table(results))
    if capacity:
        log("")
        log(
            f"Capacity ({capacity['target']}, gevent, one process): "
            f"{capacity['connected']}/{capacity['connections']} connected in "
            f"{capacity['connect_s']:.1f} s, {capacity['still_open']} still open after "
            f"{capacity['held_s']:.0f} s, each event delivered to {capacity['samples'] // 3} "
            f"(lost {capacity['missing']}), p50 {capacity['p50_ms']:.0f} ms, "
            f"p99 {capacity['p99_ms']:.0f} ms, server RSS {capacity['rss_mb']:.0f} MB"
        )
    if args.json:
        args.json.write_text(
            json.dumps({"results": [asdict(r) for r in results], "capacity": capacity}, indent=2)
        )
    troubled = any(r.missing or r.connected < r.clients for r in results)
    if capacity and (capacity["missing"] or capacity["connected"] < capacity["connections"]):
        troubled = True
    if troubled:
        log(f"Some sockets failed or missed events; server logs are kept in {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
