"""A lean Socket.IO client for the benchmark: many sockets per process, one asyncio loop.

Thousands of ``socketio.Client`` objects would need thousands of threads; this speaks the
protocol directly instead. Engine.IO 4 over a WebSocket (``/socket.io/?EIO=4&transport=
websocket``, framed by ``wsproto``, which Flask-SocketIO's own ``simple-websocket``
depends on) carries text packets: ``0{...}`` open, ``2``/``3`` ping/pong, and ``4`` +
a Socket.IO packet: ``0{auth}`` connect, ``2["name",data]`` event, ``2<id>[...]`` event
that wants an acknowledgement, ``3<id>[...]`` the acknowledgement, ``4{...}`` connection
refused.

A worker process (:func:`run_worker`) opens its share of the sockets, subscribes each
to one stream with the ``subscribe`` protocol, then obeys commands from a pipe: ``arm``
(remember the next event with a sequence number above N), ``collect`` (wait for every
socket to have it, and return when each one arrived), ``count``, ``close``. Receive
times come from ``time.monotonic()``, a clock every process on the machine shares.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from typing import Any

from wsproto import ConnectionType, WSConnection
from wsproto.events import (
    AcceptConnection,
    CloseConnection,
    Ping,
    RejectConnection,
    Request,
    TextMessage,
)

SOCKET_PATH = "/socket.io/?EIO=4&transport=websocket"


class SocketRefused(RuntimeError):
    """The server refused the socket, its subscription, or closed it during set-up."""


def raise_open_files_limit(wanted: int = 65536) -> int:
    """Lift the soft limit on open files up to the hard limit; return the new soft limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
        return target
    return soft


