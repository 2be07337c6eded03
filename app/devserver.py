"""What ``python wsgi.py`` (``make run``) says about itself: once, plainly, that it is the
development server, and how production runs instead.

Flask-SocketIO and Werkzeug each print their own "not for production" warning, one right
after the other; :class:`OneDevelopmentWarning` drops both, and :data:`DEVELOPMENT_NOTICE`
says it once with the production command.
"""

from __future__ import annotations

import logging

DEVELOPMENT_NOTICE = (
    "This is the development server: one process, for trying Bridgework on this machine.\n"
    "For production, run gunicorn instead (README.md, 'Deploying to production'):\n"
    "  BRIDGEWORK_ENV=production SECRET_KEY=... SOCKETIO_ASYNC_MODE=gevent \\\n"
    "    .venv/bin/gunicorn -k gevent -w 1 -b 127.0.0.1:8000 wsgi:app"
)


class OneDevelopmentWarning(logging.Filter):
    """Drop Flask-SocketIO's and Werkzeug's own warnings; the notice replaces them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Werkzeug appears to be used in a production deployment" in message:
            return False
        if "This is a development server." in message:
            lines = [line for line in message.splitlines() if "development server" not in line]
            record.msg, record.args = "\n".join(lines), ()
        return True


def announce_development_server() -> None:
    """Install the filter on Werkzeug's logger and print the notice."""
    logging.getLogger("werkzeug").addFilter(OneDevelopmentWarning())
    print(DEVELOPMENT_NOTICE, flush=True)
