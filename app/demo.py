"""The demo data set: believable Hong Kong and Greater Bay Area departments and people."""

from __future__ import annotations

import csv
import io
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from app.accounts.models import Department, Region, User, UserRole
from app.accounts.passwords import hash_password
from app.actions import action
from app.common import utcnow
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
    """Create the demo regions, departments and users in one action; return the users."""
    detail = {"regions": len(REGIONS), "departments": len(DEPARTMENTS), "users": len(USERS)}
    with action(None, "demo.seeded", target=("system", None), actor_name="system", detail=detail):
        departments = _seed_directory()
        users = _seed_users(departments)
    people = {user.username: user for user in users}
    workspace = seed_flood_response(people)
    seed_flood_cases(workspace, people)
    datasets = seed_catalog(people)
    by_title = {dataset.title: dataset for dataset in datasets}
    seed_requests(people, workspace, by_title)
    seed_grants(people, workspace, by_title)
    return users


def _seed_directory() -> dict[str, Department]:
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
    return departments


def _seed_users(departments: dict[str, Department]) -> list[User]:
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
    return users


FLOOD_RESPONSE = "Flood response: Typhoon season 2026"


def seed_flood_response(people: dict[str, User]):
    """The flood-response workspace, built through the services the way its people would.

    Drainage Services owns it; Transport, the Police and the Shenzhen Municipal Data Bureau
    (another jurisdiction) accepted; the Hospital Authority's invitation is still pending.
    Every step is audited and appears in the workspace's activity feed.
    """
    from app.workspaces import service as workspaces

    olivia = people["dsd.officer"]
    workspace = workspaces.create_workspace(
        olivia,
        name=FLOOD_RESPONSE,
        purpose=(
            "Coordinate drainage, traffic and policing while typhoon signal No. 8 or a black "
            "rainstorm warning is up: share real-time flood sensor readings, road closures and "
            "crime black spots between Hong Kong and Shenzhen, and hand flooding incidents over "
            "between departments without losing time."
        ),
        ends_on=utcnow().date() + timedelta(days=150),
    )
    codes = {
        department.code: department.id for department in db.session.scalars(select(Department))
    }
    for code in ("TD", "HKPF", "SZDB", "HA"):
        workspaces.invite_department(olivia, workspace.id, codes[code])
    for head, code in (("td.head", "TD"), ("police.head", "HKPF"), ("sz.head", "SZDB")):
        workspaces.accept_invitation(people[head], workspace.id, codes[code])
    members = (
        ("dsd.head", "lead", None),
        ("dsd.deputy", "member", None),
        ("td.officer", "member", None),
        ("police.officer", "member", None),
        ("td.head", "observer", None),
        ("sz.officer", "observer", utcnow().date() + timedelta(days=60)),
    )
    for username, role, last_day in members:
        workspaces.add_member(
            olivia, workspace.id, user_id=people[username].id, role=role, expires_at=last_day
        )
    workspaces.update_member(olivia, workspace.id, people["td.officer"].id, role="lead")
    return workspace


