"""The directory: users and their roles, regions, departments.

Every change is one action (audit entry, evictions of people who lost live access, one
commit). Reads take the acting user first and ask policy.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.orm import aliased

from app.accounts.models import ApiToken, Department, Region, Role, User, UserRole
from app.accounts.passwords import hash_password, password_problems
from app.accounts.signin import end_all_sessions
from app.actions import action
from app.common import (
    AnsweredPage,
    Page,
    iso_utc,
    name_problem,
    paginate,
    paginate_rows,
    text_matches,
    utcnow,
)
from app.errors import Invalid, NotFound
from app.extensions import db
from app.policy import can, require

# Users ------------------------------------------------------------------------------------


_NOT_FOUND = {
    "User": _l("User not found."),
    "Region": _l("Region not found."),
    "Department": _l("Department not found."),
}


def _get_or_404(model, object_id, label: str):
    obj = db.session.get(model, object_id) if isinstance(object_id, int) else None
    if obj is None:
        raise NotFound(str(_NOT_FOUND[label]))
    return obj


def get_user(actor: User, user_id: int) -> User:
    """Raises: NotFound for a user the actor may not see as well as a missing one."""
    user = db.session.get(User, user_id) if isinstance(user_id, int) else None
    if user is None or not can(actor, "user.view", user):
        raise NotFound(_("User not found."))
    return user


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
    stmt = _users_matching(select(User), search, department_id, role, active)
    return paginate(stmt.order_by(User.username), page, per_page)


@dataclass(frozen=True)
class UserRow:
    """A user as the administration's user table shows them."""

    id: int
    username: str
    display_name: str
    email: str
    department: str
    active: bool
    last_login_at: datetime | None
    roles: list[str]


def list_user_rows(
    actor: User,
    *,
    search: str | None = None,
    department_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
    page: int = 1,
    per_page: int = 25,
) -> Page:
    """:func:`list_users` for the user table: plain rows of the columns it shows.

    Three statements, as for the users themselves: the count, the page with each user's
    department name, then the page's roles (sorted by name). No user, department or
    region object is built.
    """
    require(actor, "user.list")
    columns = select(
        User.id,
        User.username,
        User.display_name,
        User.email,
        Department.name,
        User.active,
        User.last_login_at,
    ).join(Department, Department.id == User.department_id)
    stmt = _users_matching(columns, search, department_id, role, active).order_by(User.username)
    found = paginate(stmt, page, per_page, rows=True)
    roles: dict[int, list[str]] = {row.id: [] for row in found.items}
    if roles:
        for user_id, name in db.session.execute(
            select(UserRole.user_id, UserRole.role).where(UserRole.user_id.in_(roles))
        ):
            roles[user_id].append(str(Role(name)))
    found.items = [UserRow(*row, roles=sorted(roles[row.id])) for row in found.items]
    return found


def _users_matching(
    stmt: Select,
    search: str | None,
    department_id: int | None,
    role: str | None,
    active: bool | None,
) -> Select:
    """``stmt`` (a select from users) narrowed to the users a search and filters keep."""
    if search:
        text = search.strip()
        stmt = stmt.where(
            or_(
                text_matches(User.username, text),
                text_matches(User.display_name, text),
                text_matches(User.email, text),
            )
        )
    if department_id:
        stmt = stmt.where(User.department_id == department_id)
    if role:
        stmt = stmt.where(User.role_links.any(UserRole.role == role))
    if active is not None:
        stmt = stmt.where(User.active.is_(active))
    return stmt


_PARENT = aliased(Department)
_ROLE_NAMES = (
    select(func.aggregate_strings(UserRole.role, " "))
    .where(UserRole.user_id == User.id)
    .scalar_subquery()
)
_USER_ROWS = (
    select(
        User.id,
        User.username,
        User.display_name,
        User.email,
        User.active,
        User.last_login_at,
        User.created_at,
        _ROLE_NAMES,
        Department.id,
        Department.code,
        Department.name,
        Department.region_id,
        Department.parent_id,
        Department.created_at,
        Region.code,
        Region.name,
        Region.jurisdiction,
        Region.created_at,
        _PARENT.code,
        _PARENT.name,
    )
    .join(Department, Department.id == User.department_id)
    .join(Region, Region.id == Department.region_id)
    .outerjoin(_PARENT, _PARENT.id == Department.parent_id)
    .order_by(User.username)
)
"""A user as ``UserSchema`` shows them, with department, region, parent and roles, by
username: built once, so that a list without filters reuses its cache key."""


