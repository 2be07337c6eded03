"""Accounts: signing in, users and roles, regions, departments, API tokens, delegations.

Every public function is one transaction that ends in a single commit, with its audit
entry inside it. Functions take the acting user first and ask ``app.policy``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, timedelta

from flask import current_app
from limits import parse
from sqlalchemy import or_, select, update

from app import audit
from app.accounts.models import ApiToken, Delegation, Department, Region, Role, User, UserRole
from app.accounts.passwords import check_password, hash_password, password_problems
from app.common import Page, paginate, utcnow
from app.errors import Conflict, Invalid, NotFound, RateLimited, Unauthorized
from app.extensions import db, limiter
from app.policy import require
from app.realtime import after_commit

SIGN_IN_REFUSED = "The username or password is not correct."
TOKEN_PREFIX = "bw"  # noqa: S105 (a label, not a secret)


# Signing in -------------------------------------------------------------------------------


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


def authenticate(username: str, password: str, address: str) -> User:
    """Check a username and password and record the sign-in, or the failure.

    Failures count against the username and against the address; past either limit
    every attempt is refused, even with the right password, until the window passes.
    Unknown names and wrong passwords get the same message and take the same time.

    Raises:
        RateLimited: too many recent failures for this username or address.
        Unauthorized: the name, password or account is not good.
    """
    username = (username or "").strip()
    keys = _limit_keys(username, address)
    if not all(limiter.limiter.test(item, scope, key) for item, scope, key in keys):
        audit.record(
            None,
            "auth.login_blocked",
            "user",
            None,
            actor_name=username[:64] or "anonymous",
            detail={"address": address},
        )
        db.session.commit()
        minutes = current_app.config["LOGIN_FAILURE_WINDOW_MINUTES"]
        raise RateLimited(
            f"Too many failed sign-in attempts. Wait {minutes} minutes and try again."
        )
    user = db.session.scalar(select(User).where(User.username == username))
    if user is None or not check_password(user.password_hash, password) or not user.active:
        for item, scope, key in keys:
            limiter.limiter.hit(item, scope, key)
        audit.record(
            user,
            "auth.login_failed",
            "user",
            user.id if user else None,
            actor_name=username[:64] or "anonymous",
            detail={"address": address, "reason": _failure_reason(user)},
        )
        db.session.commit()
        raise Unauthorized(SIGN_IN_REFUSED)
    user.last_login_at = utcnow()
    audit.record(user, "auth.login", "user", user.id, detail={"address": address})
    db.session.commit()
    return user


def _failure_reason(user: User | None) -> str:
    if user is None:
        return "unknown_user"
    return "wrong_password" if user.active else "inactive_user"


def record_logout(user: User) -> None:
    audit.record(user, "auth.logout", "user", user.id)
    db.session.commit()


def load_session_user(identity: str) -> User | None:
    """Find the user of a session cookie; stale session versions and inactive users fail."""
    user_id, _, version = identity.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


def change_password(actor: User, current_password: str, new_password: str) -> None:
    """Change one's own password; every other session of the account ends.

    Raises:
        Invalid: the current password is wrong, or the new one breaks the rules.
    """
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
    actor.session_version += 1
    audit.record(actor, "user.password_changed", "user", actor.id)
    db.session.commit()


# Users ------------------------------------------------------------------------------------


def _get_or_404(model, object_id, label: str):
    obj = db.session.get(model, object_id) if isinstance(object_id, int) else None
    if obj is None:
        raise NotFound(f"{label} not found.")
    return obj


def get_user(actor: User, user_id: int) -> User:
    """Raises: NotFound for a user the actor may not see as well as a missing one."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not _can_view(actor, user):
        raise NotFound("User not found.")
    return user


def _can_view(actor, user) -> bool:
    from app.policy import can

    return can(actor, "user.view", user)


