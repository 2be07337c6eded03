"""Notifications belong to one person: only they list them and mark them read."""

from __future__ import annotations

from app.policy import rule


@rule("notification.read")
def _own(user, notification) -> bool:
    return notification is None or notification.user_id == user.id
