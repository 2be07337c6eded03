"""The one place where "may user U do action A on object O" is decided.

Rules are registered per action name (``domain.verb``) with :func:`rule`. Every rule
sees only active, signed-in users: anonymous callers and deactivated accounts are
refused before any rule runs. Domain rule modules are gathered at the bottom of this
file so that importing ``app.policy`` always knows every action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
        raise Forbidden(message or "You do not have permission to do that.")


def has_role(user: Any, *roles: str) -> bool:
    return any(user.has_role(role) for role in roles)


# Accounts and administration -------------------------------------------------------------


@rule("user.manage", "region.manage", "department.manage", "user.list")
def _admin_only(user, obj) -> bool:
    return has_role(user, "admin")


@rule("region.read", "department.read")
def _any_member(user, obj) -> bool:
    return True


@rule("user.view")
def _view_user(user, target) -> bool:
    """People see their own account; admins and auditors see everyone's."""
    return has_role(user, "admin", "auditor") or (target is not None and target.id == user.id)


@rule("token.create", "password.change")
def _own_account(user, obj) -> bool:
    return True


@rule("token.revoke")
def _revoke_token(user, token) -> bool:
    return token is not None and (token.user_id == user.id or has_role(user, "admin"))


@rule("delegation.create")
def _create_delegation(user, deputy) -> bool:
    """Only a head names a deputy, and only from their own department."""
    if not has_role(user, "head"):
        return False
    return deputy is None or deputy.department_id == user.department_id


@rule("delegation.revoke")
def _revoke_delegation(user, delegation) -> bool:
    return delegation is not None and (delegation.head_id == user.id or has_role(user, "admin"))


# Oversight --------------------------------------------------------------------------------


@rule("audit.read", "audit.verify")
def _oversight(user, obj) -> bool:
    return has_role(user, "auditor", "admin")


# Gathered domain rules ----------------------------------------------------------------------

from app.notifications import policy as _notifications_policy  # noqa: E402,F401
from app.workspaces import policy as _workspaces_policy  # noqa: E402,F401
