"""Password hashing (argon2id) and the password rules."""

from __future__ import annotations

from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app
from flask_babel import gettext as _


@lru_cache(maxsize=4)
def _hasher_with(time_cost: int, memory_kib: int) -> tuple[PasswordHasher, str]:
    """A hasher of the given cost, and a hash to verify against when the user is unknown.

    Verifying the dummy hash for unknown usernames makes both paths take the same time.
    """
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    return hasher, hasher.hash("bridgework-timing-equaliser")


def _hasher() -> tuple[PasswordHasher, str]:
    config = current_app.config
    return _hasher_with(config["PASSWORD_HASH_TIME_COST"], config["PASSWORD_HASH_MEMORY_KIB"])


def hash_password(password: str) -> str:
    return _hasher()[0].hash(password)


def check_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; hashes of any cost verify, since argon2 stores it."""
    hasher, dummy = _hasher()
    try:
        return hasher.verify(password_hash or dummy, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def password_problems(password: str, username: str) -> list[str]:
    """Why ``password`` is not acceptable for ``username``; empty when it is."""
    problems = []
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        problems.append(_("Use at least %(count)s characters.", count=minimum))
    if len(password) > 256:
        problems.append(_("Use at most 256 characters."))
    if username and username.lower() in password.lower():
        problems.append(_("The password must not contain the username."))
    return problems
