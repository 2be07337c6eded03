"""The fan-out benchmark's own machinery: its clients really receive what is broadcast.

Times are printed by the benchmark, never asserted here; this only proves that the
harness counts every delivery, so a benchmark run cannot report figures for events that
never arrived.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[2] / "bench"
sys.path.insert(0, str(BENCH_DIR))

import fanout  # noqa: E402

pytestmark = pytest.mark.one_pass("sqlite")


@pytest.fixture
def baseline_server(tmp_path):
    server = fanout.Server(fanout.ServerSpec("baseline", "werkzeug"), tmp_path, "baseline")
    with fanout.running([server]):
        yield server


def test_every_benchmark_client_receives_each_broadcast(baseline_server):
    pool = fanout.ClientPool(baseline_server.port, "bench", 6, [None], per_process=3)
    try:
        ready = pool.wait_ready()
        probe = fanout.Probe(
            pool, fanout.baseline_action(baseline_server.port, "bench"), ready["last_seq"]
        )
        for _ in range(2):
            probe.round()
    finally:
        pool.close()
    assert ready["connected"] == 6
    assert probe.missing == 0
    assert len(probe.latencies) == 12


def test_percentile_is_nearest_rank():
    values = [float(v) for v in range(1, 101)]
    assert fanout.percentile(values, 0.50) == 50.0
    assert fanout.percentile(values, 0.99) == 99.0
    assert fanout.percentile([7.0], 0.99) == 7.0
