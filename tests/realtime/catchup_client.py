"""A Socket.IO client that keeps streams complete the way app/static/js/live.js does.

It subscribes to its streams on every (re)connection; it applies an event only when its
sequence number follows the last one applied; on a gap, or when a subscription reports
a higher last sequence number than it has, it fetches the missing events from the
catch-up endpoint (``?after=<last>``) with its API token. :meth:`CatchUpClient.sync` is
the periodic check of live.js. Tests use it against real server processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import requests
import socketio


@dataclass
class StreamLog:
    name: str
    catch_up_path: str
    last: int = 0
    events: list[dict] = field(default_factory=list)
    live: int = 0
    fetched: int = 0
    ended: str | None = None

    @property
    def seqs(self) -> list[int]:
        return [event["seq"] for event in self.events]


class CatchUpClient:
    """``CatchUpClient(base_url, token, {"workspace:3": "/api/v1/workspaces/3/events"})``."""

    def __init__(self, base_url: str, token: str, streams: dict[str, str]) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.streams = {name: StreamLog(name, path) for name, path in streams.items()}
        self.connects = 0
        self.disconnects = 0
        self.unsubscribed: list[dict] = []
        self.received: list[dict] = []
        self._lock = threading.RLock()
        self._http = requests.Session()
        self._http.headers["Authorization"] = f"Bearer {token}"
        self.sio = socketio.Client(
            reconnection=True, reconnection_delay=0.2, reconnection_delay_max=1
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on("event", self._on_event)
        self.sio.on("unsubscribed", self._on_unsubscribed)

    # Connection ---------------------------------------------------------------------

    def connect(self) -> None:
        self.sio.connect(
            self.base_url,
            auth={"token": self.token},
            transports=["websocket"],
            wait_timeout=10,
        )

    def close(self) -> None:
        self.sio.disconnect()
        self._http.close()

    @property
    def connected(self) -> bool:
        return self.sio.connected

    def _on_connect(self) -> None:
        self.connects += 1
        for name in list(self.streams):
            self.sio.emit(
                "subscribe",
                {"stream": name},
                callback=lambda ack, name=name: self._on_subscribed(name, ack),
            )

    def _on_disconnect(self, reason=None) -> None:
        self.disconnects += 1

    def _on_subscribed(self, name: str, ack: dict) -> None:
        log = self.streams[name]
        if not ack or not ack.get("ok"):
            log.ended = (ack or {}).get("error", {}).get("code", "refused")
            return
        if ack["last_seq"] > log.last:
            self._catch_up(log)

    def _on_unsubscribed(self, notice: dict) -> None:
        self.unsubscribed.append(notice)
        log = self.streams.get(notice.get("stream"))
        if log is not None:
            log.ended = notice.get("reason", "access_removed")

    # Events -------------------------------------------------------------------------

    def _on_event(self, message: dict) -> None:
        self.received.append(message)
        log = self.streams.get(message.get("stream"))
        if log is None or log.ended:
            return
        with self._lock:
            if message["seq"] <= log.last:
                return
            if message["seq"] == log.last + 1:
                self._apply(log, message, live=True)
                return
        self._catch_up(log)

    def _apply(self, log: StreamLog, message: dict, *, live: bool) -> None:
        log.events.append(message)
        log.last = message["seq"]
        if live:
            log.live += 1
        else:
            log.fetched += 1

    def _catch_up(self, log: StreamLog) -> None:
        with self._lock:
            while True:
                response = self._http.get(
                    self.base_url + log.catch_up_path, params={"after": log.last}, timeout=10
                )
                if response.status_code in (401, 403, 404):
                    log.ended = "access_removed"
                    return
                response.raise_for_status()
                body = response.json()
                before = log.last
                for message in body["items"]:
                    if message["seq"] == log.last + 1:
                        self._apply(log, message, live=False)
                if body["last_seq"] <= log.last or log.last == before:
                    return

    def sync(self) -> None:
        """Fetch whatever is missing on every stream (live.js does this now and then)."""
        for log in self.streams.values():
            if not log.ended:
                self._catch_up(log)


def close_all(clients: list[CatchUpClient]) -> None:
    """Close the clients at once, each in a thread of its own.

    On the threading server (``python wsgi.py``) with a message queue, a socket that
    subscribed to a stream answers the client's closing handshake only when the client gives
    up waiting for it, after 3 s: one after the other, five clients took 15 s.
    """
    closing = [threading.Thread(target=client.close) for client in clients]
    for thread in closing:
        thread.start()
    for thread in closing:
        thread.join()


def wait_for(condition: Callable[[], bool], timeout: float = 20.0, step: float = 0.05) -> bool:
    """Poll ``condition`` until it holds or ``timeout`` seconds pass; return whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()
