"""Extract benchmark: a grant's full extract through the HTTP endpoint, beside the baselines.

For each size (1,000,000 and 2,000,000 rows of 10 columns by default, about 100 MB per
million rows; the file of ``bench/upload.py``) the script stores the file once as a version
through the catalog's service, grants 5 of its columns with a row filter keeping a sixth
of the rows (one district) and the station id pseudonymised, then, three times each and in
turn:

- **raw read**: reading the file in 1 MB chunks;
- **csv filter+project**: a plain Python ``csv`` pass keeping the district's rows and the
  5 columns, written to a buffer (the baseline the goal is measured against);
- **extract**: ``GET /api/v1/grants/<id>/extract?format=csv`` from Bridgework served by
  gunicorn with the project's ``gunicorn.conf.py``, read to the end by the client.

The first extract of a version also writes its columnar (Parquet) copy; it is timed
apart ("first extract"). Reported: median of three with min-max, MB/s of the source file
and rows/s of the source rows, the server worker's peak resident memory (``VmHWM``
reset before each request, as in ``upload.py``) in all and above idle (idle: after one
small extract, so holding pyarrow; the worker's size before any is printed too), the
ratios and the load average. ``--engines`` also times candidate engines in-process on
the same file, each doing the same filter and projection (and the pseudonyms where it
can).

    .venv/bin/python bench/extract.py                  # 1M and 2M rows, 3 runs each
    .venv/bin/python bench/extract.py --rows 200000 --runs 1 --engines
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import hmac
import http.client
import io
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from upload import (
    BIN,
    COLUMNS,
    HOST,
    PROJECT_ROOT,
    Server,
    generate,
    raw_read,
    summary,
    timed,
)

GRANTED = ["reading_id", "station_id", "measured_at", "water_level_m", "rainfall_mm"]
FILTER_COLUMN, KEPT_DISTRICT = "district", "Sha Tin"
PSEUDONYMISED = "station_id"


def prepare(workdir: Path) -> tuple[dict[str, str], int, int, str]:
    """A fresh database with a dataset, a workspace, a grant on it and a grantee's token."""
    env = {
        **os.environ,
        "BRIDGEWORK_ENV": "production",
        "SECRET_KEY": hashlib.sha256(str(workdir).encode()).hexdigest(),
        "AUDIT_HMAC_KEY": hashlib.sha256(b"audit" + str(workdir).encode()).hexdigest(),
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
    spec = {"columns": COLUMNS, "granted": GRANTED, "filter": [FILTER_COLUMN, KEPT_DISTRICT]}
    setup = subprocess.run(
        [sys.executable, "-c", _SETUP, json.dumps(spec)],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    dataset_id, grant_id, token = setup.stdout.split()
    return env, int(dataset_id), int(grant_id), token


# Run in a subprocess with the server's settings, through the services where they exist.
_SETUP = """
import json, sys
from datetime import date, timedelta
from app import create_app
from app.accounts.models import Department, Region, User, UserRole
from app.accounts.tokens import create_token
from app.catalog import service as catalog
from app.common import utcnow
from app.extensions import db
from app.grants.models import Grant
from app.grants.service import default_masking
from app.sharing.models import DataRequest
from app.workspaces import service as workspaces

spec = json.loads(sys.argv[1])
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
    columns = [{"name": n, "type": k,
                "sensitivity": "personal_identifier" if n == "station_id" else "none"}
               for n, k in spec["columns"]]
    dataset = catalog.create_dataset(officer, title="Bench readings", classification="internal",
                                     update_frequency="real-time", columns=columns)
    workspace = workspaces.create_workspace(officer, name="Bench", purpose="Benchmark.",
                                            ends_on=date.today() + timedelta(days=30))
    column, value = spec["filter"]
    request = DataRequest(workspace_id=workspace.id, requester_id=officer.id,
        requesting_department_id=department.id, owner_department_id=department.id,
        dataset_id=dataset.id, title="Bench", columns=spec["granted"],
        row_filter={column: [value]}, reveal_columns=[], purpose="Benchmark the extract.",
        legal_basis="None: benchmark data", duration_days=30, status="approved")
    db.session.add(request); db.session.flush()
    now = utcnow()
    grant = Grant(request_id=request.id, dataset_id=dataset.id,
        grantee_workspace_id=workspace.id, columns=spec["granted"],
        row_filter={column: [value]},
        masking=default_masking(dataset.columns, spec["granted"], []),
        purpose=request.purpose, legal_basis=request.legal_basis,
        valid_from=now - timedelta(minutes=1), expires_at=now + timedelta(days=30),
        created_by_id=officer.id)
    db.session.add(grant); db.session.commit()
    _token, secret = create_token(officer, name="bench")
    print(dataset.id, grant.id, secret)
"""


# The baselines and the extract --------------------------------------------------------------


def csv_filter_project(path: Path) -> int:
    """The plain Python pass: keep the district's rows, the granted columns, write them out."""
    out = io.StringIO()
    with path.open(newline="", encoding="utf-8") as text:
        reader = csv.reader(text)
        header = next(reader)
        where = header.index(FILTER_COLUMN)
        keep = [header.index(name) for name in GRANTED]
        writer = csv.writer(out)
        writer.writerow(GRANTED)
        kept = 0
        for row in reader:
            if row[where] == KEPT_DISTRICT:
                writer.writerow([row[i] for i in keep])
                kept += 1
                if out.tell() > 8 * 1024 * 1024:
                    out.seek(0)
                    out.truncate()
    return kept


def extract(server: Server, grant_id: int, token: str) -> tuple[int, int]:
    """The whole extract over HTTP, read in 1 MB chunks; bytes and rows the server counted."""
    connection = http.client.HTTPConnection(HOST, server.port, timeout=600)
    connection.request(
        "GET",
        f"/api/v1/grants/{grant_id}/extract?format=csv",
        headers={"Authorization": f"Bearer {token}"},
    )
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"extract answered {response.status}: {response.read()[:500]!r}")
    received = 0
    while chunk := response.read(1024 * 1024):
        received += len(chunk)
    connection.close()
    return received, int(response.headers["X-Grant-Rows"])


# Engines on their own (in-process, same file) -----------------------------------------------


def engine_python_csv(path: Path) -> int:
    key = b"bench-key"
    out = io.StringIO()
    with path.open(newline="", encoding="utf-8") as text:
        reader = csv.reader(text)
        header = next(reader)
        where, keep = header.index(FILTER_COLUMN), [header.index(n) for n in GRANTED]
        masked = GRANTED.index(PSEUDONYMISED)
        writer = csv.writer(out)
        kept = 0
        for row in reader:
            if row[where] == KEPT_DISTRICT:
                values = [row[i] for i in keep]
                values[masked] = hmac.new(key, values[masked].encode(), "sha256").hexdigest()[:20]
                writer.writerow(values)
                kept += 1
                if out.tell() > 8 * 1024 * 1024:
                    out.seek(0)
                    out.truncate()
    return kept


def _plan():
    from app.grants import engine

    masking = {name: "none" for name in GRANTED} | {PSEUDONYMISED: "pseudonymise"}
    return engine.Plan(GRANTED, {FILTER_COLUMN: [KEPT_DISTRICT]}, masking, b"bench-key")


def engine_arrow_csv(path: Path) -> int:
    """pyarrow's streaming CSV reader straight from the CSV file (no columnar copy)."""
    from app.grants import engine

    plan, rows = _plan(), 0
    context = engine.MaskContext(plan.pseudonym_key)
    sink = io.BytesIO()
    writer = engine.CsvWriter(sink, plan.columns)
    for batch in engine._csv_batches(path, plan.needed):
        batch = batch.filter(engine.pc.equal(batch.column(FILTER_COLUMN), KEPT_DISTRICT))
        writer.write(engine._masked(batch, plan, context))
        rows += batch.num_rows
        sink.seek(0)
        sink.truncate()
    return rows


def engine_bridgework(path: Path) -> int:
    """The engine as served: Parquet copy (made first if missing), then the extract."""
    from app.grants import engine

    result = engine.run(path, _plan(), "csv")
    result.file.close()
    return result.rows


def engine_duckdb(path: Path) -> int | None:
    """DuckDB reading the CSV with the same filter and projection (its sha256, not HMAC)."""
    try:
        import duckdb
    except ImportError:
        return None
    columns = ", ".join(
        f"left(sha256('bench-key' || {n}), 20) AS {n}" if n == PSEUDONYMISED else n for n in GRANTED
    )
    from pyarrow import csv as pacsv

    # The column list is built from this file's constants; the file and value are parameters.
    query = f"SELECT {columns} FROM read_csv(?, all_varchar=true) WHERE {FILTER_COLUMN} = ?"  # noqa: S608
    reader = duckdb.connect().sql(query, params=[str(path), KEPT_DISTRICT]).to_arrow_reader()
    sink, rows = io.BytesIO(), 0
    for batch in reader:
        pacsv.write_csv(batch, sink)
        rows += batch.num_rows
        sink.seek(0)
        sink.truncate()
    return rows


ENGINES = {
    "python csv (filter, project, HMAC)": engine_python_csv,
    "pyarrow streaming CSV (no copy)": engine_arrow_csv,
    "bridgework: Parquet copy, then extract": engine_bridgework,
    "duckdb on the CSV (sha256 pseudonym)": engine_duckdb,
}


def time_engines(path: Path) -> dict[str, float]:
    """Each engine once, cold Parquet copy first and then warm for Bridgework's."""
    from app.grants import engine

    engine.columnar_path(path).unlink(missing_ok=True)
    timings = {}
    for name, function in ENGINES.items():
        start = time.perf_counter()
        rows = function(path)
        elapsed = time.perf_counter() - start
        if rows is None:
            print(f"    {name:<42} not installed")
            continue
        timings[name] = elapsed
        print(f"    {name:<42} {elapsed:6.2f} s  ({rows:,} rows)")
    start = time.perf_counter()
    engine_bridgework(path)
    timings["bridgework: extract from the copy"] = time.perf_counter() - start
    print(f"    {'bridgework: extract from the copy':<42} {timings[list(timings)[-1]]:6.2f} s")
    return timings


# The run ------------------------------------------------------------------------------------


_STORE = """
import sys
from pathlib import Path
from app import create_app
from app.accounts.models import User
from app.catalog import service
from app.extensions import db

app = create_app()
with app.app_context():
    officer = db.session.query(User).filter_by(username="bench").one()
    with Path(sys.argv[2]).open("rb") as stream:
        service.upload_version(officer, int(sys.argv[1]), stream, Path(sys.argv[2]).name)
"""


def store_version(env: dict[str, str], dataset_id: int, path: Path) -> None:
    """Store ``path`` as the dataset's next version through the catalog's service.

    Not timed: the upload endpoint has its own benchmark (``upload.py``).
    """
    subprocess.run(
        [sys.executable, "-c", _STORE, str(dataset_id), str(path)],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        capture_output=True,
    )


def run_size(server, env, dataset_id, grant_id, token, path, runs, idle_kb) -> dict:
    """Store the version, a cold extract, then ``runs`` turns of the three passes."""
    store_version(env, dataset_id, path)
    server.reset_peak()
    first = timed(lambda: extract(server, grant_id, token))
    first_peak_kb = server.memory_kb("VmHWM")
    times: dict[str, list[float]] = {"raw read": [], "csv filter+project": [], "extract": []}
    peaks_kb, served = [], (0, 0)
    for _ in range(runs):
        times["raw read"].append(timed(lambda: raw_read(path)))
        times["csv filter+project"].append(timed(lambda: csv_filter_project(path)))
        server.reset_peak()
        start = time.perf_counter()
        served = extract(server, grant_id, token)
        times["extract"].append(time.perf_counter() - start)
        peaks_kb.append(server.memory_kb("VmHWM"))
    return {
        "file_mb": path.stat().st_size / 1e6,
        "source_rows": int(path.name.split("-")[1].split(".")[0]),
        "extract_bytes": served[0],
        "extract_rows": served[1],
        "first_extract_s": first,
        "first_peak_mb": first_peak_kb / 1024,
        "first_peak_above_idle_mb": (first_peak_kb - idle_kb) / 1024,
        "times": times,
        "peak_mb": [kb / 1024 for kb in peaks_kb],
        "peak_above_idle_mb": [(kb - idle_kb) / 1024 for kb in peaks_kb],
        "idle_rss_mb": idle_kb / 1024,
        "load_average": os.getloadavg(),
    }


def print_size(result: dict) -> None:
    rows, size = result["source_rows"], result["file_mb"]
    print(
        f"\n{rows:,} rows, {size:.0f} MB; extract: {result['extract_rows']:,} rows, "
        f"{result['extract_bytes'] / 1e6:.1f} MB"
    )
    print(
        f"  first extract (writes the Parquet copy): {result['first_extract_s']:.2f} s, "
        f"server peak RSS {result['first_peak_mb']:.0f} MB "
        f"({result['first_peak_above_idle_mb']:.0f} MB above idle)"
    )
    medians = {name: statistics.median(values) for name, values in result["times"].items()}
    for name, values in result["times"].items():
        median = medians[name]
        print(
            f"  {name:<19} {summary(values)}  {size / median:7.1f} MB/s  "
            f"{rows / median / 1e6:6.2f} M rows/s"
        )
    print(
        "  extract vs csv filter+project: "
        f"{medians['csv filter+project'] / medians['extract']:.1f}x faster; "
        f"vs raw read: {medians['extract'] / medians['raw read']:.1f}x the time"
    )
    peaks, above = result["peak_mb"], result["peak_above_idle_mb"]
    print(
        f"  server peak RSS: {statistics.median(peaks):.1f} MB "
        f"({min(peaks):.1f}-{max(peaks):.1f}); above idle: {statistics.median(above):.1f} MB "
        f"({min(above):.1f}-{max(above):.1f}); "
        f"idle {result['idle_rss_mb']:.0f} MB"
    )
    print("  load average (1, 5, 15 min): " + ", ".join(f"{x:.2f}" for x in result["load_average"]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 2_000_000])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--engines", action="store_true", help="also time each engine")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(PROJECT_ROOT))
    workdir = Path(tempfile.mkdtemp(prefix="bench-extract-"))
    print(f"work folder: {workdir}", flush=True)
    env, dataset_id, grant_id, token = prepare(workdir)
    server = Server(env, workdir)
    report: dict = {"sizes": {}, "engines": {}}
    try:
        server.start()
        warm_up = workdir / "readings-10.csv"
        generate(warm_up, 10)
        store_version(env, dataset_id, warm_up)
        cold_kb = server.memory_kb("VmRSS")
        extract(server, grant_id, token)
        idle_kb = server.memory_kb("VmRSS")
        print(
            f"server worker: {cold_kb / 1024:.0f} MB before any extract, "
            f"{idle_kb / 1024:.0f} MB idle after a 10-row one",
            flush=True,
        )
        report["worker_before_any_extract_mb"] = cold_kb / 1024
        for rows in args.rows:
            path = workdir / f"readings-{rows}.csv"
            generate(path, rows)
            result = run_size(server, env, dataset_id, grant_id, token, path, args.runs, idle_kb)
            print_size(result)
            report["sizes"][rows] = result
            if args.engines:
                print("  engines in-process (same filter and projection):")
                report["engines"][rows] = time_engines(path)
            path.unlink()
            for stored in (workdir / "storage").rglob("*"):
                if stored.is_file():
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
