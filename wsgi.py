"""Entry point for ``flask --app wsgi`` and for gunicorn (``wsgi:app``).

``python wsgi.py`` serves the development set-up with live updates (Socket.IO) on
http://127.0.0.1:5000; production runs under gunicorn, as the README shows.
"""

import os

from app import create_app
from app.devserver import announce_development_server
from app.extensions import socketio

app = create_app()

if __name__ == "__main__":
    announce_development_server()
    socketio.run(
        app,
        host=os.environ.get("HOST", "127.0.0.1"),
        port=int(os.environ.get("PORT", "5000")),
        allow_unsafe_werkzeug=True,
    )
