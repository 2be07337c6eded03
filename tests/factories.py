"""Believable test objects, created straight through the models.

They are committed, as a real caller would find them: a refused action rolls back only
its own work. The test's outer transaction still rolls everything back at the end.
"""

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
    db.session.commit()
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
    db.session.commit()
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
    db.session.commit()
    return user


# Workspaces and notifications -------------------------------------------------------------


def make_workspace(
    lead: User | None = None,
    *,
    name: str | None = None,
    purpose: str = "Share flood sensor readings during typhoon signals.",
    ends_on=None,
    status: str = "active",
):
    """A workspace owned by ``lead``'s department (accepted), with ``lead`` as its lead."""
    from datetime import timedelta

    from app.common import utcnow
    from app.workspaces.models import Membership, Workspace, WorkspaceDepartment

    n = next(_counter)
    lead = lead or make_user("officer")
    now = utcnow()
    workspace = Workspace(
        name=name or f"Workspace {n}",
        purpose=purpose,
        owner_department_id=lead.department_id,
        ends_on=ends_on or (now.date() + timedelta(days=90)),
        status=status,
        version=1,
        created_by_id=lead.id,
        created_at=now,
    )
    workspace.participations.append(
        WorkspaceDepartment(
            department_id=lead.department_id,
            status="accepted",
            invited_by_id=lead.id,
            invited_at=now,
        )
    )
    workspace.memberships.append(
        Membership(user_id=lead.id, role="lead", added_by_id=lead.id, added_at=now)
    )
    db.session.add(workspace)
    db.session.commit()
    return workspace


def make_participation(workspace, department: Department | None = None, status: str = "invited"):
    """``department`` invited to (or, with ``status``, taking part in) ``workspace``."""
    from app.common import utcnow
    from app.workspaces.models import WorkspaceDepartment

    participation = WorkspaceDepartment(
        workspace_id=workspace.id,
        department_id=(department or make_department()).id,
        status=status,
        invited_by_id=workspace.created_by_id,
        invited_at=utcnow(),
    )
    db.session.add(participation)
    db.session.commit()
    db.session.refresh(workspace)
    return participation


def make_membership(workspace, user: User | None = None, role: str = "member", expires_at=None):
    """``user`` (by default a new officer of the owner department) as a member of ``workspace``."""
    from app.common import utcnow
    from app.workspaces.models import Membership

    user = user or make_user("officer", department=workspace.owner_department)
    membership = Membership(
        workspace_id=workspace.id,
        user_id=user.id,
        role=role,
        expires_at=expires_at,
        added_by_id=workspace.created_by_id,
        added_at=utcnow(),
    )
    db.session.add(membership)
    db.session.commit()
    db.session.refresh(workspace)
    return membership


def make_notification(user: User, *, subject: str | None = None, read: bool = False, link=None):
    from app.common import utcnow
    from app.notifications.models import Notification

    n = next(_counter)
    notification = Notification(
        user_id=user.id,
        kind="test",
        subject=subject or f"Notification {n}",
        text=f"Something happened ({n}).",
        link=link,
        read_at=utcnow() if read else None,
        created_at=utcnow(),
    )
    db.session.add(notification)
    db.session.commit()
    return notification


# Catalog ------------------------------------------------------------------------------------

DEFAULT_COLUMNS = [
    {"name": "station", "type": "text", "sensitivity": "none"},
    {"name": "measured_at", "type": "datetime", "sensitivity": "none"},
    {"name": "level_m", "type": "decimal", "sensitivity": "none"},
]


def make_dataset(
    owner: User | None = None,
    *,
    title: str | None = None,
    classification: str = "public",
    columns: list[dict] | None = None,
    residency: str | None = None,
    cross_border_allowed: bool = False,
):
    """A dataset registered straight through the model (no action, no event)."""
    from app.catalog.models import Dataset, DatasetColumn

    n = next(_counter)
    owner = owner or make_user("officer")
    dataset = Dataset(
        owner_department_id=owner.department_id,
        steward_id=owner.id,
        title=title or f"Dataset {n}",
        description=f"Readings number {n}",
        classification=classification,
        residency_jurisdiction=residency or owner.department.region.jurisdiction,
        cross_border_allowed=cross_border_allowed,
        update_frequency="daily",
        version=1,
        created_by_id=owner.id,
    )
    dataset.columns = [
        DatasetColumn(position=i, description="", **{"sensitivity": "none", **spec})
        for i, spec in enumerate(columns or DEFAULT_COLUMNS)
    ]
    db.session.add(dataset)
    db.session.commit()
    return dataset


def make_officers(department_id: int, count: int, prefix: str) -> list[User]:
    """``count`` officers of one department in one flush, for tests that need many rows."""
    users = [
        User(
            username=f"{prefix}{n}",
            display_name=f"Person {prefix}{n}",
            email=f"{prefix}{n}@example.gov.hk",
            department_id=department_id,
            password_hash=_password_hash(),
            role_links=[UserRole(role="officer")],
        )
        for n in range(count)
    ]
    db.session.add_all(users)
    db.session.flush()
    return users
