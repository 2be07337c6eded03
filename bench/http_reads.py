"""Read benchmark: every main page and list endpoint against a bare Flask endpoint.

Builds a realistic PostgreSQL database through Bridgework's services (bench/http_data.py:
1,000 users in 20 departments, 500 workspaces, 20,000 workspace events, about 7,700
notifications, 50,000 audit entries at ``--scale 1``), then serves, at the same time:

* Bridgework as production does: ``gunicorn wsgi:app`` from the project root, so
  ``gunicorn.conf.py`` applies (one gevent worker), with ``BRIDGEWORK_ENV=production``;
* the bare baseline (bench/bare_http.py): ``GET /rows`` returns 50 ORM rows as JSON
  from the same database, under the same gunicorn settings.

Each read in ``READS`` is loaded with wrk at 16 and 64 connections, in rounds that
alternate the two servers (bare, app, bare, app, ...), three rounds each. Pages are
fetched with a session cookie from signing in through the form (CSRF token included),
API endpoints with a bearer token. For each read it prints requests per second, p50,
p99, timeouts and errors, and the ratio of Bridgework's throughput to the bare one of
the same round: the median of the rounds with their min-max. It also counts the SQL
statements of one request of each read (in-process, through the test client) and, with
``--profile``, profiles the reads with the lowest ratio and prints where their time goes.

    python bench/http_reads.py --quick               # small database, short rounds: ~3 min
    python bench/http_reads.py --scale 0.2 --json bench/results/http-0.2.json
    python bench/http_reads.py                       # full size, 8 s rounds: ~45 min

Only 127.0.0.1 is ever contacted; every server is stopped and the database dropped at
the end. (Why not ``bench/http.py``: a file of that name in bench/ shadows the standard
library's ``http`` package for every script run from this folder.)
"""

from __future__ import annotations

import argparse
import cProfile
import http.client
import io
import json
import math
import os
import pstats
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from fanout import (  # noqa: E402
    BIN,
    DEFAULT_POSTGRES,
    HOST,
    PROJECT_ROOT,
    Server,
    ServerSpec,
    percentile,
    running,
)
from http_data import BenchData, build, load_kept  # noqa: E402

USER_AGENT = "bridgework-http-bench"
WRK_TIMEOUT_S = 5
PAUSE_S = 0.5


# The reads ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Read:
    """One page or list endpoint the benchmark loads.

    ``path`` may name ids that the database builder returns (``{workspace_id}``);
    ``persona`` is who asks (a key of ``BenchData.personas``); a ``page`` is fetched
    with that person's session cookie, an ``api`` endpoint with their bearer token.
    A new domain adds its pages and endpoints here, one line each, and the ids they
    need to ``BenchData.ids`` in bench/http_data.py.
    """

    label: str
    path: str
    persona: str
    kind: str  # "page" or "api"
    domain: str


READS: list[Read] = [
    Read("GET /api/v1/workspaces", "/api/v1/workspaces", "head", "api", "workspaces"),
    Read("workspace page", "/workspaces/{workspace_id}", "lead", "page", "workspaces"),
    Read(
        "GET /api/v1/workspaces/<id>/events?after=0",
        "/api/v1/workspaces/{workspace_id}/events?after=0",
        "lead",
        "api",
        "workspaces",
    ),
    Read("workspace list page", "/workspaces/", "head", "page", "workspaces"),
    Read("audit page", "/audit/", "auditor", "page", "audit"),
    Read("admin users page", "/admin/users", "admin", "page", "accounts"),
    Read("GET /api/v1/users", "/api/v1/users", "admin", "api", "accounts"),
    Read("GET /api/v1/notifications", "/api/v1/notifications", "reader", "api", "notifications"),
    Read("home page", "/", "reader", "page", "main"),
    Read("notifications page", "/notifications/", "reader", "page", "notifications"),
    Read("dataset list page", "/catalog/", "lead", "page", "catalog"),
    Read("GET /api/v1/datasets", "/api/v1/datasets", "lead", "api", "catalog"),
    Read("case board", "/cases/workspace/{cases_workspace_id}/board", "lead", "page", "cases"),
    Read("case list page", "/cases/workspace/{cases_workspace_id}/", "lead", "page", "cases"),
    Read(
        "GET /api/v1/cases?workspace=<id>",
        "/api/v1/cases?workspace={cases_workspace_id}",
        "lead",
        "api",
        "cases",
    ),
    Read("GET /api/v1/cases (every workspace)", "/api/v1/cases", "auditor", "api", "cases"),
    Read("My cases page", "/cases/", "lead", "page", "cases"),
    Read("case page", "/cases/{case_id}", "lead", "page", "cases"),
]

