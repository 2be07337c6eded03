"""The one place where "may user U do action A on object O" is decided.

Rules are registered per action name (``domain.verb``) with :func:`rule`. Every rule
sees only active, signed-in users: anonymous callers and deactivated accounts are
refused before any rule runs. Each domain registers its rules from its own ``policy``
module, imported when the app is created (``app/__init__.py``); this module knows no
domain. Where a list must agree with a rule, the domain's policy module keeps the query
clause next to the rule it mirrors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask_babel import gettext as _

from app.errors import Forbidden

Rule = Callable[[Any, Any], bool]
_RULES: dict[str, Rule] = {}


def rule(*actions: str) -> Callable[[Rule], Rule]:
    """Register the decorated predicate ``(user, obj) -> bool`` for ``actions``."""

    def register(predicate: Rule) -> Rule:
        for action in actions:
            if action in _RULES:
                raise RuntimeError(f"policy rule for {action!r} registered twice")
            _RULES[action] = predicate
        return predicate

    return register


def known_actions() -> list[str]:
    return sorted(_RULES)


def is_signed_in(user: Any) -> bool:
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and getattr(user, "active", False)
    )


def can(user: Any, action: str, obj: Any = None) -> bool:
    """Whether ``user`` may perform ``action`` on ``obj``.

    Raises:
        KeyError: ``action`` has no rule (a programming error, never a silent "yes").
    """
    predicate = _RULES[action]
    if not is_signed_in(user):
        return False
    return bool(predicate(user, obj))


def require(user: Any, action: str, obj: Any = None, message: str | None = None) -> None:
    """Raise ``Forbidden`` unless ``can(user, action, obj)``."""
    if not can(user, action, obj):
        raise Forbidden(message or _("You do not have permission to do that."))


def has_role(user: Any, *roles: str) -> bool:
    return any(user.has_role(role) for role in roles)


# Oversight --------------------------------------------------------------------------------


@rule("audit.read", "audit.verify")
def _oversight(user, obj) -> bool:
    return has_role(user, "auditor", "admin")
