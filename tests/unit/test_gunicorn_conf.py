"""The production gunicorn settings: async mode follows the worker, psycopg must cooperate."""

from __future__ import annotations

import gc
import importlib.util
import logging
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.one_pass("sqlite")

CONF_PATH = Path(__file__).resolve().parents[2] / "gunicorn.conf.py"


@pytest.fixture(scope="module")
def conf():
    spec = importlib.util.spec_from_file_location("bridgework_gunicorn_conf", CONF_PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _worker(module_name: str):
    cls = type("Worker", (), {"__module__": module_name})
    worker = cls()
    worker.log = logging.getLogger("test.gunicorn")
    return worker


def test_production_runs_one_gevent_worker_without_preloading(conf):
    assert conf.worker_class == "gevent"
    assert conf.workers == 1
    assert conf.preload_app is False
    assert conf.worker_connections > 1000


@pytest.mark.parametrize(
    ("worker_module", "mode"),
    [("gunicorn.workers.ggevent", "gevent"), ("gunicorn.workers.gthread", "threading")],
)
def test_socketio_async_mode_follows_the_worker_class(conf, monkeypatch, worker_module, mode):
    monkeypatch.setenv("SOCKETIO_ASYNC_MODE", "something-else")
    conf.post_fork(None, _worker(worker_module))
    assert os.environ["SOCKETIO_ASYNC_MODE"] == mode


def test_gevent_worker_refuses_to_serve_when_psycopg_would_block_the_loop(conf, monkeypatch):
    def wait_c():
        """Stands in for psycopg's C wait function."""

    monkeypatch.setitem(sys.modules, "psycopg.waiting", SimpleNamespace(wait=wait_c))
    monkeypatch.setattr(conf, "tune_garbage_collector", lambda: None)
    with pytest.raises(SystemExit) as stopped:
        conf.post_worker_init(_worker("gunicorn.workers.ggevent"))
    assert stopped.value.code == 4


def test_gevent_worker_serves_when_psycopg_waits_cooperatively(conf, monkeypatch):
    def wait_poll():
        """Stands in for psycopg's select-based wait function."""

    tuned = []
    monkeypatch.setitem(sys.modules, "psycopg.waiting", SimpleNamespace(wait=wait_poll))
    monkeypatch.setattr(conf, "tune_garbage_collector", lambda: tuned.append(True))
    conf.post_worker_init(_worker("gunicorn.workers.ggevent"))
    assert tuned == [True]


def test_workers_collect_garbage_rarely_and_skip_start_up_objects(conf):
    before = gc.get_threshold()
    try:
        conf.tune_garbage_collector()
        assert gc.get_threshold() == conf.GC_THRESHOLDS
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
        gc.set_threshold(*before)