BARE_PATH = "/rows"


# Loading --------------------------------------------------------------------------------------


@dataclass
class Load:
    """What one load run of one server saw."""

    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    timeouts: int
    errors: int
    load_avg: float


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text.strip())
    if not match:
        return math.nan
    return float(match.group(1)) * _UNITS[match.group(2)]


def parse_wrk(output: str) -> dict[str, Any]:
    """Throughput, p50, p99, request count, timeouts and errors from ``wrk --latency``."""

    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, output)
        return float(match.group(1)) if match else default

    latency = dict(re.findall(r"^\s+(50|99)%\s+(\S+)\s*$", output, re.MULTILINE))
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    connect, read, write, timeouts = (int(n) for n in socket.groups()) if socket else (0,) * 4
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "p50_ms": _ms(latency["50"]) if "50" in latency else math.nan,
        "p99_ms": _ms(latency["99"]) if "99" in latency else math.nan,
        "requests": int(number(r"(\d+) requests in")),
        "timeouts": timeouts,
        "errors": connect + read + write + int(number(r"Non-2xx or 3xx responses: (\d+)")),
    }


def load_with_wrk(url: str, headers: dict[str, str], connections: int, duration: float) -> Load:
    argv = [
        shutil.which("wrk") or "wrk",
        f"-t{min(2, connections)}",
        f"-c{connections}",
        f"-d{duration:g}s",
        f"--timeout={WRK_TIMEOUT_S}s",
        "--latency",
    ]
    for name, value in headers.items():
        argv += ["-H", f"{name}: {value}"]
    load_avg = os.getloadavg()[0]
    done = subprocess.run(
        [*argv, url], capture_output=True, text=True, timeout=duration + WRK_TIMEOUT_S + 30
    )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr.strip() or done.stdout.strip()}")
    return Load(**parse_wrk(done.stdout), load_avg=load_avg)


def load_with_threads(url: str, headers: dict[str, str], connections: int, duration: float) -> Load:
    """A bounded stand-in for wrk: one keep-alive connection per thread for ``duration``.

    Python's own cost caps what it can measure, so the bare server's figures especially
    are low; install wrk for real figures.
    """
    host_port, _, path = url.removeprefix("http://").partition("/")
    host, _, port = host_port.partition(":")
    latencies: list[float] = []
    counts = {"timeouts": 0, "errors": 0}
    lock = threading.Lock()
    load_avg = os.getloadavg()[0]
    stop_at = time.monotonic() + duration

    def worker() -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=WRK_TIMEOUT_S)
        mine: list[float] = []
        while time.monotonic() < stop_at:
            started = time.monotonic()
            try:
                conn.request("GET", "/" + path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status < 400
            except TimeoutError:
                with lock:
                    counts["timeouts"] += 1
                conn.close()
                continue
            except OSError:
                ok = False
                conn.close()
            if ok:
                mine.append((time.monotonic() - started) * 1000)
            else:
                with lock:
                    counts["errors"] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(connections)]
    began = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=duration + WRK_TIMEOUT_S + 5)
    elapsed = time.monotonic() - began
    latencies.sort()
    return Load(
        rps=len(latencies) / elapsed,
        p50_ms=percentile(latencies, 0.50),
        p99_ms=percentile(latencies, 0.99),
        requests=len(latencies),
        timeouts=counts["timeouts"],
        errors=counts["errors"],
        load_avg=load_avg,
    )


