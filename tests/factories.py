"""Believable test objects, created straight through the models (flushed, not committed)."""

from __future__ import annotations

import itertools

from app.accounts.models import Department, Region, User, UserRole
from app.accounts.passwords import hash_password
from app.extensions import db

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)
_HASH = None


def _password_hash() -> str:
    global _HASH
    if _HASH is None:
        _HASH = hash_password(PASSWORD)
    return _HASH


def make_region(
    code: str | None = None, jurisdiction: str = "HK", name: str | None = None
) -> Region:
    n = next(_counter)
    region = Region(code=code or f"R{n}", name=name or f"Region {n}", jurisdiction=jurisdiction)
    db.session.add(region)
    db.session.flush()
    return region


def make_department(
    code: str | None = None, region: Region | None = None, name: str | None = None, parent=None
) -> Department:
    n = next(_counter)
    region = region or make_region()
    department = Department(
        code=code or f"D{n}",
        name=name or f"Department {n}",
        region_id=region.id,
        parent_id=parent.id if parent else None,
    )
    db.session.add(department)
    db.session.flush()
    return department


def make_user(
    *roles: str,
    department: Department | None = None,
    username: str | None = None,
    active: bool = True,
) -> User:
    n = next(_counter)
    username = username or f"user{n}"
    department = department or make_department()
    user = User(
        username=username,
        display_name=f"User {n}",
        email=f"{username}@example.gov.hk",
        department_id=department.id,
        password_hash=_password_hash(),
        active=active,
        role_links=[UserRole(role=r) for r in (roles or ("officer",))],
    )
    db.session.add(user)
    db.session.flush()
    return user
