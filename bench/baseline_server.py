"""The bare Flask-SocketIO app that the fan-out benchmark measures Bridgework against.

It does the least a real-time server can do: a socket emits "subscribe" with a stream
name and joins the room of that name (no authentication, no policy, no database), and
``POST /emit`` broadcasts one event, shaped like Bridgework's, to that room. Whatever
Bridgework adds on top (token check, policy, storing the event, emit after commit) shows
up as the difference between the two.

Run it the same ways Bridgework runs:

    python bench/baseline_server.py --port 5101                       # threading, Werkzeug
    BENCH_ASYNC_MODE=gevent gunicorn -k gevent -w 1 --pythonpath bench baseline_server:app

``BENCH_ASYNC_MODE`` (threading or gevent) and ``BENCH_MESSAGE_QUEUE`` (a redis:// URL,
for two processes sharing events) configure it.
"""

from __future__ import annotations

import argparse
import itertools
import os
from datetime import UTC, datetime

from flask import Flask, request
from flask_socketio import SocketIO, join_room

ASYNC_MODE = os.environ.get("BENCH_ASYNC_MODE", "threading")
MESSAGE_QUEUE = os.environ.get("BENCH_MESSAGE_QUEUE") or None
CHANNEL = os.environ.get("BENCH_CHANNEL", "bench-baseline")

app = Flask(__name__)
socketio = SocketIO(
    app,
    async_mode=ASYNC_MODE,
    message_queue=MESSAGE_QUEUE,
    channel=CHANNEL,
    manage_session=False,
    cors_allowed_origins=[],
)
_sequence = itertools.count(1)


@app.get("/health")
def health():
    return {"ok": True, "async_mode": socketio.async_mode}


@app.post("/emit")
def emit():
    """Broadcast one event to the room named by the JSON body's ``stream``."""
    body = request.get_json(silent=True) or {}
    stream = str(body.get("stream") or "bench")
    message = {
        "stream": stream,
        "seq": next(_sequence),
        "type": "bench.tick",
        "data": {
            "text": "Benchmark tick sent to every subscriber of the room",
            "actor": None,
        },
        "at": datetime.now(UTC).replace(tzinfo=None).isoformat() + "Z",
    }
    socketio.emit("event", message, to=stream)
    return "", 204


@socketio.on("subscribe")
def subscribe(data):
    stream = str((data or {}).get("stream") or "bench")
    join_room(stream)
    return {"ok": True, "last_seq": 0}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5101)
    args = parser.parse_args()
    socketio.run(app, host=args.host, port=args.port, allow_unsafe_werkzeug=True)


if __name__ == "__main__":
    main()
