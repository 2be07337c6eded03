"""Upload benchmark: a large CSV version through the real HTTP endpoint, beside the baselines.

For each size (1,000,000 and 2,000,000 rows of 10 columns by default, about 100 MB per
million rows) the script generates the file once, then, three times each and in turn:

- **raw read**: reading the file in 1 MB chunks (what no validator can beat);
- **csv pass**: a plain Python ``csv.reader`` over the file, counting rows (the goal);
- **upload**: ``POST /api/v1/datasets/<id>/versions`` (multipart, streamed from disk by the
  client) to Bridgework served by gunicorn with the project's ``gunicorn.conf.py``; the
  server receives, hashes, validates and stores the file, and answers with the version.

It reports the median of three runs with min-max, the throughput, the server worker's
peak resident memory above idle (``VmHWM`` of ``/proc/<worker>/status``, reset before
each upload through ``clear_refs``, minus the worker's ``VmRSS`` when idle) and the load
average. ``--validators`` also times the candidate validators on the same file, each in
its own process (wall time, peak memory): the csv module (the exact line-by-line pass),
pyarrow's streaming CSV reader, DuckDB and Polars, whichever are installed.

    .venv/bin/python bench/upload.py                  # 1M and 2M rows, 3 runs each
    .venv/bin/python bench/upload.py --rows 200000 --runs 1 --validators

Everything lives in a temporary folder (database, storage, generated files, server log)
that is removed at the end unless ``--keep`` is given. The server listens on a free port
of 127.0.0.1 and is stopped at the end.
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
CHUNK = 1024 * 1024
COLUMNS = [
    ("reading_id", "integer"),
    ("station_id", "text"),
    ("district", "text"),
    ("measured_at", "datetime"),
    ("day", "date"),
    ("water_level_m", "decimal"),
    ("rainfall_mm", "decimal"),
    ("samples", "integer"),
    ("alarm", "boolean"),
    ("note", "text"),
]
DISTRICTS = ["Sha Tin", "Tai Po", "Yuen Long", "Kwun Tong", "Wong Tai Sin", "Sham Shui Po"]
NOTES = ["", "gauge cleaned", "battery low", "manual reading", "spike filtered"]


# The file ----------------------------------------------------------------------------------


def generate(path: Path, rows: int) -> None:
    """A believable 10-column CSV of ``rows`` sensor readings (about 100 bytes a row)."""
    rng = random.Random(rows)
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow([name for name, _kind in COLUMNS])
        for n in range(rows):
            minute = n % (60 * 24)
            level = rng.random() * 4
            writer.writerow(
                [
                    n + 1,
                    f"DSD-{100 + n % 250:03d}",
                    DISTRICTS[n % len(DISTRICTS)],
                    f"2026-11-{1 + n % 28:02d}T{minute // 60:02d}:{minute % 60:02d}:00+08:00",
                    f"2026-11-{1 + n % 28:02d}",
                    f"{level:.3f}",
                    f"{rng.random() * 40:.1f}",
                    rng.randint(1, 300),
                    "true" if level > 3.6 else "false",
                    NOTES[n % len(NOTES)],
                ]
            )


# The baselines -----------------------------------------------------------------------------


def raw_read(path: Path) -> int:
    with path.open("rb") as raw:
        while raw.read(CHUNK):
            pass
    return 0


def csv_pass(path: Path) -> int:
    with path.open(newline="", encoding="utf-8") as text:
        return sum(1 for _row in csv.reader(text)) - 1


# The server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def prepare(workdir: Path) -> tuple[dict[str, str], int, str]:
    """Migrate a fresh SQLite database, register the dataset; return env, id, token."""
    env = {
        **os.environ,
        "BRIDGEWORK_ENV": "production",
        "SECRET_KEY": secrets.token_hex(32),
        "AUDIT_HMAC_KEY": secrets.token_hex(32),
        "INSTANCE_DIR": str(workdir),
        "DATABASE_URL": f"sqlite:///{workdir / 'bench.sqlite'}",
        "STORAGE_DIR": str(workdir / "storage"),
        "DATASET_MAX_UPLOAD_BYTES": str(1024**3),
    }
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "db", "upgrade"],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    setup = subprocess.run(
        [sys.executable, "-c", _SETUP, json.dumps(COLUMNS)],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    dataset_id, token = setup.stdout.split()
    return env, int(dataset_id), token


# Run in a subprocess with the server's settings: an officer, a dataset, a token.
_SETUP = """
import json, sys
from app import create_app
from app.accounts.models import Department, Region, User, UserRole
from app.accounts.tokens import create_token
from app.catalog import service
from app.extensions import db