# Servers and sessions ---------------------------------------------------------------------


class GunicornServer(Server):
    """``gunicorn -b 127.0.0.1:<port> <app>`` from the project root: gunicorn.conf.py applies."""

    def __init__(self, target: str, app_path: str, env: dict[str, str], workdir: Path) -> None:
        super().__init__(ServerSpec(target, "gevent", env), workdir, f"http-{target}")
        self.app_path = app_path

    def argv(self) -> list[str]:
        return [str(BIN / "gunicorn"), "-b", f"{HOST}:{self.port}", self.app_path]

    def mode_env(self) -> dict[str, str]:
        return {}


def get(port: int, path: str, headers: dict[str, str] | None = None) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request("GET", path, headers={"User-Agent": USER_AGENT, **(headers or {})})
    response = conn.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    conn.close()
    return response


def _cookies(response: http.client.HTTPResponse, jar: dict[str, str]) -> None:
    for header in response.msg.get_all("Set-Cookie") or []:
        parsed = SimpleCookie()
        parsed.load(header)
        jar.update({name: morsel.value for name, morsel in parsed.items()})


def _cookie_header(jar: dict[str, str]) -> str:
    return "; ".join(f"{name}={value}" for name, value in jar.items())


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def sign_in(port: int, username: str, password: str) -> str:
    """Sign in through the form, CSRF token included; return the ``Cookie`` header.

    Production cookies are ``Secure`` and gunicorn speaks plain HTTP here, so the
    cookies are carried by hand, as a browser does behind the TLS proxy.
    """
    jar: dict[str, str] = {}
    page = get(port, "/login")
    _cookies(page, jar)
    token = CSRF_FIELD.search(page.body.decode())  # type: ignore[attr-defined]
    form = urlencode(
        {"username": username, "password": password, "csrf_token": token.group(1) if token else ""}
    )
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    conn.request(
        "POST",
        "/login",
        body=form,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": _cookie_header(jar),
            "User-Agent": USER_AGENT,
        },
    )
    answer = conn.getresponse()
    answer.read()
    conn.close()
    if answer.status != 302:
        raise RuntimeError(f"signing in as {username} answered {answer.status}")
    _cookies(answer, jar)
    return _cookie_header(jar)


def request_headers(read: Read, data: BenchData, cookies: dict[str, str]) -> dict[str, str]:
    headers = {"User-Agent": USER_AGENT}
    if read.kind == "page":
        headers["Cookie"] = cookies[read.persona]
    else:
        headers["Authorization"] = f"Bearer {data.personas[read.persona].token}"
    return headers


# Database ---------------------------------------------------------------------------------


def postgres_admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        conn.execute(statement)


CHEAP_HASHING = {"PASSWORD_HASH_TIME_COST": "1", "PASSWORD_HASH_MEMORY_KIB": "1024"}


def prepare_database(workdir: Path, admin_url: str) -> tuple[dict[str, str], str]:
    """Create ``bench_http_<pid>``, migrate it and load the demo; return the app's environment."""
    name = f"bench_http_{os.getpid()}"
    postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{name}"')
    postgres_admin(admin_url, f'CREATE DATABASE "{name}"')
    env = {
        "DATABASE_URL": admin_url.rsplit("/", 1)[0] + "/" + name,
        "INSTANCE_DIR": str(workdir / "instance"),
        "BRIDGEWORK_ENV": "production",
        "SECRET_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
        "AUDIT_HMAC_KEY": uuid.uuid4().hex + uuid.uuid4().hex,
    }
    setup_env = {**os.environ, **env, **CHEAP_HASHING, "BRIDGEWORK_ENV": "development"}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    for command in (["db", "upgrade"], ["seed-demo"]):
        subprocess.run(
            [*flask, *command], cwd=PROJECT_ROOT, env=setup_env, check=True, capture_output=True
        )
    return env, name