def list_users(
    actor: User,
    *,
    search: str | None = None,
    department_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    require(actor, "user.list")
    stmt = select(User).order_by(User.username)
    if search:
        pattern = f"%{search.strip()}%"
        stmt = stmt.where(
            or_(
                User.username.ilike(pattern),
                User.display_name.ilike(pattern),
                User.email.ilike(pattern),
            )
        )
    if department_id:
        stmt = stmt.where(User.department_id == department_id)
    if role:
        stmt = stmt.where(User.role_links.any(UserRole.role == role))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return paginate(stmt, page, per_page)


def _check_roles(roles, fields: dict) -> list[str]:
    values = sorted({str(r) for r in roles or []})
    unknown = [r for r in values if r not in {role.value for role in Role}]
    if unknown:
        fields["roles"] = [f"Unknown role: {', '.join(unknown)}."]
    elif not values:
        fields["roles"] = ["Give the account at least one role."]
    return values


def _check_department(department_id, fields: dict) -> Department | None:
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        fields["department_id"] = ["Choose an existing department."]
    return department


_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_profile(fields: dict, *, username=None, display_name=None, email=None) -> None:
    """Shape rules for the account fields that are given (``None`` means "not given")."""
    if username is not None and not _USERNAME.fullmatch(username):
        fields["username"] = [
            "Use 2 to 64 letters, digits, dots, dashes or underscores, starting with a letter "
            "or digit."
        ]
    if display_name is not None and not 1 <= len(display_name) <= 120:
        fields["display_name"] = ["Give a display name of 1 to 120 characters."]
    if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        fields["email"] = ["Give a valid email address, like name@department.gov.hk."]


def _check_unique_user(fields: dict, *, username=None, email=None, exclude_id=None) -> None:
    if username is not None:
        other = db.session.scalar(select(User).where(User.username == username))
        if other is not None and other.id != exclude_id:
            fields["username"] = ["That username is taken."]
    if email is not None:
        other = db.session.scalar(select(User).where(User.email == email))
        if other is not None and other.id != exclude_id:
            fields["email"] = ["Another account uses that email address."]


def _set_roles(user: User, roles: list[str]) -> None:
    current = {link.role: link for link in user.role_links}
    for role in roles:
        if role not in current:
            user.role_links.append(UserRole(role=role))
    for role, link in current.items():
        if role not in roles:
            user.role_links.remove(link)


def create_user(
    actor: User | None,
    *,
    username: str,
    display_name: str,
    email: str,
    department_id: int,
    password: str,
    roles: list[str] | None = None,
) -> User:
    """Create an account. ``actor`` is ``None`` only for the command-line bootstrap.

    Raises:
        Forbidden: the actor is not an admin.
        Invalid: taken username or email, unknown department or role, weak password.
    """
    if actor is not None:
        require(actor, "user.manage")
    username = (username or "").strip()
    email = (email or "").strip().lower()
    display_name = (display_name or "").strip()
    fields: dict[str, list[str]] = {}
    _check_profile(fields, username=username, display_name=display_name, email=email)
    role_values = _check_roles(roles or [Role.OFFICER.value], fields)
    _check_department(department_id, fields)
    _check_unique_user(
        fields,
        username=None if "username" in fields else username,
        email=None if "email" in fields else email,
    )
    problems = password_problems(password, username)
    if problems:
        fields["password"] = problems
    if fields:
        raise Invalid("The user was not created.", fields=fields)
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        department_id=department_id,
        password_hash=hash_password(password),
    )
    _set_roles(user, role_values)
    db.session.add(user)
    db.session.flush()
    audit.record(
        actor,
        "user.created",
        "user",
        user.id,
        actor_name=None if actor else "system",
        detail={"username": username, "department_id": department_id, "roles": role_values},
    )
    db.session.commit()
    return user