app = create_app()
with app.app_context():
    region = Region(code="HK", name="Hong Kong", jurisdiction="HK")
    db.session.add(region); db.session.flush()
    department = Department(code="DSD", name="Drainage Services Department", region_id=region.id)
    db.session.add(department); db.session.flush()
    officer = User(username="bench", display_name="Bench Officer", email="bench@bench.invalid",
                   department_id=department.id, password_hash="-",
                   role_links=[UserRole(role="officer")])
    db.session.add(officer); db.session.commit()
    columns = [{"name": n, "type": k} for n, k in json.loads(sys.argv[1])]
    dataset = service.create_dataset(officer, title="Bench readings", classification="public",
                                     update_frequency="real-time", columns=columns)
    _token, secret = create_token(officer, name="bench")
    print(dataset.id, secret)
"""


class Server:
    """``gunicorn wsgi:app`` from the project root: gunicorn.conf.py applies, as in production."""

    def __init__(self, env: dict[str, str], workdir: Path) -> None:
        self.port = free_port()
        self.env = env
        self.log = workdir / "gunicorn.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [str(BIN / "gunicorn"), "-b", f"{HOST}:{self.port}", "wsgi:app"],
                cwd=PROJECT_ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log}")
            with suppress(OSError):
                connection = http.client.HTTPConnection(HOST, self.port, timeout=5)
                connection.request("GET", "/api/v1/openapi.json")
                if connection.getresponse().status == 200 and self.worker_pid():
                    return
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn not ready; see {self.log}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def worker_pid(self) -> int | None:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        with suppress(OSError):
            pids = children.read_text().split()
            return int(pids[0]) if pids else None
        return None

    def memory_kb(self, field: str) -> int:
        for line in Path(f"/proc/{self.worker_pid()}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise RuntimeError(f"{field} not in /proc status")

    def reset_peak(self) -> None:
        """Make VmHWM start again from the current VmRSS (Linux ``clear_refs`` value 5)."""
        Path(f"/proc/{self.worker_pid()}/clear_refs").write_text("5")


def upload(server: Server, dataset_id: int, token: str, path: Path) -> dict:
    """Send ``path`` as multipart/form-data, streamed from disk; the server's answer."""
    boundary = uuid.uuid4().hex
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    connection = http.client.HTTPConnection(HOST, server.port, timeout=600)
    connection.putrequest("POST", f"/api/v1/datasets/{dataset_id}/versions")
    connection.putheader("Authorization", f"Bearer {token}")
    connection.putheader("Content-Type", f"multipart/form-data; boundary={boundary}")
    connection.putheader("Content-Length", str(len(head) + path.stat().st_size + len(tail)))
    connection.endheaders()
    connection.send(head)
    with path.open("rb") as source:
        while chunk := source.read(CHUNK):
            connection.send(chunk)
    connection.send(tail)
    response = connection.getresponse()
    body = json.loads(response.read() or b"{}")
    if response.status != 201:
        raise RuntimeError(f"upload answered {response.status}: {body}")
    return body


# Validators on their own -------------------------------------------------------------------

# Each validator: (imports and set-up, not timed; the timed check of PATH against COLUMNS).
_VALIDATORS = {
    "csv module (exact pass)": (
        "from app.catalog.csvcheck import find_problem",
        "assert find_problem(PATH, COLUMNS) is None",
    ),
    "pyarrow open_csv (the app's fast pass)": (
        "from app.catalog.csvcheck import check_file",
        "check_file(PATH, COLUMNS)",
    ),
    "duckdb read_csv": (
        """import duckdb
types = {"text": "VARCHAR", "integer": "BIGINT", "decimal": "DOUBLE", "date": "DATE",
         "datetime": "TIMESTAMPTZ", "boolean": "BOOLEAN"}
cols = "{" + ", ".join(f"'{n}': '{types[k]}'" for n, k in COLUMNS) + "}"
query = f"SELECT count(*) FROM read_csv('{PATH}', header=true, columns={cols})"
""",
        "duckdb.sql(query).fetchall()",
    ),
    "polars scan_csv (streaming)": (
        """import polars as pl
types = {"text": pl.String, "integer": pl.Int64, "decimal": pl.Float64, "date": pl.Date,
         "datetime": pl.String, "boolean": pl.Boolean}
""",
        # Null counts need every value parsed; a bare row count would skip the parsing.
        """pl.scan_csv(PATH, schema={n: types[k] for n, k in COLUMNS}).select(
    pl.all().null_count()).collect(engine="streaming")""",
    ),
}