def in_process_app(env: dict[str, str]):
    """Bridgework in this process, on the benchmark's database, for seeding and counting."""
    os.environ.update(env)
    from app import create_app

    return create_app(
        {
            "SESSION_COOKIE_SECURE": False,
            "PASSWORD_HASH_TIME_COST": int(CHEAP_HASHING["PASSWORD_HASH_TIME_COST"]),
            "PASSWORD_HASH_MEMORY_KIB": int(CHEAP_HASHING["PASSWORD_HASH_MEMORY_KIB"]),
        }
    )


# Statement counts and profiles (in-process, through the test client) -----------------------


class SignedInClients:
    """One test client per persona: signed in through the form, or carrying a bearer token."""

    def __init__(self, app, data: BenchData) -> None:
        self.app, self.data = app, data
        self.clients: dict[str, Any] = {}

    def get(self, read: Read, path: str):
        if read.kind == "api":
            client = self.clients.setdefault("api", self.app.test_client())
            token = self.data.personas[read.persona].token
            return client.get(path, headers={"Authorization": f"Bearer {token}"})
        if read.persona not in self.clients:
            client = self.app.test_client()
            persona = self.data.personas[read.persona]
            page = client.get("/login")
            token = CSRF_FIELD.search(page.get_data(as_text=True))
            client.post(
                "/login",
                data={
                    "username": persona.username,
                    "password": persona.password,
                    "csrf_token": token.group(1) if token else "",
                },
            )
            self.clients[read.persona] = client
        return self.clients[read.persona].get(path)


def record_statements(app, data: BenchData, reads: list[Read]) -> dict[str, list[str]]:
    """The SQL statements of one request of each read (after one warm-up request)."""
    from sqlalchemy import event

    from app.extensions import db

    clients = SignedInClients(app, data)
    recorded: dict[str, list[str]] = {}
    with app.app_context():
        engine = db.engine
    for read in reads:
        path = read.path.format(**data.ids)
        clients.get(read, path)
        statements: list[str] = []

        def note(_conn, _cursor, statement, *_args, statements=statements) -> None:
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", note)
        try:
            response = clients.get(read, path)
        finally:
            event.remove(engine, "before_cursor_execute", note)
        if response.status_code != 200:
            raise RuntimeError(f"{read.label} answered {response.status_code} in-process")
        recorded[read.label] = statements
    return recorded


def _calls_per_request(get, requests: int) -> float:
    """Python function calls of one request, averaged over ``requests`` after a warm-up."""
    get()
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(requests):
        get()
    profiler.disable()
    return pstats.Stats(profiler).total_calls / requests


def count_calls(app, data: BenchData, reads: list[Read], requests: int = 10) -> dict[str, float]:
    """Python calls per request of each read and of the bare endpoint, in-process.

    Unlike throughput, a call count does not depend on what else the machine is doing: it
    is the same in every run of the same code and data. A worker that is busy with
    Python serves requests in inverse proportion to their calls, so the bare endpoint's
    count over a read's count foretells that read's throughput ratio on an idle machine.
    """
    from bare_http import app as bare_app

    bare_client = bare_app.test_client()
    counts = {BARE_PATH: _calls_per_request(lambda: bare_client.get(BARE_PATH), requests)}
    clients = SignedInClients(app, data)
    for read in reads:
        path = read.path.format(**data.ids)
        counts[read.label] = _calls_per_request(lambda p=path, r=read: clients.get(r, p), requests)
    return counts


# Each in-process connection to PostgreSQL names itself, so that the CPU time of the
# backends serving this process can be told from every other connection's.
BENCH_APPLICATION_NAME = f"bridgework-bench-{os.getpid()}"


