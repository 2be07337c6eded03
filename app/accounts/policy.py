"""Policy rules of accounts and administration: users, regions, departments, tokens, deputies."""

from __future__ import annotations

from app.policy import has_role, rule


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


@rule("token.create", "password.change", "preferences.change")
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
