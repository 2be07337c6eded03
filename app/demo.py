"""The demo data set: believable Hong Kong and Greater Bay Area departments and people."""

from __future__ import annotations

from sqlalchemy import func, select

from app import audit
from app.accounts.models import Department, Region, User, UserRole
from app.accounts.passwords import hash_password
from app.extensions import db

DEMO_PASSWORD = "bridgework-demo"  # noqa: S105 (documented demo credential)

REGIONS = [
    ("HK", "Hong Kong", "HK"),
    ("MO", "Macao", "MO"),
    ("SZ", "Shenzhen", "CN"),
    ("GZ", "Guangzhou", "CN"),
]

DEPARTMENTS = [
    ("DSD", "Drainage Services Department", "HK", None),
    ("TD", "Transport Department", "HK", None),
    ("HKPF", "Hong Kong Police Force", "HK", None),
    ("HA", "Hospital Authority", "HK", None),
    ("EITB", "Economy and Information Technology Bureau", "MO", None),
    ("SZDB", "Shenzhen Municipal Data Bureau", "SZ", None),
    ("GZWB", "Guangzhou Water Affairs Bureau", "GZ", None),
    ("OGCIO", "Digital Policy Office", "HK", None),
    ("AUDIT", "Audit Commission", "HK", None),
    ("DSD-ME", "DSD Mainland East Division", "HK", "DSD"),
]

USERS = [
    ("admin", "Ada Chan", "OGCIO", ["admin", "officer"]),
    ("auditor", "Oscar Lam", "AUDIT", ["auditor"]),
    ("dpo", "Dora Poon", "OGCIO", ["dpo", "officer"]),
    ("dsd.head", "Henry Wong", "DSD", ["head", "officer"]),
    ("dsd.officer", "Olivia Ho", "DSD", ["officer"]),
    ("dsd.deputy", "Daniel Yip", "DSD", ["officer"]),
    ("td.head", "Tina Leung", "TD", ["head", "officer"]),
    ("td.officer", "Tom Cheung", "TD", ["officer"]),
    ("police.head", "Patrick Ng", "HKPF", ["head", "officer"]),
    ("police.officer", "Priscilla Siu", "HKPF", ["officer"]),
    ("ha.head", "Helen Kwok", "HA", ["head", "officer"]),
    ("ha.officer", "Ivan Tse", "HA", ["officer"]),
    ("eitb.head", "Eduardo Lei", "EITB", ["head", "officer"]),
    ("sz.head", "Zhang Wei", "SZDB", ["head", "officer"]),
    ("sz.officer", "Li Na", "SZDB", ["officer"]),
]


def database_has_users() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def seed() -> list[User]:
    """Create the demo regions, departments and users in one transaction; return the users."""
    regions = {}
    for code, name, jurisdiction in REGIONS:
        regions[code] = Region(code=code, name=name, jurisdiction=jurisdiction)
        db.session.add(regions[code])
    db.session.flush()
    departments: dict[str, Department] = {}
    for code, name, region_code, parent_code in DEPARTMENTS:
        departments[code] = Department(
            code=code,
            name=name,
            region_id=regions[region_code].id,
            parent_id=departments[parent_code].id if parent_code else None,
        )
        db.session.add(departments[code])
        db.session.flush()
    password_hash = hash_password(DEMO_PASSWORD)
    users = []
    for username, display_name, department_code, roles in USERS:
        user = User(
            username=username,
            display_name=display_name,
            email=f"{username}@demo.bridgework.invalid",
            department_id=departments[department_code].id,
            password_hash=password_hash,
            role_links=[UserRole(role=role) for role in roles],
        )
        db.session.add(user)
        users.append(user)
    db.session.flush()
    audit.record(
        None,
        "demo.seeded",
        "system",
        None,
        actor_name="system",
        detail={"regions": len(REGIONS), "departments": len(DEPARTMENTS), "users": len(USERS)},
    )
    db.session.commit()
    return users