def seed_flood_cases(workspace, people: dict[str, User]) -> list:
    """The workspace's joint cases across every status, opened and worked on by its people.

    The first is the flood in Sha Tin under typhoon signal No. 8, which Drainage, Transport
    and the Police handle together; the others show a board with work in each column.
    """
    from app.cases import service as cases

    codes = {d.code: d.id for d in db.session.scalars(select(Department))}
    today = utcnow().date()
    olivia, tom, priscilla = people["dsd.officer"], people["td.officer"], people["police.officer"]
    sha_tin = cases.create_case(
        olivia,
        workspace.id,
        title="Sha Tin flooding, typhoon signal No. 8",
        description=(
            "Water level at the Shing Mun River gauge passed 4.2 m at 06:40. Tai Wai underpass "
            "and Sha Tin Wai Road are flooded. Drainage is clearing the gullies; Transport to "
            "close and divert; Police to hold traffic at the junctions."
        ),
        priority="urgent",
        region_id=_region_id("HK"),
        due_on=today + timedelta(days=1),
        department_ids=[codes["DSD"], codes["TD"], codes["HKPF"]],
        assignee_ids=[olivia.id, tom.id, priscilla.id],
    )
    cases.update_case(tom, sha_tin.id, version=sha_tin.version, status="in_progress")
    cases.add_comment(
        tom, sha_tin.id, "Tai Wai underpass closed at 07:05; buses diverted via Hung Mui Kuk Road."
    )
    cases.add_comment(
        olivia,
        sha_tin.id,
        "@police.officer can the Police keep the Sha Tin Wai Road junction shut until 10:00?",
    )
    cases.add_comment(priscilla, sha_tin.id, "Yes, two units on site until the water is down.")
    others = [
        (
            "Blocked gully at Lok Ma Chau control point",
            "high",
            "blocked",
            ["DSD", "SZDB"],
            3,
            olivia,
        ),
        ("Traffic sensor outage on Tolo Highway", "normal", "open", ["DSD", "TD"], 7, tom),
        ("Landslip warning, Shing Mun Road", "high", "open", ["DSD", "TD"], 2, olivia),
        (
            "Share rainfall gauge readings with Shenzhen",
            "normal",
            "resolved",
            ["DSD"],
            None,
            olivia,
        ),
        (
            "Post-typhoon review of flooding black spots",
            "low",
            "closed",
            ["DSD", "HKPF"],
            None,
            olivia,
        ),
    ]
    opened = [sha_tin]
    for title, priority, status, departments, due_in, assignee in others:
        case = cases.create_case(
            olivia,
            workspace.id,
            title=title,
            priority=priority,
            department_ids=[codes[code] for code in departments],
            assignee_ids=[assignee.id],
            due_on=today + timedelta(days=due_in) if due_in else None,
        )
        if status != "open":
            cases.update_case(olivia, case.id, version=case.version, status=status)
        opened.append(case)
    return opened


def _region_id(code: str) -> int:
    return db.session.scalar(select(Region.id).where(Region.code == code))


# The catalog --------------------------------------------------------------------------------

_DISTRICTS = ["Sha Tin", "Tai Po", "Yuen Long", "Kwun Tong", "Wong Tai Sin", "Sham Shui Po"]


def _flood_rows(rng: random.Random, start: datetime) -> list[list]:
    stations = [(f"DSD-{n:03d}", district) for n, district in enumerate(_DISTRICTS, start=101)]
    rows = []
    for step in range(40):
        at = start + timedelta(minutes=5 * step)
        for station, district in stations:
            level = round(1.2 + rng.random() * 2.5 + step * 0.02, 2)
            rainfall = round(max(0.0, rng.gauss(12, 8)), 1)
            rows.append(
                [
                    station,
                    district,
                    at.isoformat(timespec="seconds"),
                    level,
                    rainfall,
                    "true" if level > 3.5 else "false",
                ]
            )
    return rows


def _black_spot_rows(rng: random.Random, start: datetime) -> list[list]:
    surnames = ["Chan", "Wong", "Lee", "Cheung", "Lau", "Ho", "Ng", "Tsang"]
    offences = ["Burglary", "Robbery", "Criminal damage", "Theft from vehicle", "Assault"]
    rows = []
    for n in range(60):
        district = rng.choice(_DISTRICTS)
        rows.append(
            [
                f"{district} junction {rng.randint(1, 30)}",
                district,
                (start - timedelta(days=rng.randint(0, 180))).date().isoformat(),
                rng.choice(offences),
                f"{rng.choice(surnames)} {chr(65 + n % 26)}.",
                rng.randint(16, 85),
            ]
        )
    return rows


