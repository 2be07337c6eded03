"""The policy matrix of accounts, administration and oversight.

Every action whose name starts with one of ``PREFIXES`` must have rows here: a new rule
without them fails :func:`test_matrix_covers_every_action_of_these_domains`. Other
domains keep their matrices in their own test files. Anonymous callers and deactivated
accounts are refused every action of every domain.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import date

import pytest
from flask_login import AnonymousUserMixin

from app.accounts.models import ApiToken, Delegation, User, UserRole
from app.errors import Forbidden
from app.policy import can, known_actions, require

PREFIXES = (
    "user.",
    "region.",
    "department.",
    "token.",
    "password.",
    "preferences.",
    "delegation.",
    "audit.",
)
ROLES = ("officer", "head", "dpo", "auditor", "admin")
EVERYONE = frozenset(ROLES)
NOBODY = frozenset()

OWN_DEPARTMENT = 10
OTHER_DEPARTMENT = 20
_ids = itertools.count(1000)


def person(*roles: str, department_id: int = OWN_DEPARTMENT, active: bool = True) -> User:
    """An account in memory: the policy looks only at its id, roles, department and flag."""
    return User(
        id=next(_ids),
        username=f"person{next(_ids)}",
        department_id=department_id,
        active=active,
        role_links=[UserRole(role=role) for role in roles],
    )


def token_of(owner: User) -> ApiToken:
    return ApiToken(id=next(_ids), user_id=owner.id, name="laptop", prefix="abcd1234")


def delegation_by(head: User, deputy: User) -> Delegation:
    return Delegation(
        id=next(_ids),
        head_id=head.id,
        deputy_id=deputy.id,
        department_id=head.department_id,
        starts_on=date(2026, 1, 1),
        ends_on=date(2026, 2, 1),
    )


# Situations: how the object is made for a given actor ---------------------------------------

Situation = Callable[[User], object]
SITUATIONS: dict[str, Situation] = {
    "none": lambda actor: None,
    "self": lambda actor: actor,
    "colleague": lambda actor: person("officer", department_id=actor.department_id),
    "other_department_user": lambda actor: person("officer", department_id=OTHER_DEPARTMENT),
    "own_token": lambda actor: token_of(actor),
    "colleagues_token": lambda actor: token_of(person("officer")),
    "other_department_token": lambda actor: token_of(
        person("officer", department_id=OTHER_DEPARTMENT)
    ),
    "deputy_in_own_department": lambda actor: person("officer", department_id=actor.department_id),
    "deputy_in_other_department": lambda actor: person("officer", department_id=OTHER_DEPARTMENT),
    "own_delegation": lambda actor: delegation_by(actor, person("officer")),
    "delegation_to_me": lambda actor: delegation_by(person("head"), actor),
    "colleagues_delegation": lambda actor: delegation_by(person("head"), person("officer")),
    "other_department_delegation": lambda actor: delegation_by(
        person("head", department_id=OTHER_DEPARTMENT),
        person("officer", department_id=OTHER_DEPARTMENT),
    ),
}

# (action, situation) -> the roles allowed.
MATRIX: dict[tuple[str, str], frozenset[str]] = {
    # Administration belongs to admins alone.
    ("user.list", "none"): frozenset({"admin"}),
    ("user.manage", "none"): frozenset({"admin"}),
    ("user.manage", "colleague"): frozenset({"admin"}),
    ("user.manage", "other_department_user"): frozenset({"admin"}),
    ("region.manage", "none"): frozenset({"admin"}),
    ("department.manage", "none"): frozenset({"admin"}),
    # The directory is open to every signed-in person.
    ("region.read", "none"): EVERYONE,
    ("department.read", "none"): EVERYONE,
    # Accounts: your own, or everyone's for admins and auditors.
    ("user.view", "self"): EVERYONE,
    ("user.view", "colleague"): frozenset({"admin", "auditor"}),
    ("user.view", "other_department_user"): frozenset({"admin", "auditor"}),
    ("user.view", "none"): frozenset({"admin", "auditor"}),
    ("password.change", "none"): EVERYONE,
    ("preferences.change", "none"): EVERYONE,
    # Tokens: anyone makes their own; revoking is the owner's, or an admin's.
    ("token.create", "none"): EVERYONE,
    ("token.revoke", "own_token"): EVERYONE,
    ("token.revoke", "colleagues_token"): frozenset({"admin"}),
    ("token.revoke", "other_department_token"): frozenset({"admin"}),
    ("token.revoke", "none"): NOBODY,
    # Deputies: a head names one from their own department; the head (or an admin) ends it.
    ("delegation.create", "none"): frozenset({"head"}),
    ("delegation.create", "deputy_in_own_department"): frozenset({"head"}),
    ("delegation.create", "deputy_in_other_department"): NOBODY,
    ("delegation.revoke", "own_delegation"): EVERYONE,
    ("delegation.revoke", "delegation_to_me"): frozenset({"admin"}),
    ("delegation.revoke", "colleagues_delegation"): frozenset({"admin"}),
    ("delegation.revoke", "other_department_delegation"): frozenset({"admin"}),
    ("delegation.revoke", "none"): NOBODY,
    # Oversight.
    ("audit.read", "none"): frozenset({"auditor", "admin"}),
    ("audit.verify", "none"): frozenset({"auditor", "admin"}),
}

CASES = [
    pytest.param(role, action, situation, role in allowed, id=f"{action}-{situation}-{role}")
    for (action, situation), allowed in MATRIX.items()
    for role in ROLES
]


def test_matrix_covers_every_action_of_these_domains():
    owned = {action for action in known_actions() if action.startswith(PREFIXES)}
    covered = {action for action, _ in MATRIX}
    assert owned - covered == set(), "actions without matrix rows"
    assert covered - owned == set(), "matrix rows for actions that no longer exist"


@pytest.mark.parametrize(("role", "action", "situation", "expected"), CASES)
def test_policy_matrix(app, role, action, situation, expected):
    actor = person(role)
    obj = SITUATIONS[situation](actor)
    assert can(actor, action, obj) is expected


@pytest.mark.parametrize(("action", "situation"), list(MATRIX))
def test_deactivated_accounts_are_refused_even_with_every_role(app, action, situation):
    actor = person(*ROLES, active=False)
    obj = SITUATIONS[situation](actor)
    assert can(actor, action, obj) is False
    with pytest.raises(Forbidden):
        require(actor, action, obj)


@pytest.mark.parametrize("action", known_actions())
@pytest.mark.parametrize("anonymous", [None, AnonymousUserMixin()], ids=["none", "anonymous"])
def test_anonymous_callers_are_refused_every_action_of_every_domain(app, action, anonymous):
    assert can(anonymous, action, None) is False
    assert can(anonymous, action, person("admin")) is False


@pytest.mark.parametrize("action", known_actions())
def test_deactivated_accounts_are_refused_every_action_of_every_domain(app, action):
    assert can(person(*ROLES, active=False), action, None) is False


def test_holding_several_roles_adds_their_rights():
    actor = person("head", "auditor")
    assert can(actor, "delegation.create")
    assert can(actor, "audit.read")
    assert not can(actor, "user.manage")


def test_require_raises_forbidden_with_the_given_message():
    with pytest.raises(Forbidden) as refused:
        require(person("officer"), "user.manage", None, "Only administrators manage accounts.")
    assert refused.value.message == "Only administrators manage accounts."
    assert refused.value.status == 403
    require(person("admin"), "user.manage")


def test_an_action_without_a_rule_is_an_error_not_a_yes():
    with pytest.raises(KeyError):
        can(person("admin"), "user.obliterate")
