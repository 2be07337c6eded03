"""Notifications: one row per person and thing that needs their attention."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from app.common import utcnow
from app.extensions import db


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_read_at", "user_id", "read_at"),
        Index("ix_notifications_user_id_created_at", "user_id", "created_at"),
        # The list pages by key, newest first: a person's notifications in id order.
        Index("ix_notifications_user_id_id", "user_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))
    # Every language's subject and text, {"subject": {locale: ...}, "text": {locale: ...}};
    # ``subject`` and ``text`` hold the English, for rows made before there was a choice.
    translations: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    read_at: Mapped[datetime | None] = mapped_column(DateTime)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def subject_in(self, locale: str) -> str:
        """The subject in the reader's language, English when it has none in it."""
        return in_language(self.translations, "subject", locale, self.subject)

    def text_in(self, locale: str) -> str:
        """The text in the reader's language, English when it has none in it."""
        return in_language(self.translations, "text", locale, self.text)


def in_language(translations: dict[str, Any] | None, part: str, locale: str, english: str) -> str:
    """A notification's ``part`` (``subject`` or ``text``) in ``locale``, else its English."""
    renderings = (translations or {}).get(part) or {}
    return renderings.get(locale) or english
