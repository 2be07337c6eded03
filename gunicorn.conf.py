"""Production settings for gunicorn: one gevent worker serves pages, the API and live updates.

gunicorn reads this file from the working directory, so from the project root

    BRIDGEWORK_ENV=production SECRET_KEY=... AUDIT_HMAC_KEY=... \\
    DATABASE_URL=postgresql+psycopg://... \\
    SOCKETIO_MESSAGE_QUEUE=redis://127.0.0.1:6379/0 gunicorn -b 0.0.0.0:8000 wsgi:app

is the whole command. Why these values (measured in bench/, see the README's Benchmarks):

- gevent: one worker held 4,000 sockets, and at 1,000 clients in one room it delivered
  1.8-3.4 times the messages per second of the threading (gthread) worker on 2 cores.
- One worker per process: Flask-SocketIO needs every request of a socket on the same
  process; run more processes (each ``-w 1``) behind a load balancer with sticky sessions
  and share events through ``SOCKETIO_MESSAGE_QUEUE``.
- ``worker_connections`` caps open sockets plus requests per worker; gunicorn's default
  (1,000) would refuse the 1,001st browser.
- The garbage collector: with 1,000 sockets the default settings ran a full collection every
  second or so, each stopping the worker for 90-240 ms; freezing what start-up created and
  collecting the youngest generation less often left a single 52 ms pause in the same test,
  and took the p99 of delivery to 1,000 clients from 285 ms to 67 ms.
- Never ``--preload`` with gevent: the app must be imported after the worker has
  monkey-patched the standard library, or psycopg picks a wait function that blocks the
  whole worker during every query. ``post_worker_init`` below checks this.
"""

from __future__ import annotations

import gc
import os
import resource
import sys

bind = ["127.0.0.1:8000"]
worker_class = "gevent"
workers = 1
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "5000"))
timeout = 30
graceful_timeout = 10
keepalive = 5
preload_app = False
# gunicorn 27's control socket lives at one path per user: several Bridgework processes on
# one host (scale-out through Redis) would fight over it.
control_socket_disable = True


def on_starting(server) -> None:
    """Lift the open-files limit so ``worker_connections`` sockets fit in one process."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = server.cfg.worker_connections + 1024
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft < target:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    if soft < wanted and target < wanted:
        server.log.warning(
            "open-files limit is %s; raise it to hold %s connections", target, wanted
        )


def post_fork(server, worker) -> None:
    """Match Flask-SocketIO's async mode to the worker class before the app is imported."""
    gevent_worker = "gevent" in type(worker).__module__
    os.environ["SOCKETIO_ASYNC_MODE"] = "gevent" if gevent_worker else "threading"


GC_THRESHOLDS = (50_000, 20, 10)


def tune_garbage_collector() -> None:
    """Make full collections rare: they stop every socket of the worker while they run.

    ``gc.freeze()`` moves everything the app created while loading out of the collector's
    sight; a higher first threshold lets the many short-lived objects of each request die
    by reference counting before a collection looks at them.
    """
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)


def post_worker_init(worker) -> None:
    """Refuse to serve if psycopg would block the gevent loop; then tune the collector."""
    waiting = sys.modules.get("psycopg.waiting")
    gevent_worker = "gevent" in type(worker).__module__
    if gevent_worker and waiting is not None and waiting.wait.__name__ == "wait_c":
        worker.log.critical(
            "psycopg was imported before gevent patched the standard library: every "
            "database query would stop all sockets. Do not use --preload with gevent."
        )
        sys.exit(4)
    tune_garbage_collector()