def update_user(actor: User, user_id: int, **changes) -> User:
    """Change display name, email, department, roles and the active flag of an account.

    Changes that are ``None`` or absent stay as they are. Every problem is reported at
    once; nothing changes unless everything is acceptable. ``active=False`` has the
    effects of :func:`set_user_active`.

    Raises:
        Forbidden, NotFound, Invalid (also: removing one's own admin role, deactivating
        oneself).
    """
    require(actor, "user.manage")
    user = _get_or_404(User, user_id, "User")
    fields: dict[str, list[str]] = {}
    before = _user_snapshot(user)
    if changes.get("display_name") is not None:
        changes["display_name"] = changes["display_name"].strip()
    if changes.get("email") is not None:
        changes["email"] = changes["email"].strip().lower()
    _check_profile(fields, display_name=changes.get("display_name"), email=changes.get("email"))
    if changes.get("email") is not None and "email" not in fields:
        _check_unique_user(fields, email=changes["email"], exclude_id=user.id)
    active = changes.get("active")
    if active is False and user.id == actor.id:
        fields["active"] = ["You cannot deactivate your own account."]
    if changes.get("department_id") is not None:
        _check_department(changes["department_id"], fields)
    roles = None
    if changes.get("roles") is not None:
        roles = _check_roles(changes["roles"], fields)
        if user.id == actor.id and Role.ADMIN.value not in roles:
            fields["roles"] = ["You cannot remove your own admin role."]
    if fields:
        raise Invalid("The user was not changed.", fields=fields)
    for name in ("display_name", "email", "department_id"):
        if changes.get(name) is not None:
            setattr(user, name, changes[name])
    if roles is not None:
        _set_roles(user, roles)
    db.session.flush()
    after = _user_snapshot(user)
    diff = {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}
    if diff:
        audit.record(actor, "user.updated", "user", user.id, detail={"changes": diff})
    if active is not None and active != user.active:
        _change_active(actor, user, active)
    db.session.commit()
    return user


def _user_snapshot(user: User) -> dict:
    return {
        "display_name": user.display_name,
        "email": user.email,
        "department_id": user.department_id,
        "roles": sorted(link.role for link in user.role_links),
    }


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    """Deactivate or reactivate an account.

    Deactivation ends the user's sessions (the session version changes), revokes their
    API tokens and, once committed, disconnects their live connections.

    Raises:
        Forbidden, NotFound, Invalid (deactivating oneself).
    """
    require(actor, "user.manage")
    user = _get_or_404(User, user_id, "User")
    if user.id == actor.id and not active:
        raise Invalid(
            "You cannot deactivate your own account.", fields={"active": ["Not yourself."]}
        )
    if user.active == active:
        return user
    _change_active(actor, user, active)
    db.session.commit()
    return user


def _change_active(actor: User, user: User, active: bool) -> None:
    """Flip the flag; deactivation also ends sessions, tokens and (after commit) sockets."""
    user.active = active
    if not active:
        user.session_version += 1
        now = utcnow()
        db.session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        after_commit(_disconnect_user, user.id)
    audit.record(actor, "user.activated" if active else "user.deactivated", "user", user.id)


def _disconnect_user(user_id: int) -> None:
    from app.realtime import disconnect_user

    disconnect_user(user_id)


# Regions and departments ------------------------------------------------------------------


def list_regions(
    actor: User, *, search: str | None = None, page: int = 1, per_page: int = 50
) -> Page:
    require(actor, "region.read")
    stmt = select(Region).order_by(Region.jurisdiction, Region.name)
    if search:
        pattern = f"%{search.strip()}%"
        stmt = stmt.where(
            or_(
                Region.name.ilike(pattern),
                Region.code.ilike(pattern),
                Region.jurisdiction.ilike(pattern),
            )
        )
    return paginate(stmt, page, per_page)


def all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def get_region(actor: User, region_id: int) -> Region:
    require(actor, "region.read")
    return _get_or_404(Region, region_id, "Region")


def _check_region_fields(fields, *, code, exclude_id=None, name=None, jurisdiction=None):
    if code is not None and not code:
        fields["code"] = ["Give the region a code, like HK."]
    elif code is not None:
        other = db.session.scalar(select(Region).where(Region.code == code))
        if other is not None and other.id != exclude_id:
            fields["code"] = ["Another region uses that code."]
    if name is not None and not name.strip():
        fields["name"] = ["Give the region a name."]
    if jurisdiction is not None and not jurisdiction.strip():
        fields["jurisdiction"] = ["Name the jurisdiction, like HK, MO or CN."]