def _traffic_rows(rng: random.Random, start: datetime) -> list[list]:
    roads = [
        ("TD-S01", "Tolo Highway"),
        ("TD-S02", "Tuen Mun Road"),
        ("TD-S03", "Lion Rock Tunnel"),
    ]
    rows = []
    for hour in range(48):
        for station, road in roads:
            for direction in ("inbound", "outbound"):
                at = (start + timedelta(hours=hour)).isoformat(timespec="seconds")
                rows.append([station, road, direction, at, rng.randint(300, 4200)])
    return rows


def _waiting_rows(rng: random.Random, start: datetime) -> list[list]:
    hospitals = ["Prince of Wales Hospital", "Queen Elizabeth Hospital", "Tuen Mun Hospital"]
    return [
        [
            hospital,
            (start + timedelta(hours=hour)).isoformat(timespec="seconds"),
            rng.randint(20, 240),
            rng.randint(5, 80),
        ]
        for hour in range(24)
        for hospital in hospitals
    ]


def _rain_gauge_rows(rng: random.Random, start: datetime) -> list[list]:
    return [
        [
            f"SZ-RG-{n:02d}",
            (start + timedelta(minutes=10 * step)).isoformat(timespec="seconds"),
            round(max(0.0, rng.gauss(8, 6)), 1),
        ]
        for step in range(36)
        for n in range(1, 6)
    ]


def _column(name: str, kind: str, sensitivity: str = "none", description: str = "") -> dict:
    return {"name": name, "type": kind, "sensitivity": sensitivity, "description": description}


# (steward, title, description, classification, frequency, cross-border, columns, rows)
DATASETS: list[tuple[str, str, str, str, str, bool, list[dict], Callable]] = [
    (
        "dsd.officer",
        "Real-time flood sensor readings",
        "Water level and rainfall from the drainage network's gauges, every five minutes, "
        "with the alarm raised when a level passes its threshold.",
        "public",
        "real-time",
        True,
        [
            _column("station_id", "text", description="Gauge code"),
            _column("district", "text"),
            _column("measured_at", "datetime", description="Hong Kong time"),
            _column("water_level_m", "decimal", description="Metres above the channel bed"),
            _column("rainfall_mm", "decimal", description="Last five minutes"),
            _column("alarm", "boolean"),
        ],
        _flood_rows,
    ),
    (
        "police.officer",
        "Crime black spots",
        "Places with repeated reported crime over the last six months, with the people "
        "who reported it; kept in Hong Kong.",
        "personal",
        "weekly",
        False,
        [
            _column("location", "text"),
            _column("district", "text"),
            _column("reported_on", "date"),
            _column("offence", "text"),
            _column("reporter_name", "text", "personal_identifier", "Person who reported"),
            _column("reporter_age", "integer", "personal"),
        ],
        _black_spot_rows,
    ),
    (
        "td.officer",
        "Traffic counts on strategic roads",
        "Vehicles per hour and direction at the automatic counting stations.",
        "internal",
        "daily",
        True,
        [
            _column("station_id", "text"),
            _column("road", "text"),
            _column("direction", "text"),
            _column("hour_starting", "datetime"),
            _column("vehicles", "integer"),
        ],
        _traffic_rows,
    ),
    (
        "ha.officer",
        "Accident and emergency waiting times",
        "Median and 95th-percentile waiting time of each public hospital, hourly.",
        "public",
        "real-time",
        True,
        [
            _column("hospital", "text"),
            _column("hour_starting", "datetime"),
            _column("p95_wait_minutes", "integer"),
            _column("median_wait_minutes", "integer"),
        ],
        _waiting_rows,
    ),
    (
        "sz.officer",
        "Shenzhen rain gauge readings",
        "Rainfall of the Shenzhen gauges along the Shenzhen River, every ten minutes.",
        "restricted",
        "real-time",
        True,
        [
            _column("gauge_id", "text"),
            _column("measured_at", "datetime"),
            _column("rainfall_mm", "decimal"),
        ],
        _rain_gauge_rows,
    ),
]


