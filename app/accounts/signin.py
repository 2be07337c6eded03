"""Signing in and out, and changing one's own password.

A refused sign-in is recorded (its own action, committed) before the refusal is raised,
so the audit log keeps every attempt while the caller still hears "no".
"""

from __future__ import annotations

import enum

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import parse
from sqlalchemy import select

from app.accounts.models import User
from app.accounts.passwords import check_password, hash_password, password_problems
from app.actions import action
from app.common import utcnow
from app.errors import Invalid, RateLimited, Unauthorized
from app.extensions import db, limiter
from app.policy import require


class AccountError(enum.StrEnum):
    """Machine-readable codes of the accounts domain's refusals (API ``error.code``)."""

    ACCOUNT_DEACTIVATED = "account_deactivated"


SIGN_IN_REFUSED = _l("The username or password is not correct.")
# Only for someone who proved they own the account (the right password): strangers and
# wrong passwords keep the vague message above.
ACCOUNT_DEACTIVATED = _l(
    "This account is deactivated, so it cannot sign in. Ask a Bridgework administrator "
    "(or your department's head) to reactivate it."
)


def _failure_limits():
    cfg = current_app.config
    window = cfg["LOGIN_FAILURE_WINDOW_MINUTES"]
    return (
        (parse(f"{cfg['LOGIN_FAILURES_PER_USERNAME']}/{window} minutes"), "login-user"),
        (parse(f"{cfg['LOGIN_FAILURES_PER_ADDRESS']}/{window} minutes"), "login-addr"),
    )


def _limit_keys(username: str, address: str) -> list[tuple]:
    user_limit, addr_limit = _failure_limits()
    return [(*user_limit, username.lower()), (*addr_limit, address or "unknown")]


def verify_credentials(username: str, password: str, address: str) -> User:
    """The user whose name and password these are; refusals are recorded, then raised.

    Failures count against the username and against the address; past either limit
    every attempt is refused, even with the right password, until the window passes.
    Unknown names and wrong passwords get the same message. Records nothing on success:
    the caller's action records the sign-in with what it is for.

    Raises:
        RateLimited: too many recent failures for this username or address.
        Unauthorized: the name, password or account is not good.
    """
    username = (username or "").strip()
    claimed = username[:64] or "anonymous"
    keys = _limit_keys(username, address)
    if not all(limiter.limiter.test(item, scope, key) for item, scope, key in keys):
        with action(None, "auth.login_blocked", target=("user", None), actor_name=claimed) as act:
            act.detail["address"] = address
        minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
        raise RateLimited(
            _(
                "Too many failed sign-in attempts. Wait %(minutes)s minutes and try again.",
                minutes=minutes,
            )
        )
    user = db.session.scalar(select(User).where(User.username == username))
    # Every path verifies one hash (a dummy for unknown names), so all refusals take as long.
    password_ok = check_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        for item, scope, key in keys:
            limiter.limiter.hit(item, scope, key)
        with action(
            user,
            "auth.login_failed",
            target=("user", user.id if user else None),
            actor_name=claimed,
            detail={"address": address, "reason": _failure_reason(user)},
        ):
            pass
        if user is not None and password_ok:
            raise Unauthorized(str(ACCOUNT_DEACTIVATED), code=AccountError.ACCOUNT_DEACTIVATED)
        raise Unauthorized(str(SIGN_IN_REFUSED))
    return user


def record_login(user: User, address: str) -> None:
    """Record a sign-in (inside the caller's action, or as an action of its own)."""
    with action(user, "auth.login", target=("user", user.id), detail={"address": address}):
        user.last_login_at = utcnow()


def authenticate(username: str, password: str, address: str) -> User:
    """Check a username and password and record the sign-in, or the failure.

    Raises:
        RateLimited, Unauthorized: see :func:`verify_credentials`.
    """
    user = verify_credentials(username, password, address)
    record_login(user, address)
    return user


def _failure_reason(user: User | None) -> str:
    if user is None:
        return "unknown_user"
    return "wrong_password" if user.active else "inactive_user"


def record_logout(user: User) -> None:
    with action(user, "auth.logout", target=("user", user.id)):
        pass


def change_password(actor: User, current_password: str, new_password: str) -> None:
    """Change one's own password; every other session of the account ends.

    Raises:
        Invalid: the current password is wrong, or the new one breaks the rules.
    """
    with action(actor, "user.password_changed", target=("user", actor.id)) as act:
        require(actor, "password.change")
        fields: dict[str, list[str]] = {}
        if not check_password(actor.password_hash, current_password):
            fields["current_password"] = [_("The current password is not correct.")]
        problems = password_problems(new_password, actor.username)
        if problems:
            fields["new_password"] = problems
        elif check_password(actor.password_hash, new_password):
            fields["new_password"] = [_("Choose a password different from the current one.")]
        if fields:
            raise Invalid(_("The password was not changed."), fields=fields)
        actor.password_hash = hash_password(new_password)
        actor.must_change_password = False
        actor.session_version += 1
        act.recheck_access(actor.id)