def _backend_cpu_seconds(database_url: str) -> float | None:
    """CPU seconds used so far by the PostgreSQL backends of this process's connections.

    Read from /proc, so only for a server on this machine that this user may inspect;
    None otherwise.
    """
    import psycopg

    url = database_url.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [
            row[0]
            for row in conn.execute(
                "SELECT pid FROM pg_stat_activity WHERE application_name = %s",
                (BENCH_APPLICATION_NAME,),
            )
        ]
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def cpu_per_request(
    app, data: BenchData, reads: list[Read], database_url: str, requests: int
) -> dict[str, tuple[float, float]] | None:
    """CPU ms of one request of each read, and of the bare endpoint: (app process, database).

    Like calls, CPU time hardly moves with what else the machine runs, unlike wall time;
    unlike calls it weighs C work (JSON, escaping) and the database's own work, which
    shares the cores with the app under load. The backends' time comes in 10 ms ticks,
    hence the many requests. None when the backends' CPU cannot be read.
    """
    from bare_http import app as bare_app

    def measure(get) -> tuple[float, float] | None:
        for _ in range(10):
            get()
        database_before = _backend_cpu_seconds(database_url)
        started = time.process_time()
        for _ in range(requests):
            get()
        own = time.process_time() - started
        database_after = _backend_cpu_seconds(database_url)
        if database_before is None or database_after is None:
            return None
        return own / requests * 1000, (database_after - database_before) / requests * 1000

    bare_client = bare_app.test_client()
    figures = {BARE_PATH: measure(lambda: bare_client.get(BARE_PATH))}
    clients = SignedInClients(app, data)
    for read in reads:
        path = read.path.format(**data.ids)
        figures[read.label] = measure(lambda p=path, r=read: clients.get(r, p))
    if any(value is None for value in figures.values()):
        return None
    return figures


def statement_shapes(statements: list[str], top: int = 8) -> list[tuple[str, int]]:
    """The most frequent statements with their column lists elided: N+1 loads stand out."""
    shapes = Counter(
        re.sub(r"^SELECT .*? FROM ", "SELECT ... FROM ", " ".join(s.split()))[:150]
        for s in statements
    )
    return shapes.most_common(top)


def profile(app, data: BenchData, read: Read, requests: int, lines: int = 14) -> str:
    """Where one read's time goes: cProfile over ``requests`` requests, project code first."""
    clients = SignedInClients(app, data)
    path = read.path.format(**data.ids)
    clients.get(read, path)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for _ in range(requests):
        clients.get(read, path)
    profiler.disable()
    per_request = (time.perf_counter() - started) / requests * 1000
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    out.write(f"{read.label}: {per_request:.1f} ms per request under the profiler\n")
    out.write("-- project functions by cumulative time --\n")
    stats.sort_stats("cumulative").print_stats(rf"{re.escape(str(PROJECT_ROOT))}/app/", lines)
    out.write("-- all functions by own time --\n")
    stats.sort_stats("tottime").print_stats(lines)
    root = str(PROJECT_ROOT) + "/"
    venv = re.compile(r"\S*/site-packages/")
    text = out.getvalue().replace(root, "")
    return "\n".join(
        venv.sub("", line)
        for line in text.splitlines()
        if line.strip() and not line.lstrip().startswith(("Ordered by", "List reduced"))
    )


# The run ------------------------------------------------------------------------------------