def _user_answer(row) -> dict:
    """A row of :data:`_USER_ROWS` as ``UserSchema`` dumps its user."""
    parent_id = row[12]
    return {
        "id": row[0],
        "username": row[1],
        "display_name": row[2],
        "email": row[3],
        "department_id": row[8],
        "department": {
            "id": row[8],
            "code": row[9],
            "name": row[10],
            "region_id": row[11],
            "region": {
                "id": row[11],
                "code": row[14],
                "name": row[15],
                "jurisdiction": row[16],
                "created_at": iso_utc(row[17]),
            },
            "parent_id": parent_id,
            "parent": None
            if parent_id is None
            else {"id": parent_id, "code": row[18], "name": row[19]},
            "created_at": iso_utc(row[13]),
        },
        "roles": sorted(row[7].split(" ")) if row[7] else [],
        "active": row[4],
        "last_login_at": iso_utc(row[5]),
        "created_at": iso_utc(row[6]),
    }


def list_user_answers(
    actor: User,
    *,
    search: str | None = None,
    department_id: int | None = None,
    role: str | None = None,
    active: bool | None = None,
    page: int = 1,
    per_page: int = 25,
) -> AnsweredPage:
    """:func:`list_users` as the API answers it, read as plain columns in one statement."""
    require(actor, "user.list")
    stmt = _users_matching(_USER_ROWS, search, department_id, role, active)
    return paginate_rows(stmt, _user_answer, page, per_page)


def _check_roles(roles, fields: dict) -> list[str]:
    values = sorted({str(r) for r in roles or []})
    unknown = [r for r in values if r not in {role.value for role in Role}]
    if unknown:
        fields["roles"] = [_("Unknown role: %(roles)s.", roles=", ".join(unknown))]
    elif not values:
        fields["roles"] = [_("Give the account at least one role.")]
    return values


def _check_department(department_id, fields: dict) -> Department | None:
    department = db.session.get(Department, department_id) if department_id else None
    if department is None:
        fields["department_id"] = [_("Choose an existing department.")]
    return department


_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{1,63}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def _check_profile(fields: dict, *, username=None, display_name=None, email=None) -> None:
    """Shape rules for the account fields that are given (``None`` means "not given")."""
    if username is not None and not _USERNAME.fullmatch(username):
        fields["username"] = [
            _(
                "Use 2 to 64 letters, digits, dots, dashes or underscores, starting with a "
                "letter or digit."
            )
        ]
    if display_name is not None and not 1 <= len(display_name) <= 120:
        fields["display_name"] = [_("Give a display name of 1 to 120 characters.")]
    elif display_name is not None and name_problem(display_name):
        fields["display_name"] = [name_problem(display_name)]
    if email is not None and (len(email) > 254 or not _EMAIL.fullmatch(email)):
        fields["email"] = [_("Give a valid email address, like name@department.gov.hk.")]


def _check_unique_user(fields: dict, *, username=None, email=None, exclude_id=None) -> None:
    if username is not None:
        other = db.session.scalar(select(User).where(User.username == username))
        if other is not None and other.id != exclude_id:
            fields["username"] = [_("That username is taken.")]
    if email is not None:
        other = db.session.scalar(select(User).where(User.email == email))
        if other is not None and other.id != exclude_id:
            fields["email"] = [_("Another account uses that email address.")]


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
    with action(actor, "user.created", actor_name=None if actor else "system") as act:
        user = _create_user(
            actor,
            username=username,
            display_name=display_name,
            email=email,
            department_id=department_id,
            password=password,
            roles=roles,
        )
        act.target("user", user)
        act.detail.update(
            username=user.username,
            department_id=department_id,
            roles=sorted(link.role for link in user.role_links),
        )
    return user


def _create_user(actor, *, username, display_name, email, department_id, password, roles) -> User:
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
        raise Invalid(_("The user was not created."), fields=fields)
    user = User(
        username=username,
        display_name=display_name,
        email=email,
        department_id=department_id,
        password_hash=hash_password(password),
        # An administrator chose this password, so its owner replaces it when first signing
        # in; the command-line bootstrap (no actor) creates the administrator's own account.
        must_change_password=actor is not None,
    )
    _set_roles(user, role_values)
    db.session.add(user)
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
    with action(actor, "user.updated") as act:
        require(actor, "user.manage")
        user = _get_or_404(User, user_id, "User")
        act.target("user", user.id)
        diff = _update_user(actor, user, changes)
        if diff:
            act.detail["changes"] = diff
            act.recheck_access(user.id)
        else:
            act.nothing_changed()
        active = changes.get("active")
        if active is not None and active != user.active:
            _change_active(actor, user, active)
    return user


