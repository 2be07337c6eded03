"""Each user's own display preferences: the language and the time zone of their pages.

It touches only the actor's own row: the actor is always the target, and policy asks only
that they are signed in and active. It is still a state change, so it is an action.
"""

from __future__ import annotations

from flask_babel import gettext as _

from app.accounts.models import User
from app.actions import action
from app.errors import Invalid
from app.i18n import is_supported, is_timezone
from app.policy import require

_UNSET = object()


def update_preferences(actor: User, *, locale=_UNSET, timezone=_UNSET) -> User:
    """Save the actor's language and/or time zone; an empty value clears the choice.

    Only the arguments given are changed, so the header's language switcher can save the
    language without touching the time zone. Nothing is written when nothing changes.

    Raises:
        Invalid: the language or time zone is not one Bridgework knows.
    """
    with action(actor, "user.preferences_changed", target=("user", actor.id)) as act:
        require(actor, "preferences.change")
        changed = _preference_changes(actor, locale, timezone)
        for name, value in changed.items():
            setattr(actor, name, value)
        act.detail.update(changed)
        if not changed:
            act.nothing_changed()
    return actor


def _preference_changes(actor: User, locale, timezone) -> dict:
    """The given preferences that differ from the actor's.

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
    return {name: value for name, value in changes.items() if getattr(actor, name) != value}