def seed_catalog(people: dict[str, User]) -> list:
    """The demo datasets, registered and uploaded through the catalog services.

    Each gets one generated CSV version (a few hundred rows at most), so the pages show
    versions, row counts, hashes and, for the public ones, a preview.
    """
    from app.catalog import service as catalog

    rng = random.Random(2026)  # noqa: S311 (demo data, not secrets)
    start = utcnow().replace(minute=0, second=0, microsecond=0) - timedelta(days=2)
    datasets = []
    for (
        username,
        title,
        description,
        classification,
        frequency,
        cross_border,
        columns,
        rows,
    ) in DATASETS:
        steward = people[username]
        dataset = catalog.create_dataset(
            steward,
            title=title,
            description=description,
            classification=classification,
            update_frequency=frequency,
            cross_border_allowed=cross_border,
            columns=columns,
        )
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([column["name"] for column in columns])
        writer.writerows(rows(rng, start))
        filename = title.lower().replace(" ", "-") + ".csv"
        stream = io.BytesIO(buffer.getvalue().encode("utf-8"))
        catalog.upload_version(steward, dataset.id, stream, filename)
        datasets.append(dataset)
    return datasets


# Data requests ------------------------------------------------------------------------------


def seed_requests(people: dict[str, User], workspace, datasets: dict[str, Any]) -> list:
    """Requests of the flood response in every state a reviewer meets, through the services.

    Henry Wong (Drainage) names Daniel Yip his deputy for the season. Then: a draft; one
    waiting for endorsement; one waiting for the owning head; one that needs the dpo's
    approval; one approved, with its grant; one rejected; and one asking for data that
    nobody publishes yet.
    """
    from app.accounts.delegations import create_delegation
    from app.sharing import service as sharing

    today = utcnow().date()
    create_delegation(
        people["dsd.head"],
        deputy_id=people["dsd.deputy"].id,
        starts_on=today,
        ends_on=today + timedelta(days=90),
    )
    flood = datasets["Real-time flood sensor readings"]
    black_spots = datasets["Crime black spots"]
    traffic = datasets["Traffic counts on strategic roads"]
    ws = workspace.id
    made = []

    def file(username: str, dataset, submit: bool = True, **fields):
        request = sharing.file_request(
            people[username],
            ws,
            dataset_id=dataset.id if dataset is not None else None,
            submit=submit,
            **fields,
        )
        made.append(request)
        return request

    file(
        "police.officer",
        flood,
        submit=False,
        title="Water levels near MTR entrances",
        purpose="Post officers at flooded MTR entrances before crowds gather.",
        legal_basis="Police Force Ordinance (Cap. 232), section 10",
        duration_days=60,
        columns=["station_id", "district", "measured_at", "water_level_m", "alarm"],
        row_filter={"district": ["Kowloon City", "Sham Shui Po"]},
    )
    file(
        "dsd.officer",
        traffic,
        title="Traffic on Tuen Mun Road during closures",
        purpose="Time the pumping works on Tuen Mun Road for the quietest hours.",
        legal_basis="Drainage Services Ordinance arrangements with the Transport Department",
        duration_days=30,
        columns=["station_id", "road", "direction", "hour_starting", "vehicles"],
        row_filter={"road": ["Tuen Mun Road"]},
    )
    waiting_owner = file(
        "td.officer",
        flood,
        title="Flood alarms for bus diversions",
        purpose="Divert franchised buses away from flooded roads as soon as an alarm is raised.",
        legal_basis="Road Traffic Ordinance (Cap. 374), section 4",
        duration_days=120,
        columns=["station_id", "district", "measured_at", "alarm"],
    )
    sharing.endorse_request(people["td.head"], waiting_owner.id, note="Needed this season.")
    needs_dpo = file(
        "dsd.officer",
        black_spots,
        title="Black spots near storm drains",
        purpose="Check whether blocked drains coincide with reported vandalism.",
        legal_basis="Personal Data (Privacy) Ordinance (Cap. 486), section 58",
        duration_days=90,
        columns=["location", "district", "reported_on", "offence", "reporter_age"],
        row_filter={"offence": ["Criminal damage"]},
    )
    sharing.endorse_request(people["dsd.deputy"], needs_dpo.id)
    sharing.approve_request(
        people["police.head"], needs_dpo.id, duration_days=60, note="Sixty days are enough."
    )
    approved = file(
        "police.officer",
        traffic,
        title="Traffic counts for typhoon road closures",
        purpose="Plan road closures and officer posts when signal No. 8 is up.",
        legal_basis="Police Force Ordinance (Cap. 232), section 10",
        duration_days=90,
        columns=["road", "direction", "hour_starting", "vehicles"],
    )
    sharing.endorse_request(people["police.head"], approved.id)
    sharing.approve_request(people["td.head"], approved.id)
    rejected = file(
        "td.officer",
        black_spots,
        title="Reporters of crime near bus stops",
        purpose="Contact people who reported crime near bus stops.",
        legal_basis="None named yet",
        duration_days=365,
        columns=["location", "reporter_name", "reporter_age"],
    )
    sharing.endorse_request(people["td.head"], rejected.id)
    sharing.reject_request(
        people["police.head"],
        rejected.id,
        reason="Reporters' identities are not shared for this purpose; ask for locations only.",
    )
    file(
        "police.officer",
        None,
        owner_department_id=people["dsd.head"].department_id,
        title="Live camera images of flooded underpasses",
        purpose="See at a glance which underpasses to close.",
        legal_basis="Police Force Ordinance (Cap. 232), section 10",
        duration_days=90,
    )
    return made