def create_region(actor: User, *, code: str, name: str, jurisdiction: str) -> Region:
    require(actor, "region.manage")
    code = (code or "").strip().upper()
    fields: dict[str, list[str]] = {}
    _check_region_fields(fields, code=code, name=name or "", jurisdiction=jurisdiction or "")
    if fields:
        raise Invalid("The region was not created.", fields=fields)
    region = Region(code=code, name=name.strip(), jurisdiction=jurisdiction.strip())
    db.session.add(region)
    db.session.flush()
    audit.record(
        actor,
        "region.created",
        "region",
        region.id,
        detail={"code": code, "name": region.name, "jurisdiction": region.jurisdiction},
    )
    db.session.commit()
    return region


def update_region(actor: User, region_id: int, **changes) -> Region:
    require(actor, "region.manage")
    region = _get_or_404(Region, region_id, "Region")
    fields: dict[str, list[str]] = {}
    if changes.get("code") is not None:
        changes["code"] = changes["code"].strip().upper()
    _check_region_fields(
        fields,
        code=changes.get("code"),
        exclude_id=region.id,
        name=changes.get("name"),
        jurisdiction=changes.get("jurisdiction"),
    )
    if fields:
        raise Invalid("The region was not changed.", fields=fields)
    diff = _apply(region, changes, ("code", "name", "jurisdiction"))
    if diff:
        audit.record(actor, "region.updated", "region", region.id, detail={"changes": diff})
    db.session.commit()
    return region


def _apply(obj, changes: dict, names) -> dict:
    diff = {}
    for name in names:
        value = changes.get(name)
        if value is None:
            continue
        if isinstance(value, str):
            value = value.strip()
        if getattr(obj, name) != value:
            diff[name] = {"from": getattr(obj, name), "to": value}
            setattr(obj, name, value)
    return diff


def list_departments(
    actor: User,
    *,
    search: str | None = None,
    region_id: int | None = None,
    page: int = 1,
    per_page: int = 50,
) -> Page:
    require(actor, "department.read")
    stmt = select(Department).join(Department.region).order_by(Region.name, Department.name)
    if search:
        pattern = f"%{search.strip()}%"
        stmt = stmt.where(or_(Department.name.ilike(pattern), Department.code.ilike(pattern)))
    if region_id:
        stmt = stmt.where(Department.region_id == region_id)
    return paginate(stmt, page, per_page)


def all_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


def get_department(actor: User, department_id: int) -> Department:
    require(actor, "department.read")
    return _get_or_404(Department, department_id, "Department")


def _check_department_fields(
    fields, department: Department | None, *, code=None, region_id=None, parent_id=None, name=None
):
    if name is not None and not name.strip():
        fields["name"] = ["Give the department a name."]
    if code is not None and not code:
        fields["code"] = ["Give the department a code, like DSD."]
    elif code is not None:
        other = db.session.scalar(select(Department).where(Department.code == code))
        if other is not None and (department is None or other.id != department.id):
            fields["code"] = ["Another department uses that code."]
    if region_id is not None and db.session.get(Region, region_id) is None:
        fields["region_id"] = ["Choose an existing region."]
    if parent_id:
        parent = db.session.get(Department, parent_id)
        if parent is None:
            fields["parent_id"] = ["Choose an existing department."]
        elif department is not None and _is_descendant_or_self(parent, department):
            fields["parent_id"] = ["A department cannot sit under itself or one of its own units."]


def _is_descendant_or_self(candidate: Department, department: Department) -> bool:
    seen = set()
    node = candidate
    while node is not None and node.id not in seen:
        if node.id == department.id:
            return True
        seen.add(node.id)
        node = node.parent
    return False