class BenchSocket(asyncio.Protocol):
    """One Socket.IO connection that subscribes to ``stream`` and timestamps its events."""

    def __init__(self, host: str, port: int, token: str | None, stream: str, on_hit) -> None:
        self.host, self.port, self.token, self.stream = host, port, token, stream
        self.ws = WSConnection(ConnectionType.CLIENT)
        self.ready: asyncio.Future = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.open = False
        self.last_seq = 0
        self.max_seq = 0
        self.armed_after: int | None = None
        self.hit_at: float | None = None
        self._on_hit = on_hit
        self._parts: list[str] = []

    # transport callbacks ------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        self.transport = transport
        transport.write(self.ws.send(Request(host=f"{self.host}:{self.port}", target=SOCKET_PATH)))

    def connection_lost(self, exc) -> None:
        self.open = False
        self._fail(f"connection lost: {exc or 'closed by server'}")

    def data_received(self, data: bytes) -> None:
        now = time.monotonic()
        self.ws.receive_data(data)
        for event in self.ws.events():
            if isinstance(event, TextMessage):
                self._parts.append(event.data)
                if event.message_finished:
                    text = "".join(self._parts)
                    self._parts.clear()
                    self._on_engineio(text, now)
            elif isinstance(event, Ping):
                self._write(event.response())
            elif isinstance(event, AcceptConnection):
                self.open = True
            elif isinstance(event, RejectConnection):
                self._fail(f"websocket upgrade refused with HTTP {event.status_code}")
            elif isinstance(event, CloseConnection):
                self.open = False
                self._fail(f"closed by server ({event.code})")
                if self.transport is not None:
                    self.transport.close()

    # protocol -----------------------------------------------------------------------------

    def _write(self, event) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(self.ws.send(event))

    def send_text(self, text: str) -> None:
        self._write(TextMessage(data=text))

    def _fail(self, reason: str) -> None:
        if not self.ready.done():
            self.ready.set_exception(SocketRefused(reason))

    def _on_engineio(self, text: str, now: float) -> None:
        kind = text[:1]
        if kind == "4":
            self._on_socketio(text[1:], now)
        elif kind == "2":
            self.send_text("3")
        elif kind == "0":
            auth = json.dumps({"token": self.token}) if self.token else ""
            self.send_text("40" + auth)
        elif kind == "1":
            self._fail("engine.io session closed")

    def _on_socketio(self, packet: str, now: float) -> None:
        kind = packet[:1]
        if kind == "2":
            name, payload = json.loads(packet[1:])[:2]
            if name == "event" and payload.get("stream") == self.stream:
                seq = int(payload.get("seq") or 0)
                self.max_seq = max(self.max_seq, seq)
                if self.armed_after is not None and self.hit_at is None and seq > self.armed_after:
                    self.hit_at = now
                    self._on_hit()
        elif kind == "0":
            self.send_text("420" + json.dumps(["subscribe", {"stream": self.stream}]))
        elif kind == "3":
            digits = len(packet) - len(packet[1:].lstrip("0123456789")) - 1
            reply = json.loads(packet[1 + digits :])
            answer = reply[0] if reply else {}
            if isinstance(answer, dict) and answer.get("ok"):
                self.last_seq = int(answer.get("last_seq") or 0)
                if not self.ready.done():
                    self.ready.set_result(self.last_seq)
            else:
                self._fail(f"subscribe refused: {answer}")
        elif kind == "4":
            self._fail(f"connection refused: {packet[1:]}")
        elif kind == "1":
            self._fail("disconnected by server")

    def close(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self._write(CloseConnection(code=1000))
            self.transport.close()


@dataclass
class WorkerSpec:
    """What one client process opens: ``count`` sockets to host:port, on ``stream``."""

    host: str
    port: int
    stream: str
    count: int
    tokens: list[str | None] = field(default_factory=lambda: [None])
    first_index: int = 0
    concurrency: int = 50
    connect_timeout: float = 180.0


class _Worker:
    def __init__(self, spec: WorkerSpec, conn: Connection) -> None:
        self.spec = spec
        self.conn = conn
        self.sockets: list[BenchSocket] = []
        self.pending = 0
        self.all_hit: asyncio.Event | None = None

    def _hit(self) -> None:
        self.pending -= 1
        if self.pending <= 0 and self.all_hit is not None:
            self.all_hit.set()

    async def _open_one(self, index: int, gate: asyncio.Semaphore) -> BenchSocket:
        spec = self.spec
        token = spec.tokens[index % len(spec.tokens)]
        loop = asyncio.get_running_loop()
        async with gate:
            sock = BenchSocket(spec.host, spec.port, token, spec.stream, self._hit)
            await loop.create_connection(lambda: sock, spec.host, spec.port)
            await asyncio.wait_for(sock.ready, timeout=120)
            return sock

    async def connect_all(self) -> dict[str, Any]:
        spec = self.spec
        gate = asyncio.Semaphore(spec.concurrency)
        started = time.monotonic()
        tasks = [
            asyncio.ensure_future(self._open_one(spec.first_index + i, gate))
            for i in range(spec.count)
        ]
        done, not_done = await asyncio.wait(tasks, timeout=spec.connect_timeout)
        for task in not_done:
            task.cancel()
        errors: list[str] = []
        for task in done:
            if task.exception() is None:
                self.sockets.append(task.result())
            else:
                errors.append(f"{type(task.exception()).__name__}: {task.exception()}")
        return {
            "connected": len(self.sockets),
            "failed": spec.count - len(self.sockets),
            "errors": sorted(set(errors))[:3],
            "seconds": time.monotonic() - started,
            "last_seq": max((s.last_seq for s in self.sockets), default=0),
        }

    def arm(self, after: int) -> None:
        self.all_hit = asyncio.Event()
        self.pending = 0
        for sock in self.sockets:
            sock.armed_after, sock.hit_at = after, None
            if sock.open:
                self.pending += 1
        if self.pending == 0:
            self.all_hit.set()

    async def collect(self, timeout: float) -> dict[str, Any]:
        assert self.all_hit is not None
        try:
            await asyncio.wait_for(self.all_hit.wait(), timeout=timeout)
        except TimeoutError:
            pass
        times = [s.hit_at for s in self.sockets if s.hit_at is not None]
        for sock in self.sockets:
            sock.armed_after = None
        return {
            "times": times,
            "missing": len(self.sockets) - len(times),
            "max_seq": max((s.max_seq for s in self.sockets), default=0),
        }

    async def serve(self) -> None:
        loop = asyncio.get_running_loop()
        commands: asyncio.Queue = asyncio.Queue()
        loop.add_reader(self.conn.fileno(), lambda: commands.put_nowait(self.conn.recv()))
        self.conn.send(("ready", await self.connect_all()))
        while True:
            command, *args = await commands.get()
            if command == "arm":
                self.arm(args[0])
                self.conn.send(("armed",))
            elif command == "collect":
                self.conn.send(("collected", await self.collect(args[0])))
            elif command == "count":
                self.conn.send(("count", sum(1 for s in self.sockets if s.open)))
            elif command == "close":
                for sock in self.sockets:
                    sock.close()
                await asyncio.sleep(0.2)
                self.conn.send(("closed",))
                return


def run_worker(spec: WorkerSpec, conn: Connection) -> None:
    """Entry point of a client process (``multiprocessing.Process(target=run_worker)``)."""
    raise_open_files_limit()
    asyncio.run(_Worker(spec, conn).serve())