def _update_user(actor: User, user: User, changes: dict) -> dict:
    """Apply the profile, department and role changes; return what changed."""
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
        fields["active"] = [_("You cannot deactivate your own account.")]
    if changes.get("department_id") is not None:
        _check_department(changes["department_id"], fields)
    roles = None
    if changes.get("roles") is not None:
        roles = _check_roles(changes["roles"], fields)
        if user.id == actor.id and Role.ADMIN.value not in roles:
            fields["roles"] = [_("You cannot remove your own admin role.")]
    if fields:
        raise Invalid(_("The user was not changed."), fields=fields)
    for name in ("display_name", "email", "department_id"):
        if changes.get(name) is not None:
            setattr(user, name, changes[name])
    if roles is not None:
        _set_roles(user, roles)
    db.session.flush()
    after = _user_snapshot(user)
    return {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]}


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
            _("You cannot deactivate your own account."), fields={"active": [_("Not yourself.")]}
        )
    if user.active != active:
        _change_active(actor, user, active)
    return user


def end_user_sessions(actor: User, user_id: int) -> User:
    """Sign a person out everywhere (an admin's answer to a lost laptop or a stolen cookie).

    Every browser session ends and its live connections close at once, on every process;
    API tokens are left alone (revoke them one by one, or deactivate the account).

    Raises:
        Forbidden, NotFound.
    """
    with action(actor, "user.sessions_ended") as act:
        require(actor, "user.manage")
        user = _get_or_404(User, user_id, "User")
        act.target("user", user.id)
        end_all_sessions(user)
        act.recheck_access(user.id)
    return user


def _change_active(actor: User, user: User, active: bool) -> None:
    """Flip the flag; deactivation also ends sessions, tokens and (after commit) sockets."""
    name = "user.activated" if active else "user.deactivated"
    with action(actor, name, target=("user", user.id)) as act:
        user.active = active
        if not active:
            end_all_sessions(user)
            db.session.execute(
                update(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=utcnow())
            )
            act.disconnect(user.id)


# Regions and departments ------------------------------------------------------------------


def list_regions(
    actor: User, *, search: str | None = None, page: int = 1, per_page: int = 50
) -> Page:
    require(actor, "region.read")
    stmt = select(Region).order_by(Region.jurisdiction, Region.name)
    if search:
        text = search.strip()
        stmt = stmt.where(
            or_(
                text_matches(Region.name, text),
                text_matches(Region.code, text),
                text_matches(Region.jurisdiction, text),
            )
        )
    return paginate(stmt, page, per_page)


def all_regions() -> list[Region]:
    return list(db.session.scalars(select(Region).order_by(Region.name)))


def get_region(actor: User, region_id: int) -> Region:
    require(actor, "region.read")
    return _get_or_404(Region, region_id, "Region")


REGION_CODE_MAX = 16
DEPARTMENT_CODE_MAX = 32


def code_problem(code: str, maximum: int) -> str | None:
    """Why an (already upper-cased) code does not fit its column.

    Checked after upper-casing, since that may lengthen it (``ß`` becomes ``SS``).
    """
    if len(code) > maximum:
        return f"Keep the code within {maximum} characters (once in capitals)."
    return name_problem(code)


def _check_region_fields(fields, *, code, exclude_id=None, name=None, jurisdiction=None):
    if code is not None and not code:
        fields["code"] = [_("Give the region a code, like HK.")]
    elif code is not None and (problem := code_problem(code, REGION_CODE_MAX)):
        fields["code"] = [problem]
    elif code is not None:
        other = db.session.scalar(select(Region).where(Region.code == code))
        if other is not None and other.id != exclude_id:
            fields["code"] = [_("Another region uses that code.")]
    if name is not None and not name.strip():
        fields["name"] = [_("Give the region a name.")]
    elif name is not None and (problem := name_problem(name)):
        fields["name"] = [problem]
    if jurisdiction is not None and not jurisdiction.strip():
        fields["jurisdiction"] = [_("Name the jurisdiction, like HK, MO or CN.")]


