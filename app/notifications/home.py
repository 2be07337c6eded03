"""The notifications domain's card on the home page: what is unread, newest first."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from sqlalchemy import bindparam, select

from app.accounts.models import User
from app.extensions import db
from app.i18n import current_locale, format_moment
from app.main.cards import Card, CardItem
from app.notifications.models import Notification, in_language
from app.notifications.service import bell
from app.policy import is_signed_in

CARD_ROWS = 5

_LATEST_UNREAD = (
    select(Notification.subject, Notification.translations, Notification.created_at)
    .where(Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None))
    .order_by(Notification.created_at.desc(), Notification.id.desc())
    .limit(CARD_ROWS)
)
"""The latest unread notifications' subjects, as columns: built once."""


def unread_card(user: User) -> Card | None:
    """The unread count (the bell's) and the latest unread notifications (one query)."""
    if not is_signed_in(user):
        return None
    latest = db.session.execute(_LATEST_UNREAD, {"user_id": user.id})
    locale = current_locale()
    unread_link = url_for("notifications.index", unread="1")
    return Card(
        key="notifications",
        title=_("Unread notifications"),
        count=bell(user).unread,  # read with the signed-in user when it can be
        items=[
            CardItem(
                text=in_language(translations, "subject", locale, subject),
                href=unread_link,
                meta=format_moment(created_at),
            )
            for subject, translations, created_at in latest
        ],
        empty=_("Nothing unread."),
        more_href=url_for("notifications.index"),
        more_label=_("All notifications"),
        refresh_on=("notification.",),
    )