def create_department(
    actor: User, *, code: str, name: str, region_id: int, parent_id: int | None = None
) -> Department:
    require(actor, "department.manage")
    code = (code or "").strip().upper()
    fields: dict[str, list[str]] = {}
    _check_department_fields(
        fields, None, code=code, region_id=region_id, parent_id=parent_id, name=name or ""
    )
    if fields:
        raise Invalid("The department was not created.", fields=fields)
    department = Department(
        code=code, name=name.strip(), region_id=region_id, parent_id=parent_id or None
    )
    db.session.add(department)
    db.session.flush()
    audit.record(
        actor,
        "department.created",
        "department",
        department.id,
        department_id=department.id,
        detail={
            "code": code,
            "name": department.name,
            "region_id": region_id,
            "parent_id": parent_id,
        },
    )
    db.session.commit()
    return department


def update_department(actor: User, department_id: int, **changes) -> Department:
    require(actor, "department.manage")
    department = _get_or_404(Department, department_id, "Department")
    fields: dict[str, list[str]] = {}
    if changes.get("code") is not None:
        changes["code"] = changes["code"].strip().upper()
    _check_department_fields(
        fields,
        department,
        code=changes.get("code"),
        region_id=changes.get("region_id"),
        parent_id=changes.get("parent_id"),
        name=changes.get("name"),
    )
    if fields:
        raise Invalid("The department was not changed.", fields=fields)
    diff = _apply(department, changes, ("code", "name", "region_id"))
    if "parent_id" in changes and (changes["parent_id"] or None) != department.parent_id:
        diff["parent_id"] = {"from": department.parent_id, "to": changes["parent_id"] or None}
        department.parent_id = changes["parent_id"] or None
    if diff:
        audit.record(
            actor,
            "department.updated",
            "department",
            department.id,
            department_id=department.id,
            detail={"changes": diff},
        )
    db.session.commit()
    return department


# API tokens -------------------------------------------------------------------------------


def _secret_hash(secret: str) -> str:
    """Tokens are long random strings, so a fast keyed hash is enough; the key is the app's."""
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def create_token(
    actor: User, *, name: str, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Create a personal API token and return it with its secret, which is never stored.

    Raises:
        Invalid: empty name, or an expiry outside 1 to 365 days.
    """
    require(actor, "token.create")
    name = (name or "").strip()
    _check_token_request(name, expires_in_days)
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id,
        name=name[:100],
        prefix=prefix,
        secret_hash=_secret_hash(secret),
        expires_at=utcnow() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    db.session.add(token)
    db.session.flush()
    audit.record(
        actor, "token.created", "api_token", token.id, detail={"name": token.name, "prefix": prefix}
    )
    db.session.commit()
    return token, f"{TOKEN_PREFIX}_{prefix}_{secret}"


def _check_token_request(name: str, expires_in_days: int | None) -> None:
    fields: dict[str, list[str]] = {}
    if not name:
        fields["name"] = ["Give the token a name, so you can tell it apart later."]
    elif len(name) > 100:
        fields["name"] = ["Use at most 100 characters."]
    if expires_in_days is not None and not 1 <= expires_in_days <= 365:
        fields["expires_in_days"] = ["Choose between 1 and 365 days."]
    if fields:
        raise Invalid("The token was not created.", fields=fields)


def issue_token_for_credentials(
    username: str, password: str, address: str, name: str, expires_in_days: int | None = 90
) -> tuple[ApiToken, str]:
    """Sign in with a password and create a token in one step (``POST /api/v1/tokens``).

    The token's name and expiry are checked before the password, so a refused request
    neither counts as a sign-in nor leaves a sign-in without its token.

    Raises:
        Invalid, RateLimited, Unauthorized (see :func:`authenticate`).
    """
    name = (name or "").strip() or "API token"
    _check_token_request(name, expires_in_days)
    user = authenticate(username, password, address)
    return create_token(user, name=name, expires_in_days=expires_in_days)


def list_tokens(actor: User) -> list[ApiToken]:
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(ApiToken.user_id == actor.id)
            .order_by(ApiToken.created_at.desc())
        )
    )


def token_page(actor: User, *, page: int = 1, per_page: int = 25) -> Page:
    """One page of the actor's own tokens, newest first (secrets are never stored)."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == actor.id)
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    )
    return paginate(stmt, page, per_page)


