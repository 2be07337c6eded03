"""Stored events: every live update is kept so reconnecting clients can catch up."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, DateTime, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.common import utcnow
from app.extensions import db


class EventStream(db.Model):
    """The last sequence number handed out in a stream (``workspace:3``, ``user:7``).

    Publishing updates this row, which locks it until commit, so numbers in one stream
    are contiguous and never handed out twice.
    """

    __tablename__ = "event_streams"

    stream: Mapped[str] = mapped_column(String(64), primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)


class Event(db.Model):
    __tablename__ = "events"
    __table_args__ = (UniqueConstraint("stream", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    stream: Mapped[str] = mapped_column(String(64))
    seq: Mapped[int] = mapped_column(BigInteger)
    type: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    def as_message(self) -> dict[str, Any]:
        return {
            "stream": self.stream,
            "seq": self.seq,
            "type": self.type,
            "data": self.payload,
            "at": self.created_at.isoformat() + "Z",
        }