def create_region(actor: User, *, code: str, name: str, jurisdiction: str) -> Region:
    with action(actor, "region.created") as act:
        require(actor, "region.manage")
        code = (code or "").strip().upper()
        fields: dict[str, list[str]] = {}
        _check_region_fields(fields, code=code, name=name or "", jurisdiction=jurisdiction or "")
        if fields:
            raise Invalid(_("The region was not created."), fields=fields)
        region = Region(code=code, name=name.strip(), jurisdiction=jurisdiction.strip())
        db.session.add(region)
        act.target("region", region)
        act.detail.update(code=code, name=region.name, jurisdiction=region.jurisdiction)
    return region


def update_region(actor: User, region_id: int, **changes) -> Region:
    with action(actor, "region.updated") as act:
        require(actor, "region.manage")
        region = _get_or_404(Region, region_id, "Region")
        act.target("region", region.id)
        diff = _update_region(region, changes)
        act.detail["changes"] = diff
        if not diff:
            act.nothing_changed()
    return region


def _update_region(region: Region, changes: dict) -> dict:
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
        raise Invalid(_("The region was not changed."), fields=fields)
    return _apply(region, changes, ("code", "name", "jurisdiction"))


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
        text = search.strip()
        stmt = stmt.where(
            or_(text_matches(Department.name, text), text_matches(Department.code, text))
        )
    if region_id:
        stmt = stmt.where(Department.region_id == region_id)
    return paginate(stmt, page, per_page)


def all_departments() -> list[Department]:
    return list(db.session.scalars(select(Department).order_by(Department.name)))


class DepartmentName(NamedTuple):
    """A department as a filter's picker offers it (its text is its name)."""

    id: int
    name: str

    def __str__(self) -> str:
        return self.name


_DEPARTMENT_NAMES = select(Department.id, Department.name).order_by(Department.name)


def department_names() -> list[DepartmentName]:
    """Every department's id and name, by name, without building department objects."""
    return [DepartmentName(*row) for row in db.session.execute(_DEPARTMENT_NAMES)]


def get_department(actor: User, department_id: int) -> Department:
    require(actor, "department.read")
    return _get_or_404(Department, department_id, "Department")


def _check_department_fields(
    fields, department: Department | None, *, code=None, region_id=None, parent_id=None, name=None
):
    if name is not None and not name.strip():
        fields["name"] = [_("Give the department a name.")]
    elif name is not None and (problem := name_problem(name)):
        fields["name"] = [problem]
    if code is not None and not code:
        fields["code"] = [_("Give the department a code, like DSD.")]
    elif code is not None and (problem := code_problem(code, DEPARTMENT_CODE_MAX)):
        fields["code"] = [problem]
    elif code is not None:
        other = db.session.scalar(select(Department).where(Department.code == code))
        if other is not None and (department is None or other.id != department.id):
            fields["code"] = [_("Another department uses that code.")]
    if region_id is not None and db.session.get(Region, region_id) is None:
        fields["region_id"] = [_("Choose an existing region.")]
    if parent_id:
        parent = db.session.get(Department, parent_id)
        if parent is None:
            fields["parent_id"] = [_("Choose an existing department.")]
        elif department is not None and _is_descendant_or_self(parent, department):
            fields["parent_id"] = [
                _("A department cannot sit under itself or one of its own units.")
            ]


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
    with action(actor, "department.created") as act:
        require(actor, "department.manage")
        code = (code or "").strip().upper()
        fields: dict[str, list[str]] = {}
        _check_department_fields(
            fields, None, code=code, region_id=region_id, parent_id=parent_id, name=name or ""
        )
        if fields:
            raise Invalid(_("The department was not created."), fields=fields)
        department = Department(
            code=code, name=name.strip(), region_id=region_id, parent_id=parent_id or None
        )
        db.session.add(department)
        db.session.flush()
        act.target("department", department)
        act.department_id = department.id
        act.detail.update(code=code, name=department.name, region_id=region_id, parent_id=parent_id)
    return department


def update_department(actor: User, department_id: int, **changes) -> Department:
    with action(actor, "department.updated") as act:
        require(actor, "department.manage")
        department = _get_or_404(Department, department_id, "Department")
        act.target("department", department.id)
        act.department_id = department.id
        diff = _update_department(department, changes)
        act.detail["changes"] = diff
        if not diff:
            act.nothing_changed()
    return department


def _update_department(department: Department, changes: dict) -> dict:
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
        raise Invalid(_("The department was not changed."), fields=fields)
    diff = _apply(department, changes, ("code", "name", "region_id"))
    if "parent_id" in changes and (changes["parent_id"] or None) != department.parent_id:
        diff["parent_id"] = {"from": department.parent_id, "to": changes["parent_id"] or None}
        department.parent_id = changes["parent_id"] or None
    return diff


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
