"""Each user's own display preferences: the language and the time zone of their pages.

Kept apart from ``app.accounts.service`` because it touches only the actor's own row and
no one else's data: the actor is always the target, so the only condition is being
signed in (which the views require). It is still a state change, so it is audited.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app import audit
from app.accounts.models import User
from app.errors import Invalid
from app.extensions import db
from app.i18n import is_supported, is_timezone

_UNSET = object()


def update_preferences(actor: User, *, locale=_UNSET, timezone=_UNSET) -> User:
    """Save the actor's language and/or time zone; an empty value clears the choice.

    Only the arguments given are changed, so the header's language switcher can save the
    language without touching the time zone. Nothing is written when nothing changes.

    Raises:
        Invalid: the language or time zone is not one Bridgework knows.
    """
    changes = {}
    fields: dict[str, list] = {}
    if locale is not _UNSET:
        locale = locale or None
        if locale is not None and not is_supported(locale):
            fields["locale"] = [_("Choose one of the languages offered.")]
        changes["locale"] = locale
    if timezone is not _UNSET:
        timezone = timezone or None
        if timezone is not None and not is_timezone(timezone):
            fields["timezone"] = [_("Choose a time zone from the list.")]
        changes["timezone"] = timezone
    if fields:
        raise Invalid(_("The preferences were not saved."), fields=fields)
    changed = {name: value for name, value in changes.items() if getattr(actor, name) != value}
    if not changed:
        return actor
    for name, value in changed.items():
        setattr(actor, name, value)
    audit.record(actor, "user.preferences_changed", "user", actor.id, detail=changed)
    db.session.commit()
    return actor