@dataclass
class Line:
    """One read at one number of connections: each round's bare and Bridgework loads."""

    label: str
    kind: str
    connections: int
    bare: list[Load] = field(default_factory=list)
    app: list[Load] = field(default_factory=list)

    def ratios(self) -> list[float]:
        return [
            a.rps / b.rps if b.rps else math.nan for a, b in zip(self.app, self.bare, strict=True)
        ]

    def summary(self) -> dict[str, Any]:
        def spread(values: list[float]) -> dict[str, float]:
            return {"median": statistics.median(values), "min": min(values), "max": max(values)}

        return {
            "label": self.label,
            "kind": self.kind,
            "connections": self.connections,
            "rounds": len(self.app),
            "ratio": spread(self.ratios()),
            "app_rps": spread([r.rps for r in self.app]),
            "app_p50_ms": spread([r.p50_ms for r in self.app]),
            "app_p99_ms": spread([r.p99_ms for r in self.app]),
            "app_timeouts": sum(r.timeouts for r in self.app),
            "app_errors": sum(r.errors for r in self.app),
            "bare_rps": spread([r.rps for r in self.bare]),
            "bare_p50_ms": spread([r.p50_ms for r in self.bare]),
            "bare_p99_ms": spread([r.p99_ms for r in self.bare]),
            "bare_timeouts": sum(r.timeouts for r in self.bare),
            "bare_errors": sum(r.errors for r in self.bare),
            "load_avg_max": max(r.load_avg for r in self.app + self.bare),
        }


def measure(
    reads: list[Read],
    data: BenchData,
    bare: Server,
    app: Server,
    cookies: dict[str, str],
    connection_counts: list[int],
    rounds: int,
    duration: float,
    loader,
    log,
) -> list[Line]:
    """Round by round, for each read: load the bare server, then Bridgework, alike."""
    lines = {
        (read.label, c): Line(read.label, read.kind, c) for c in connection_counts for read in reads
    }
    bare_url = f"http://{HOST}:{bare.port}{BARE_PATH}"
    for connections in connection_counts:
        for number in range(1, rounds + 1):
            log(f"  {connections} connections, round {number} of {rounds}")
            for read in reads:
                line = lines[(read.label, connections)]
                line.bare.append(
                    loader(bare_url, {"User-Agent": USER_AGENT}, connections, duration)
                )
                time.sleep(PAUSE_S)
                url = f"http://{HOST}:{app.port}{read.path.format(**data.ids)}"
                line.app.append(
                    loader(url, request_headers(read, data, cookies), connections, duration)
                )
                time.sleep(PAUSE_S)
                b, a = line.bare[-1], line.app[-1]
                log(
                    f"    {read.label:44} bare {b.rps:7.0f}/s  app {a.rps:7.1f}/s "
                    f"p50 {a.p50_ms:7.1f} p99 {a.p99_ms:7.1f} ms  "
                    f"timeouts {a.timeouts} errors {a.errors}  ratio {a.rps / b.rps:.3f}"
                )
    return list(lines.values())


def check_reads(reads: list[Read], data: BenchData, port: int, cookies: dict[str, str]) -> None:
    """Every read answers 200 to its persona before it is loaded (no redirect to sign-in)."""
    for read in reads:
        response = get(port, read.path.format(**data.ids), request_headers(read, data, cookies))
        if response.status != 200:
            body = response.body[:300]  # type: ignore[attr-defined]
            raise RuntimeError(f"{read.label} answered {response.status}: {body!r}")


def _spread(figures: dict[str, float], fmt: str) -> str:
    return (
        f"{figures['median']:{fmt}} ({figures['min']:{fmt}}-{figures['max']:{fmt}})"
        if not math.isnan(figures["median"])
        else "n/a"
    )


