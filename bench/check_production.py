"""Start Bridgework exactly as production does and check it serves pages, the API and sockets.

Runs ``gunicorn wsgi:app`` from the project root (so ``gunicorn.conf.py`` applies: one
gevent worker) with ``BRIDGEWORK_ENV=production`` on a fresh PostgreSQL database, twice
when ``--redis`` is given (two processes sharing events), then checks as a browser and
an API client would:

- the sign-in page and the vendored Socket.IO client are served;
- a demo user signs in through the form (CSRF token included) and the session opens a
  socket that starts on long-polling and upgrades to WebSocket, as browsers do;
- an API token opens a socket too; a connection without either is refused;
- both subscribe to a workspace; a change through the API (sent to the other process
  when there are two) reaches both sockets.

Exit status 0 when every check passed. Everything runs on 127.0.0.1 and stops by itself.

    python bench/check_production.py [--redis redis://127.0.0.1:6379/14]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import uuid
from pathlib import Path

import requests
import socketio

BENCH_DIR = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH_DIR))

from fanout import (  # noqa: E402
    PROJECT_ROOT,
    Server,
    ServerSpec,
    prepare_app,
    running,
)

PASSWORD = "bridgework-demo"  # noqa: S105 (the documented demo password)


def production_argv(server: Server) -> list[str]:
    """The production command line, with only the address changed."""
    return [
        str(Path(sys.executable).parent / "gunicorn"),
        "-b",
        f"127.0.0.1:{server.port}",
        "wsgi:app",
    ]


class ProductionServer(Server):
    """Leaves the async mode to gunicorn.conf.py, as production does."""

    def argv(self) -> list[str]:
        return production_argv(self)

    def mode_env(self) -> dict[str, str]:
        return {}


def check(label: str, ok: bool, detail: str = "") -> bool:
    print(f"  [{'ok' if ok else 'FAILED'}] {label}{': ' + detail if detail else ''}", flush=True)
    return ok


def sign_in(base: str, username: str) -> str:
    """Sign in through the form as a browser behind the TLS proxy would; return its cookies.

    Production cookies are ``Secure``, and this check speaks plain HTTP to gunicorn, so
    the cookies are carried by hand, as the browser does over HTTPS.
    """
    page = requests.get(f"{base}/login", timeout=10)
    jar = dict(page.cookies.items())
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text)
    answer = requests.post(
        f"{base}/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": token.group(1) if token else "",
        },
        headers={"Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
        timeout=10,
        allow_redirects=False,
    )
    jar.update(answer.cookies.items())
    return "; ".join(f"{k}={v}" for k, v in jar.items())


def main() -> int:
    parser = argparse.ArgumentParser(description="Check the production set-up end to end.")
    parser.add_argument("--redis", help="run two processes sharing events through this Redis")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="bridgework-prodcheck-"))
    fixture = prepare_app(workdir, "postgres", members=1)
    env = dict(fixture.env)
    if args.redis:
        env["SOCKETIO_MESSAGE_QUEUE"] = args.redis
    count = 2 if args.redis else 1
    servers = [
        ProductionServer(ServerSpec("app", "gevent", env), workdir, f"production-{i}")
        for i in range(count)
    ]
    results: list[bool] = []
    try:
        with running(servers):
            print(f"gunicorn wsgi:app ({count} process{'es' if count > 1 else ''})", flush=True)
            listen = f"http://127.0.0.1:{servers[0].port}"
            act = f"http://127.0.0.1:{servers[-1].port}"
            page = requests.get(f"{listen}/login", timeout=10)
            results.append(check("sign-in page", page.status_code == 200, str(page.status_code)))
            script = requests.get(f"{listen}/static/vendor/socket.io/socket.io.min.js", timeout=10)
            results.append(check("Socket.IO client served", script.status_code == 200))

            cookie = sign_in(listen, "dsd.officer")
            home = requests.get(
                f"{listen}/", headers={"Cookie": cookie}, timeout=10, allow_redirects=False
            )
            results.append(check("signed in through the form", home.status_code == 200))

            received: dict[str, threading.Event] = {
                "browser": threading.Event(),
                "token": threading.Event(),
            }
            clients = {}
            for name in received:
                client = socketio.Client(reconnection=False)

                def on_event(message, name=name):
                    if message.get("type") == "workspace.updated":
                        received[name].set()

                client.on("event", on_event)
                clients[name] = client
            clients["browser"].connect(listen, headers={"Cookie": cookie}, wait_timeout=10)
            clients["token"].connect(
                listen,
                auth={"token": fixture.member_tokens[0]},
                transports=["websocket"],
                wait_timeout=10,
            )
            clients["browser"].sleep(1)
            results.append(
                check(
                    "browser session socket upgraded to WebSocket",
                    clients["browser"].transport() == "websocket",
                    clients["browser"].transport(),
                )
            )
            for name, client in clients.items():
                ack = client.call("subscribe", {"stream": fixture.stream}, timeout=10)
                results.append(check(f"{name} socket subscribed", bool(ack and ack.get("ok"))))
            anonymous = socketio.Client(reconnection=False)
            try:
                anonymous.connect(listen, transports=["websocket"], wait_timeout=5)
                results.append(check("anonymous socket refused", False))
                anonymous.disconnect()
            except socketio.exceptions.ConnectionError:
                results.append(check("anonymous socket refused", True))

            path = f"{act}/api/v1/workspaces/{fixture.workspace_id}"
            headers = {"Authorization": f"Bearer {fixture.lead_token}"}
            version = requests.get(path, headers=headers, timeout=10).json()["version"]
            change = requests.patch(
                path,
                headers=headers,
                json={"version": version, "purpose": f"Production check {uuid.uuid4().hex[:6]}"},
                timeout=10,
            )
            results.append(check("PATCH through the API", change.status_code == 200))
            where = "through Redis from the other process" if args.redis else "on the socket"
            for name, event in received.items():
                results.append(check(f"{name} socket got the event {where}", event.wait(10)))
            for client in clients.values():
                client.disconnect()
    finally:
        if fixture.drop is not None:
            fixture.drop()
    log_text = "".join(s.log_path.read_text(errors="replace") for s in servers)
    blocks = log_text.split("Traceback (most recent call last):")[1:]
    refusals = [b for b in blocks if "ConnectionRefusedError:" in b]
    errors = len(blocks) - len(refusals)
    results.append(check("no errors in the server log", errors == 0, f"{errors} tracebacks"))
    if refusals:
        print(f"  note: {len(refusals)} refused connection(s) logged with a traceback")
    if "psycopg was imported before gevent" in log_text:
        results.append(check("psycopg cooperates with gevent", False))
    print(json.dumps({"passed": sum(results), "failed": results.count(False)}))
    if all(results):
        shutil.rmtree(workdir, ignore_errors=True)
        return 0
    print(f"server logs kept in {workdir}")
    return 1


if __name__ == "__main__":
    os.chdir(PROJECT_ROOT)
    os.environ.pop("SOCKETIO_ASYNC_MODE", None)
    sys.exit(main())