def seed_grants(people: dict[str, User], workspace, datasets: dict[str, Any]) -> list:
    """Grants in every state a reviewer meets, from approved requests, through the services.

    The approved request of :func:`seed_requests` already gave an active grant, which the
    police officer previews and downloads once. Three more traffic requests are approved:
    one for five days (ending soon: ``flask grants expire`` reminds its grantees), one
    whose grant Transport's head then revokes, and one whose grant is moved a quarter
    back in time, inside a demo action, so that it has expired.
    """
    from app.grants import service as grants
    from app.grants.models import Grant
    from app.sharing import service as sharing

    traffic = datasets["Traffic counts on strategic roads"]
    officer, police_head, td_head = (
        people["police.officer"],
        people["police.head"],
        people["td.head"],
    )

    def approved_grant(title: str, purpose: str, days: int) -> Grant:
        request = sharing.file_request(
            officer,
            workspace.id,
            dataset_id=traffic.id,
            submit=True,
            title=title,
            purpose=purpose,
            legal_basis="Police Force Ordinance (Cap. 232), section 10",
            duration_days=days,
            columns=["road", "direction", "hour_starting", "vehicles"],
            row_filter={"road": ["Tuen Mun Road", "Tolo Highway"]},
        )
        sharing.endorse_request(police_head, request.id)
        sharing.approve_request(td_head, request.id)
        return db.session.scalar(select(Grant).where(Grant.request_id == request.id))

    active = db.session.scalars(select(Grant).order_by(Grant.id)).first()
    if active is not None:
        grants.read_through_grant(officer, active.id, kind="preview", limit=20).file.close()
        grants.read_through_grant(officer, active.id, kind="download").file.close()
    ending = approved_grant(
        "Traffic counts for the marathon weekend",
        "Plan the road closures of the marathon weekend.",
        5,
    )
    revoked = approved_grant(
        "Traffic counts for the Tolo Highway works",
        "Post officers at the Tolo Highway roadworks.",
        60,
    )
    grants.revoke_grant(
        td_head, revoked.id, reason="The roadworks were postponed; ask again when they start."
    )
    expired = approved_grant(
        "Traffic counts for the summer rainstorms",
        "Plan closures during the summer rainstorm season.",
        30,
    )
    with action(None, "demo.grant_backdated", target=("grant", expired.id), actor_name="system"):
        expired.valid_from -= timedelta(days=90)
        expired.expires_at -= timedelta(days=90)
    return [grant for grant in (active, ending, revoked, expired) if grant is not None]