def revoke_token(actor: User, token_id: int) -> ApiToken:
    """Revoke a token; it stops working at once.

    Raises:
        NotFound: missing, or someone else's token (unless the actor is an admin).
        Conflict: the token is already revoked.
    """
    token = db.session.get(ApiToken, token_id) if isinstance(token_id, int) else None
    if token is None or not _may(actor, "token.revoke", token):
        raise NotFound("Token not found.")
    if token.revoked_at is not None:
        raise Conflict("This token is already revoked.")
    token.revoked_at = utcnow()
    audit.record(
        actor,
        "token.revoked",
        "api_token",
        token.id,
        detail={"owner_id": token.user_id, "prefix": token.prefix},
    )
    db.session.commit()
    return token


def _may(actor, action, obj) -> bool:
    from app.policy import can

    return can(actor, action, obj)


def user_for_token(raw: str) -> User | None:
    """The active user owning a usable token, or ``None``; notes when it was last used."""
    parts = (raw or "").split("_", 2)
    if len(parts) != 3 or parts[0] != TOKEN_PREFIX:
        return None
    token = db.session.scalar(select(ApiToken).where(ApiToken.prefix == parts[1]))
    now = utcnow()
    if token is None or not token.is_usable(now):
        return None
    if not hmac.compare_digest(token.secret_hash, _secret_hash(parts[2])):
        return None
    if not token.user.active:
        return None
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        token.last_used_at = now
        db.session.commit()
    return token.user


# Delegations ------------------------------------------------------------------------------


def list_delegations(actor: User) -> list[Delegation]:
    return list(
        db.session.scalars(
            select(Delegation)
            .where(or_(Delegation.head_id == actor.id, Delegation.deputy_id == actor.id))
            .order_by(Delegation.starts_on.desc())
        )
    )


def delegation_page(actor: User, *, page: int = 1, per_page: int = 25) -> Page:
    """One page of the delegations the actor gave (as head) or received (as deputy)."""
    stmt = (
        select(Delegation)
        .where(or_(Delegation.head_id == actor.id, Delegation.deputy_id == actor.id))
        .order_by(Delegation.starts_on.desc(), Delegation.id.desc())
    )
    return paginate(stmt, page, per_page)


def acting_delegations(actor: User, on: date | None = None) -> list[Delegation]:
    """The delegations under which ``actor`` is a deputy today (or on ``on``)."""
    on = on or utcnow().date()
    return list(
        db.session.scalars(
            select(Delegation)
            .where(
                Delegation.deputy_id == actor.id,
                Delegation.revoked_at.is_(None),
                Delegation.starts_on <= on,
                Delegation.ends_on >= on,
            )
            .order_by(Delegation.starts_on)
        )
    )


@dataclass
class AccountSummary:
    """Who the caller is: the account (with department and region) and where they deputise."""

    user: User
    acting_for: list[Delegation]

    @property
    def department(self) -> Department:
        return self.user.department

    @property
    def roles(self) -> list[str]:
        return sorted(link.role for link in self.user.role_links)


def account_summary(actor: User) -> AccountSummary:
    """The caller's own account, for ``GET /api/v1/me`` and the profile page."""
    require(actor, "user.view", actor)
    return AccountSummary(user=actor, acting_for=acting_delegations(actor))


def deputy_candidates(actor: User) -> list[User]:
    return list(
        db.session.scalars(
            select(User)
            .where(
                User.department_id == actor.department_id,
                User.active.is_(True),
                User.id != actor.id,
            )
            .order_by(User.display_name)
        )
    )


