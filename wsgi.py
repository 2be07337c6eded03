"""Entry point for ``flask --app wsgi`` and for gunicorn (``wsgi:app``).

``python wsgi.py`` serves the development set-up with live updates (Socket.IO) on
http://127.0.0.1:5000; production runs under gunicorn, as the README shows.
"""

import logging
import os

from app import create_app
from app.extensions import socketio

app = create_app()

DEVELOPMENT_NOTICE = (
    "This is the development server: one process, for trying Bridgework on this machine.\n"
    "For production, run gunicorn instead (README.md, 'Deploying to production'):\n"
    "  BRIDGEWORK_ENV=production SECRET_KEY=... SOCKETIO_ASYNC_MODE=gevent \\\n"
    "    .venv/bin/gunicorn -k gevent -w 1 -b 127.0.0.1:8000 wsgi:app"
)


class _OneDevelopmentWarning(logging.Filter):
    """Drop Flask-SocketIO's and Werkzeug's own "not for production" warnings.

    Both say what :data:`DEVELOPMENT_NOTICE` says, one right after the other; the notice
    says it once and names the production command.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "Werkzeug appears to be used in a production deployment" in message:
            return False
        if "This is a development server." in message:
            lines = [line for line in message.splitlines() if "development server" not in line]
            record.msg, record.args = "\n".join(lines), ()
        return True


def serve() -> None:
    """Serve with the development server, after saying once what it is."""
    logging.getLogger("werkzeug").addFilter(_OneDevelopmentWarning())
    print(DEVELOPMENT_NOTICE, flush=True)
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        allow_unsafe_werkzeug=True,
    )


if __name__ == "__main__":
    serve()