def markdown_table(
    summaries: list[dict[str, Any]], statements: dict[str, int], calls: dict[str, float]
) -> str:
    lines = [
        "| request | conns | app req/s | app p50 ms | app p99 ms | timeouts / errors | "
        "bare req/s | bare p50 / p99 ms | app / bare | SQL / request | calls / request "
        "(bare / app) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for s in summaries:
        own = calls.get(s["label"])
        called = f"{own:,.0f} ({calls[BARE_PATH] / own:.3f})" if own else ""
        lines.append(
            f"| {s['label']} | {s['connections']} | {_spread(s['app_rps'], ',.0f')} | "
            f"{_spread(s['app_p50_ms'], '.0f')} | {_spread(s['app_p99_ms'], '.0f')} | "
            f"{s['app_timeouts']} / {s['app_errors']} | {_spread(s['bare_rps'], ',.0f')} | "
            f"{s['bare_p50_ms']['median']:.0f} / {s['bare_p99_ms']['median']:.0f} | "
            f"{_spread(s['ratio'], '.3f')} | {statements.get(s['label'], '')} | {called} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="database size (1 = full)")
    parser.add_argument("--quick", action="store_true", help="scale 0.05, 3 s, one round")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per load run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", default="16,64", help="comma-separated")
    parser.add_argument("--only", help="run only reads whose label contains this text")
    parser.add_argument(
        "--profile", type=int, default=3, help="profile the N reads with the lowest ratio"
    )
    parser.add_argument("--profile-requests", type=int, default=40)
    parser.add_argument(
        "--cpu-requests",
        type=int,
        default=100,
        help="requests per read for CPU ms per request (app and database); 0 skips",
    )
    parser.add_argument("--skip-load", action="store_true", help="build, count, profile all")
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    parser.add_argument(
        "--reuse",
        type=Path,
        help="use the database that bench/case_plans.py --keep described in this file "
        "(no build; the database is kept)",
    )
    args = parser.parse_args(argv)
    if args.quick:
        args.scale, args.duration, args.rounds = 0.05, 3.0, 1
    connection_counts = [int(n) for n in args.connections.split(",") if n]
    reads = [r for r in READS if not args.only or args.only.lower() in r.label.lower()]
    loader = load_with_wrk if shutil.which("wrk") else load_with_threads
    os.environ.pop("SOCKETIO_ASYNC_MODE", None)
    os.environ.pop("SOCKETIO_MESSAGE_QUEUE", None)
    # Read by libpq when this process connects (see cpu_per_request); not the servers'.
    os.environ["PGAPPNAME"] = BENCH_APPLICATION_NAME

    workdir = Path(tempfile.mkdtemp(prefix="bridgework-http-"))

    def log(message: str) -> None:
        print(message, flush=True)

    log(
        f"Bridgework read benchmark on {os.cpu_count()} cores, load average "
        f"{os.getloadavg()[0]:.2f}; logs in {workdir}"
    )
    if loader is load_with_threads:
        log("  wrk not found: using the Python load generator (apt-get install -y wrk)")
    admin_url = os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES)
    if args.reuse:
        database, env, data = load_kept(args.reuse)
        env = {**env, "INSTANCE_DIR": str(workdir / "instance")}
    else:
        env, database = prepare_database(workdir, admin_url)
    result: dict[str, Any] = {"scale": args.scale, "duration_s": args.duration}
    ok = False
    app = None
    try:
        app = in_process_app(env)
        if args.reuse:
            log(f"Using the database {database} that {args.reuse} describes: {data.counts}")
        else:
            log(f"Building the database {database} at scale {args.scale:g} ...")
            with app.app_context():
                data = build(args.scale, log=lambda m: log(m))
            log(f"  built in {data.seconds:.0f} s: {data.counts}")
        result["counts"] = data.counts
        result["build_s"] = data.seconds
        recorded = record_statements(app, data, reads)
        statements = {label: len(texts) for label, texts in recorded.items()}
        result["statements"] = statements
        result["statement_shapes"] = {
            label: statement_shapes(texts) for label, texts in recorded.items()
        }
        log(f"  SQL statements per request: {statements}")
        calls = count_calls(app, data, reads)
        result["python_calls"] = calls
        log(f"  Python calls per request (bare: {calls[BARE_PATH]:,.0f}):")
        for read in reads:
            own = calls[read.label]
            log(f"    {read.label:45} {own:9,.0f}   bare / app {calls[BARE_PATH] / own:.3f}")
        if args.cpu_requests:
            cpu = cpu_per_request(app, data, reads, env["DATABASE_URL"], args.cpu_requests)
            result["cpu_ms"] = cpu
            log_cpu(cpu, reads, log)
        os.environ.pop("PGAPPNAME", None)

        summaries: list[dict[str, Any]] = []
        if not args.skip_load:
            bare = GunicornServer("baseline", "bench.bare_http:app", env, workdir)
            served = GunicornServer("app", "wsgi:app", env, workdir)
            with running([bare, served]):
                cookies = {
                    read.persona: sign_in(
                        served.port,
                        data.personas[read.persona].username,
                        data.personas[read.persona].password,
                    )
                    for read in reads
                    if read.kind == "page"
                }
                check_reads(reads, data, served.port, cookies)
                load_start = os.getloadavg()
                log(f"Loading (load average {load_start[0]:.2f}) ...")
                lines = measure(
                    reads,
                    data,
                    bare,
                    served,
                    cookies,
                    connection_counts,
                    args.rounds,
                    args.duration,
                    loader,
                    log,
                )
                check_reads(reads, data, served.port, cookies)
                load_end = os.getloadavg()
            summaries = [line.summary() for line in lines]
            result.update(
                load_avg_start=load_start,
                load_avg_end=load_end,
                loader="wrk" if loader is load_with_wrk else "python",
                summaries=summaries,
                runs=[asdict(line) for line in lines],
            )
            log("")
            log(markdown_table(summaries, statements, calls))
            log(
                f"\nload average (1, 5, 15 min): {_loads(load_start)} at start, "
                f"{_loads(load_end)} at end"
            )

        if args.profile:
            worst = _worst(reads, summaries, args.profile, args.skip_load)
            profiles = {}
            for read in worst:
                with app.app_context():
                    profiles[read.label] = profile(app, data, read, args.profile_requests)
                shapes = statement_shapes(recorded[read.label])
                profiles[read.label] += f"\n-- its {statements[read.label]} SQL statements --\n"
                profiles[read.label] += "\n".join(f"{n:4} x {text}" for text, n in shapes)
                log("")
                log(profiles[read.label])
            result["profiles"] = profiles
        ok = True
    finally:
        if app is not None:
            from app.extensions import db

            with app.app_context():
                db.engine.dispose()
        if not args.reuse:
            postgres_admin(admin_url, f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(result, indent=2, default=str))
    if ok:
        shutil.rmtree(workdir, ignore_errors=True)
    else:
        log(f"Server logs kept in {workdir}")
    return 0


def log_cpu(cpu: dict[str, tuple[float, float]] | None, reads: list[Read], log) -> None:
    if cpu is None:
        log("  CPU per request: not measured (the database's processes cannot be read here)")
        return
    bare = sum(cpu[BARE_PATH])
    log(
        f"  CPU ms per request, app process + database (bare: {cpu[BARE_PATH][0]:.2f} + "
        f"{cpu[BARE_PATH][1]:.2f}):"
    )
    for read in reads:
        own, database = cpu[read.label]
        log(
            f"    {read.label:45} {own:6.2f} + {database:5.2f}   "
            f"bare / app {bare / (own + database):.3f}"
        )


def _loads(averages: tuple[float, float, float]) -> str:
    return " / ".join(f"{x:.2f}" for x in averages)


def _worst(reads: list[Read], summaries: list[dict], count: int, everything: bool) -> list[Read]:
    """The reads with the lowest median ratio at the fewest connections measured."""
    if everything:
        return reads
    if not summaries:
        return reads[:count]
    fewest = min(s["connections"] for s in summaries)
    ratio = {s["label"]: s["ratio"]["median"] for s in summaries if s["connections"] == fewest}
    return sorted(reads, key=lambda r: ratio.get(r.label, math.inf))[:count]


if __name__ == "__main__":
    sys.exit(main())