def create_delegation(actor: User, *, deputy_id: int, starts_on: date, ends_on: date) -> Delegation:
    """Name a deputy from the head's own department for a date range.

    Raises:
        Forbidden: the actor is not a head.
        Invalid: deputy missing, inactive, oneself or of another department; bad dates.
    """
    require(actor, "delegation.create", None, "Only a department head can name a deputy.")
    deputy = db.session.get(User, deputy_id) if isinstance(deputy_id, int) else None
    fields: dict[str, list[str]] = {}
    if deputy is None or not deputy.active:
        fields["deputy_id"] = ["Choose an active colleague."]
    elif deputy.id == actor.id:
        fields["deputy_id"] = ["You cannot be your own deputy."]
    elif deputy.department_id != actor.department_id:
        fields["deputy_id"] = ["A deputy must belong to your own department."]
    if ends_on < starts_on:
        fields["ends_on"] = ["The end date must not be before the start date."]
    elif ends_on < utcnow().date():
        fields["ends_on"] = ["The end date is in the past."]
    elif (ends_on - starts_on).days > 366:
        fields["ends_on"] = ["A delegation lasts at most one year."]
    if fields:
        raise Invalid("The deputy was not named.", fields=fields)
    delegation = Delegation(
        head_id=actor.id,
        deputy_id=deputy.id,
        department_id=actor.department_id,
        starts_on=starts_on,
        ends_on=ends_on,
    )
    db.session.add(delegation)
    db.session.flush()
    audit.record(
        actor,
        "delegation.created",
        "delegation",
        delegation.id,
        detail={"deputy_id": deputy.id, "starts_on": starts_on, "ends_on": ends_on},
    )
    db.session.commit()
    return delegation


def revoke_delegation(actor: User, delegation_id: int) -> Delegation:
    """End a delegation now.

    Raises:
        NotFound: missing, or not the actor's own delegation (unless admin).
        Conflict: already revoked.
    """
    delegation = (
        db.session.get(Delegation, delegation_id) if isinstance(delegation_id, int) else None
    )
    if delegation is None or not _may(actor, "delegation.revoke", delegation):
        raise NotFound("Delegation not found.")
    if delegation.revoked_at is not None:
        raise Conflict("This delegation has already ended.")
    delegation.revoked_at = utcnow()
    audit.record(
        actor,
        "delegation.revoked",
        "delegation",
        delegation.id,
        detail={"deputy_id": delegation.deputy_id},
    )
    db.session.commit()
    return delegation


def acting_for(user: User, department_id: int, on: date | None = None) -> User | None:
    """The head ``user`` acts as for ``department_id``: themselves, or the head who named them.

    Returns ``None`` when the user is neither a head of that department nor a current
    deputy of one. Used by approvals that a head (or their deputy) must give.
    """
    if user.department_id != department_id or not user.active:
        return None
    if user.has_role(Role.HEAD):
        return user
    on = on or utcnow().date()
    delegation = db.session.scalar(
        select(Delegation).where(
            Delegation.deputy_id == user.id,
            Delegation.department_id == department_id,
            Delegation.revoked_at.is_(None),
            Delegation.starts_on <= on,
            Delegation.ends_on >= on,
        )
    )
    if delegation is None or not delegation.head.active or not delegation.head.has_role(Role.HEAD):
        return None
    return delegation.head


def bootstrap_admin(username: str, password: str) -> User:
    """Create the first admin from the command line, in an "Administration" department.

    Raises:
        Invalid: the username is taken or the password is weak.
    """
    department = db.session.scalar(select(Department).order_by(Department.id))
    if department is None:
        region = db.session.scalar(select(Region).order_by(Region.id))
        if region is None:
            region = Region(code="HK", name="Hong Kong", jurisdiction="HK")
            db.session.add(region)
            db.session.flush()
        department = Department(code="ADMIN", name="Platform Administration", region_id=region.id)
        db.session.add(department)
        db.session.flush()
    return create_user(
        None,
        username=username,
        display_name=username,
        email=f"{username}@bridgework.invalid",
        department_id=department.id,
        password=password,
        roles=[Role.ADMIN.value, Role.OFFICER.value],
    )
