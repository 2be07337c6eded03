"""Real app processes for the scale-out tests: ``python wsgi.py`` sharing one database.

:func:`prepare_instance` migrates and seeds a SQLite file in a temporary folder, and
:func:`copy_instance` gives another folder a copy of it (the ``demo_instance`` fixture of
tests/realtime/conftest.py prepares one per run: migrating and seeding start the app twice);
:func:`start_app` serves it on a free port with a given ``SOCKETIO_MESSAGE_QUEUE``;
:func:`start_redis` runs a private redis-server (never the shared one) that a test may
stop and start again.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from app.demo import DEMO_PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = 80) -> str:
    if not path.exists():
        return "(no output)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


def base_environment(instance_dir: Path) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("DATABASE_URL", "SOCKETIO_MESSAGE_QUEUE", "RATELIMIT_STORAGE_URI")
    }
    env.update(
        BRIDGEWORK_ENV="development",
        INSTANCE_DIR=str(instance_dir),
        HOST="127.0.0.1",
        PYTHONUNBUFFERED="1",
        SOCKETIO_ASYNC_MODE="threading",
        # Pub/sub channels ignore the Redis database number: one channel per environment.
        SOCKETIO_CHANNEL=f"bridgework-test-{uuid.uuid4().hex[:12]}",
        # The cheapest argon2 parameters: these tests sign in many times.
        PASSWORD_HASH_TIME_COST="1",
        PASSWORD_HASH_MEMORY_KIB="1024",
    )
    return env


def prepare_instance(instance_dir: Path) -> dict[str, str]:
    """Migrate and seed the demo data into ``instance_dir``; return the processes' environment."""
    env = base_environment(instance_dir)
    log = instance_dir / "setup.log"
    for args in (["db", "upgrade"], ["seed-demo"]):
        with log.open("a") as out:
            result = subprocess.run(
                [sys.executable, "-m", "flask", "--app", "wsgi", *args],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=120,
                check=False,
            )
        if result.returncode != 0:
            pytest.fail(f"flask {' '.join(args)} failed:\n{_tail(log)}", pytrace=False)
    return env


def copy_instance(prepared: Path, instance_dir: Path) -> dict[str, str]:
    """Copy a folder made by :func:`prepare_instance` into ``instance_dir``; return its environment.

    The copy is as fresh as a new one (database, stored uploads and audit checkpoints) and
    shares nothing with the original.
    """
    shutil.copytree(
        prepared, instance_dir, dirs_exist_ok=True, ignore=shutil.ignore_patterns("*.log")
    )
    return base_environment(instance_dir)


@dataclass
class AppProcess:
    name: str
    url: str
    process: subprocess.Popen
    log: Path

    def tail(self) -> str:
        return f"--- {self.name} ({self.url}) ---\n{_tail(self.log)}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


SERVERS = {
    "threading": lambda port: [sys.executable, "wsgi.py"],
    "gevent": lambda port: [
        sys.executable,
        "-m",
        "gunicorn",
        "-c",
        "gunicorn.conf.py",
        "-b",
        f"127.0.0.1:{port}",
        "wsgi:app",
    ],
}


def start_app(
    name: str, env: dict[str, str], queue_url: str, log_dir: Path, server: str = "threading"
) -> AppProcess:
    """Start the app on a free port with the given message queue.

    ``server`` is ``threading`` (``python wsgi.py``, the development server) or ``gevent``
    (gunicorn with the production settings of gunicorn.conf.py).
    """
    port = free_port()
    log = log_dir / f"{name}.log"
    out = log.open("a")
    process = subprocess.Popen(
        SERVERS[server](port),
        cwd=PROJECT_ROOT,
        env={**env, "PORT": str(port), "SOCKETIO_MESSAGE_QUEUE": queue_url},
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    out.close()
    app = AppProcess(name, f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{name} exited with {process.returncode}:\n{app.tail()}", pytrace=False)
        try:
            with urllib.request.urlopen(f"{app.url}/login", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return app
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    app.stop()
    pytest.fail(f"{name} did not start:\n{app.tail()}", pytrace=False)


def api_token(app: AppProcess, username: str) -> str:
    response = requests.post(
        f"{app.url}/api/v1/tokens",
        json={"username": username, "password": DEMO_PASSWORD, "name": "realtime test"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return response.json()["token"]


class Api:
    """Calls to one process's REST API as one user."""

    def __init__(self, app: AppProcess, token: str) -> None:
        self.app = app
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def request(self, method: str, path: str, expect: int = 200, **kwargs):
        response = self.session.request(
            method, f"{self.app.url}/api/v1{path}", timeout=15, **kwargs
        )
        assert response.status_code == expect, f"{method} {path}: {response.text}"
        return response.json() if response.content else None

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json=None, expect: int = 200):
        return self.request("POST", path, expect=expect, json=json)

    def patch(self, path: str, json=None, expect: int = 200):
        return self.request("PATCH", path, expect=expect, json=json)

    def delete(self, path: str, expect: int = 204):
        return self.request("DELETE", path, expect=expect)


@dataclass
class RedisServer:
    """A private redis-server on its own port, which a test may stop and restart."""

    port: int
    directory: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                shutil.which("redis-server") or "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                client.ping()
                return
            except redis.RedisError:
                time.sleep(0.05)
        pytest.fail(f"private redis-server on port {self.port} did not start", pytrace=False)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None


def start_redis(directory: Path) -> RedisServer:
    if shutil.which("redis-server") is None:
        from tests.services import unavailable

        unavailable("redis-server is not installed (apt-get install redis-server)")
    server = RedisServer(free_port(), directory)
    server.start()
    return server
