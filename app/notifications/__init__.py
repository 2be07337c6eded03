"""Notifications: what needs a user's attention, with a live unread count."""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register the notification rules, and deliver the notices that actions queue."""
    from app.actions import register_notifier
    from app.notifications import policy  # noqa: F401  (registers the rules)
    from app.notifications.service import notify, register_bell_figures

    register_notifier(notify)
    register_bell_figures()
    from app.main.cards import register_card
    from app.notifications.home import unread_card

    register_card("notifications", unread_card, order=30)
    from flask_babel import lazy_gettext as _l

    from app.audit.sentences import register_audit_sentences

    register_audit_sentences(
        {"notification.read": _l("%(actor)s marked %(count)s notifications read")}
    )