def time_validator(setup: str, check: str, path: Path) -> tuple[float, float] | None:
    """Wall seconds and peak MB of ``check`` in its own process; ``None`` if not installed."""
    program = "\n".join(
        [
            "import resource, time",
            "from pathlib import Path",
            f"PATH = Path({str(path)!r})",
            f"COLUMNS = {COLUMNS!r}",
            setup,
            "start = time.perf_counter()",
            check,
            "elapsed = time.perf_counter() - start",
            "print(elapsed, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)",
        ]
    )
    process = subprocess.run(
        [sys.executable, "-c", program],
        cwd=PROJECT_ROOT,
        env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)},
        capture_output=True,
        text=True,
    )
    if process.returncode != 0:
        if "ModuleNotFoundError" in process.stderr:
            return None
        raise RuntimeError(process.stderr[-2000:])
    seconds, peak = process.stdout.split()[-2:]
    return float(seconds), float(peak)


# Reporting ---------------------------------------------------------------------------------


def summary(values: list[float]) -> str:
    return f"{statistics.median(values):6.2f} s ({min(values):.2f}-{max(values):.2f})"


def measure(runs: int, step: Callable[[], float | None]) -> list[float]:
    return [value for value in (step() for _ in range(runs)) if value is not None]


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def run_size(
    server: Server, dataset_id: int, token: str, path: Path, runs: int, idle_kb: int
) -> dict:
    """Three kinds of pass over ``path``, ``runs`` times each, taking turns.

    ``idle_kb`` is the worker's resident memory when it had served nothing but a warm-up
    request; peaks are measured against it, so memory kept after an upload counts.
    """
    size_mb = path.stat().st_size / 1e6
    results: dict[str, list[float]] = {"raw read": [], "csv pass": [], "upload": []}
    peaks: list[float] = []
    answer: dict = {}
    for _ in range(runs):
        results["raw read"].append(timed(lambda: raw_read(path)))
        results["csv pass"].append(timed(lambda: csv_pass(path)))
        server.reset_peak()
        start = time.perf_counter()
        answer = upload(server, dataset_id, token, path)
        results["upload"].append(time.perf_counter() - start)
        peaks.append((server.memory_kb("VmHWM") - idle_kb) / 1024)
    return {
        "file_mb": size_mb,
        "rows": answer.get("row_count"),
        "times": results,
        "peak_above_idle_mb": peaks,
        "idle_rss_mb": idle_kb / 1024,
        "rss_after_mb": server.memory_kb("VmRSS") / 1024,
        "load_average": os.getloadavg(),
    }


def print_size(rows: int, result: dict) -> None:
    print(f"\n{rows:,} rows, {result['file_mb']:.0f} MB (server counted {result['rows']:,} rows)")
    for name, values in result["times"].items():
        throughput = result["file_mb"] / statistics.median(values)
        print(f"  {name:<9} {summary(values)}  {throughput:6.1f} MB/s")
    peaks = result["peak_above_idle_mb"]
    print(
        f"  server peak RSS above idle: {statistics.median(peaks):.1f} MB "
        f"({min(peaks):.1f}-{max(peaks):.1f}); idle {result['idle_rss_mb']:.0f} MB, "
        f"after the uploads {result['rss_after_mb']:.0f} MB"
    )
    print("  load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in result["load_average"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--validators", action="store_true", help="also time each validator")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-upload-"))
    print(f"work folder: {workdir}", flush=True)
    env, dataset_id, token = prepare(workdir)
    server = Server(env, workdir)
    report: dict = {"sizes": {}, "validators": {}}
    try:
        server.start()
        warm_up = workdir / "warm-up.csv"
        generate(warm_up, 10)
        upload(server, dataset_id, token, warm_up)
        idle_kb = server.memory_kb("VmRSS")
        for rows in args.rows:
            path = workdir / f"readings-{rows}.csv"
            generate(path, rows)
            result = run_size(server, dataset_id, token, path, args.runs, idle_kb)
            print_size(rows, result)
            report["sizes"][rows] = result
            if args.validators:
                print("  validators on their own (one process each):")
                for name, (setup, check) in _VALIDATORS.items():
                    measured = time_validator(setup, check, path)
                    if measured is None:
                        print(f"    {name:<40} not installed")
                        continue
                    print(f"    {name:<40} {measured[0]:6.2f} s, peak {measured[1]:6.0f} MB")
                    report["validators"].setdefault(rows, {})[name] = measured
            path.unlink()
            for stored in (workdir / "storage").rglob("*.csv"):
                stored.unlink()
    finally:
        server.stop()
        if args.json:
            args.json.write_text(json.dumps(report, indent=2))
        if not args.keep:
            for item in sorted(workdir.rglob("*"), reverse=True):
                item.unlink() if item.is_file() else item.rmdir()
            workdir.rmdir()
    return 0


if __name__ == "__main__":
    sys.exit(main())
