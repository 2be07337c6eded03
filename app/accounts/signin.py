"""Signing in and out, and changing one's own password.

A refused sign-in is recorded (its own action, committed) before the refusal is raised,
so the audit log keeps every attempt on an account while the caller still hears "no";
attempts that name no account, and those the throttle stops, are recorded in summary.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass

from flask import current_app
from limits import RateLimitItem, parse
from sqlalchemy import select, update

from app.accounts.identity import secret_hash
from app.accounts.models import ApiToken, User, UserSession
from app.accounts.passwords import check_password, hash_password, password_problems
from app.actions import action
from app.common import utcnow
from app.errors import Invalid, RateLimited, Unauthorized
from app.extensions import db, limiter
from app.policy import require

SIGN_IN_REFUSED = "The username or password is not correct."


def pause(seconds: float) -> None:
    """Wait before answering (a name of its own, so tests can count instead of wait)."""
    time.sleep(seconds)


@dataclass(frozen=True)
class _Counter:
    """A count of sign-in failures kept in the rate-limit store for one window."""

    scope: str
    limit: int

    def item(self) -> RateLimitItem:
        window = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
        return parse(f"{self.limit}/{window} minutes")

    def allows(self, *key: str) -> bool:
        return limiter.limiter.test(self.item(), self.scope, *key)

    def hit(self, *key: str) -> int:
        """Count one more; how many there are now in this window."""
        item = self.item()
        limiter.limiter.hit(item, self.scope, *key)
        return self.count(*key)

    def count(self, *key: str) -> int:
        stats = limiter.limiter.get_window_stats(self.item(), self.scope, *key)
        return self.limit - stats.remaining


_COUNTED = 10**9
"""A limit no count reaches: the counter only measures, the backoff decides."""


def _pair() -> _Counter:
    return _Counter("login-pair", current_app.config["LOGIN_FAILURES_PER_USERNAME"])


def _per_address() -> _Counter:
    return _Counter("login-addr", current_app.config["LOGIN_FAILURES_PER_ADDRESS"])


def _per_username() -> _Counter:
    return _Counter("login-user", _COUNTED)


def _refusals() -> _Counter:
    return _Counter("login-refused", _COUNTED)


def backoff_seconds(failures: int) -> float:
    """How long an attempt waits after ``failures`` recent failures from anywhere.

    Nothing up to ``LOGIN_FAILURES_PER_USERNAME``; then 1, 2, 4, ... seconds, at most
    ``LOGIN_SLOWDOWN_MAX_SECONDS``. It slows a guesser spread over many addresses without
    ever refusing the right password.
    """
    config = current_app.config
    excess = failures - config["LOGIN_FAILURES_PER_USERNAME"]
    if excess < 0:
        return 0
    return min(2.0 ** min(excess, 30), config["LOGIN_SLOWDOWN_MAX_SECONDS"])


def verify_credentials(username: str, password: str, address: str) -> User:
    """The user whose name and password these are; refusals are recorded, then raised.

    Throttling that slows an attacker without letting a stranger lock anyone out:

    - failures from one address for one username (``LOGIN_FAILURES_PER_USERNAME``) or
      from one address for any username (``LOGIN_FAILURES_PER_ADDRESS``) refuse that
      address, even with the right password, until the window passes; other addresses
      are not affected;
    - failures for a username from every address together make each attempt on it wait,
      longer and longer (:func:`backoff_seconds`), but the right password still succeeds.

    Unknown names and wrong passwords get the same message. Failures of known accounts
    are audited one by one; attempts that name no account and attempts refused by the
    throttle are audited in summary (see :func:`_record_refusal`), so a flood of them
    cannot flood the audit chain. Records nothing on success: the caller's action
    records the sign-in with what it is for.

    Raises:
        RateLimited: too many recent failures from this address.
        Unauthorized: the name, password or account is not good.
    """
    username = (username or "").strip()
    claimed = username[:64] or "anonymous"
    name_key, address = username.lower()[:256], (address or "unknown")[:64]
    if not (_pair().allows(name_key, address) and _per_address().allows(address)):
        _record_refusal(claimed, address, "blocked")
        minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
        raise RateLimited(
            f"Too many failed sign-in attempts. Wait {minutes} minutes and try again."
        )
    delay = backoff_seconds(_per_username().count(name_key))
    if delay:
        pause(delay)
    user = db.session.scalar(select(User).where(User.username == username))
    # Always verify one hash (the dummy one for an unknown name) before looking at the
    # outcome, so unknown, known and deactivated names take the same time to refuse.
    password_ok = check_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.active:
        _pair().hit(name_key, address)
        _per_address().hit(address)
        _per_username().hit(name_key)
        if user is None:
            _record_refusal(claimed, address, "unknown_user")
        else:
            with action(
                user,
                "auth.login_failed",
                target=("user", user.id),
                actor_name=claimed,
                detail={"address": address, "reason": _failure_reason(user)},
            ):
                pass
        raise Unauthorized(SIGN_IN_REFUSED)
    return user


def _record_refusal(claimed: str, address: str, reason: str) -> None:
    """Audit refusals that name no account, or that the throttle stopped, in summary.

    They are counted per (name, address, reason) in the rate-limit store; the 1st, 10th,
    100th, ... of a window each write one ``auth.login_failed_summary`` entry with the
    count so far, so 500 blocked attempts write three entries, not 500.
    """
    count = _refusals().hit(reason, claimed.lower(), address)
    if not _is_power_of_ten(count):
        return
    with action(
        None,
        "auth.login_failed_summary",
        target=("user", None),
        actor_name=claimed,
        detail={
            "address": address,
            "reason": reason,
            "count": count,
            "window_minutes": current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"],
        },
    ):
        pass


def _is_power_of_ten(number: int) -> bool:
    while number >= 10 and number % 10 == 0:
        number //= 10
    return number == 1


def record_login(user: User, address: str, *, open_session: bool = False) -> None:
    """Record a sign-in (inside the caller's action, or as an action of its own).

    With ``open_session`` a server-side session starts too, and its key is set on
    ``user`` so that the session cookie written next names it.
    """
    with action(user, "auth.login", target=("user", user.id), detail={"address": address}):
        user.last_login_at = utcnow()
        if open_session:
            _open_session(user, address)


def _open_session(user: User, address: str | None) -> None:
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(user_id=user.id, key_hash=secret_hash(key), address=address))
    user.session_key = key


def authenticate(username: str, password: str, address: str) -> User:
    """Check a username and password, record the sign-in and open a server-side session.

    Raises:
        RateLimited, Unauthorized: see :func:`verify_credentials`.
    """
    user = verify_credentials(username, password, address)
    record_login(user, address, open_session=True)
    return user


def _failure_reason(user: User | None) -> str:
    if user is None:
        return "unknown_user"
    return "wrong_password" if user.active else "inactive_user"


def record_logout(user: User) -> None:
    """End this browser's server-side session; its sockets, on every process, close at once.

    The old cookie opens nothing afterwards, even if someone kept a copy of it.
    """
    with action(user, "auth.logout", target=("user", user.id)) as act:
        if user.session_key:
            db.session.execute(
                update(UserSession)
                .where(
                    UserSession.user_id == user.id,
                    UserSession.key_hash == secret_hash(user.session_key),
                    UserSession.ended_at.is_(None),
                )
                .values(ended_at=utcnow())
            )
        act.recheck_access(user.id)


def end_all_sessions(user: User) -> None:
    """End every server-side session of ``user`` (inside the caller's action)."""
    user.session_version += 1
    db.session.execute(
        update(UserSession)
        .where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
        .values(ended_at=utcnow())
    )


def change_password(
    actor: User, current_password: str, new_password: str, *, keep_tokens: bool = False
) -> None:
    """Change one's own password; every other session of the account ends.

    The API tokens of the account are revoked too, unless the person explicitly keeps
    them (``keep_tokens``): a password changed because it leaked should not leave behind
    tokens made with it. Sockets of ended sessions and revoked tokens close at once.
    The browser that changed it carries on in a new session.

    Raises:
        Invalid: the current password is wrong, or the new one breaks the rules.
    """
    with action(actor, "user.password_changed", target=("user", actor.id)) as act:
        require(actor, "password.change")
        fields: dict[str, list[str]] = {}
        if not check_password(actor.password_hash, current_password):
            fields["current_password"] = ["The current password is not correct."]
        problems = password_problems(new_password, actor.username)
        if problems:
            fields["new_password"] = problems
        elif check_password(actor.password_hash, new_password):
            fields["new_password"] = ["Choose a password different from the current one."]
        if fields:
            raise Invalid("The password was not changed.", fields=fields)
        actor.password_hash = hash_password(new_password)
        end_all_sessions(actor)
        _open_session(actor, None)
        act.detail["tokens_kept"] = keep_tokens
        if not keep_tokens:
            act.detail["tokens_revoked"] = _revoke_every_token(actor)
        act.recheck_access(actor.id)


def _revoke_every_token(user: User) -> int:
    """Revoke the user's usable tokens; how many there were."""
    result = db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    return result.rowcount
