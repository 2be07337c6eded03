"""The bare Flask + Flask-SQLAlchemy endpoint the read benchmark measures Bridgework against.

``GET /rows`` loads 50 ORM rows from the same PostgreSQL database (the ``users`` table
that Bridgework's migrations created) and returns them as JSON: no authentication,
no policy, no templates. Whatever a Bridgework page or endpoint costs beyond that is
what the benchmark's ratio shows.

It is served the way Bridgework is, from the project root so that gunicorn reads
``gunicorn.conf.py`` (one gevent worker):

    DATABASE_URL=postgresql+psycopg://... gunicorn -b 127.0.0.1:5102 bench.bare_http:app

(``bench.bare_http``, not ``--pythonpath bench``: with ``bench/`` on the path, its
``http_*.py`` files are harmless, but a file named like a standard module would shadow it.)
"""

from __future__ import annotations

import os
from datetime import datetime

from flask import Flask, jsonify
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

ROWS = 50


class Base(DeclarativeBase):
    pass


app = Flask(__name__)
app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True}
db = SQLAlchemy(app, model_class=Base)


class Row(db.Model):
    """A read-only view of Bridgework's ``users`` table: the columns a list would show."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64))
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str] = mapped_column(String(254))
    created_at: Mapped[datetime] = mapped_column(DateTime)


@app.get("/health")
def health():
    return {"ok": True}


@app.get("/rows")
def rows():
    items = db.session.scalars(select(Row).order_by(Row.id).limit(ROWS))
    return jsonify(
        [
            {
                "id": row.id,
                "username": row.username,
                "display_name": row.display_name,
                "email": row.email,
                "created_at": row.created_at.isoformat(),
            }
            for row in items
        ]
    )
