"""The realistic database of the read benchmark, built through Bridgework's services.

At ``scale=1``: 1,000 users in 20 departments, 500 workspaces of 5 to 20 members (one
of 20 members, led by ``bench.lead``, whose activity feed is longer than a catch-up
page), 20,000 workspace events, about 7,700 notifications and 50,000 audit entries.
Everything is made the way people would make it (an admin creates departments and
accounts, officers open workspaces, invite departments whose heads accept, add members
and edit the purpose), so the rows carry the audit entries, events and notifications the
services write with them. One shortcut: the audit entries beyond those, sign-ins and
sign-outs, are appended through ``app.audit.record`` in batches of 500 per commit
rather than through 30,000 password checks, one transaction each.

The service functions used are imported in :func:`_services` only, so that a move of
a service into a submodule is a one-line change here.
"""

from __future__ import annotations

import json
import random
import secrets
import time
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from case_volume import build_cases
from sqlalchemy import func, select, text

DEMO_PASSWORD = "bridgework-demo"  # noqa: S105 (the documented demo password)
DEPARTMENTS = 20
USERS = 1_000
WORKSPACES = 500
EVENTS = 20_000
NOTIFICATIONS = 5_000
AUDIT_ENTRIES = 50_000
DATASETS = 300
MEMBERS = (5, 20)
BENCH_WORKSPACE_MEMBERS = 20
BENCH_WORKSPACE_EVENTS = 600
AUDIT_BATCH = 500


def _services() -> SimpleNamespace:
    """Bridgework's service functions and models this module uses, in one place."""
    from app import audit
    from app.accounts import service as accounts
    from app.accounts.models import Department, Region, User
    from app.audit.models import AuditEntry
    from app.cases import service as cases
    from app.cases.models import Case, CaseComment, CaseCounter, case_assignees, case_departments
    from app.catalog import service as catalog
    from app.common import utcnow
    from app.extensions import db
    from app.notifications.models import Notification
    from app.realtime.models import Event, EventStream
    from app.workspaces import service as workspaces
    from app.workspaces.models import Membership, Workspace, WorkspaceDepartment

    return SimpleNamespace(
        db=db,
        utcnow=utcnow,
        User=User,
        Department=Department,
        Region=Region,
        Notification=Notification,
        Event=Event,
        EventStream=EventStream,
        Case=Case,
        CaseComment=CaseComment,
        CaseCounter=CaseCounter,
        case_assignees=case_assignees,
        case_departments=case_departments,
        WorkspaceDepartment=WorkspaceDepartment,
        AuditEntry=AuditEntry,
        Workspace=Workspace,
        Membership=Membership,
        record_audit=audit.record,
        create_department=accounts.create_department,
        create_user=accounts.create_user,
        create_token=accounts.create_token,
        create_workspace=workspaces.create_workspace,
        invite_department=workspaces.invite_department,
        accept_invitation=workspaces.accept_invitation,
        add_member=workspaces.add_member,
        update_workspace=workspaces.update_workspace,
        create_dataset=catalog.create_dataset,
        create_case=cases.create_case,
        update_case=cases.update_case,
        add_comment=cases.add_comment,
    )


@dataclass
class Persona:
    """Someone the benchmark signs in as: a username, a password and an API token."""

    username: str
    password: str
    token: str = ""


@dataclass
class BenchData:
    """What the benchmark needs to know about the database it built."""

    personas: dict[str, Persona]
    ids: dict[str, int]
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


@dataclass
class _Plan:
    users: int
    workspaces: int
    events: int
    audit_entries: int
    datasets: int

    @classmethod
    def at(cls, scale: float) -> _Plan:
        return cls(
            users=max(80, round(USERS * scale)),
            workspaces=max(10, round(WORKSPACES * scale)),
            events=round(EVENTS * scale),
            audit_entries=round(AUDIT_ENTRIES * scale),
            datasets=max(20, round(DATASETS * scale)),
        )


def build(scale: float, log=print, seed: int = 13) -> BenchData:
    """Fill a migrated database that holds the demo data (``flask seed-demo``).

    Runs inside an app context. ``scale`` multiplies the row counts (the shapes stay:
    20 departments, workspaces of 5 to 20 members, the 20-member benchmark workspace).
    """
    s = _services()
    rng = random.Random(seed)
    plan = _Plan.at(scale)
    started = time.monotonic()
    password = secrets.token_urlsafe(12)
    admin = _user(s, "admin")

    departments = _departments(s, admin)
    log(f"  {len(departments)} departments")
    heads, officers = _people(s, admin, departments, plan.users, password)
    log(f"  {plan.users} users ({time.monotonic() - started:.0f} s)")

    dsd = next(d for d in departments if d.code == "DSD")
    lead = s.create_user(
        admin,
        username="bench.lead",
        display_name="Benchmark Lead",
        email="bench.lead@bench.invalid",
        department_id=dsd.id,
        password=password,
        roles=["officer"],
    )
    leads: dict[int, Any] = {}
    versions: dict[int, int] = {}
    bench_workspace = 0
    for number in range(plan.workspaces):
        if number == 0:
            owner, size = lead, BENCH_WORKSPACE_MEMBERS
        else:
            owner = rng.choice(officers[departments[number % len(departments)].id])
            size = rng.randint(*MEMBERS)
        workspace_id = _workspace(s, rng, number, owner, size, departments, heads, officers)
        leads[workspace_id] = owner
        versions[workspace_id] = 1
        bench_workspace = bench_workspace or workspace_id
        if (number + 1) % 50 == 0:
            log(
                f"  {number + 1} workspaces with their members ({time.monotonic() - started:.0f} s)"
            )

    _edit_until(s, rng, {bench_workspace: lead}, versions, BENCH_WORKSPACE_EVENTS, bench_workspace)
    _edit_until(s, rng, leads, versions, plan.events, None)
    log(f"  workspace events ({time.monotonic() - started:.0f} s)")
    _sign_ins(s, rng, plan.audit_entries)
    log(f"  audit entries ({time.monotonic() - started:.0f} s)")
    _datasets(s, rng, officers, plan.datasets)
    log(f"  {plan.datasets} datasets ({time.monotonic() - started:.0f} s)")
    measured_case = build_cases(s, rng, scale, lead, bench_workspace, log)

    personas = {
        "head": Persona("dsd.head", DEMO_PASSWORD),
        "lead": Persona("bench.lead", password),
        "auditor": Persona("auditor", DEMO_PASSWORD),
        "admin": Persona("admin", DEMO_PASSWORD),
        "reader": Persona(_most_notified(s), password),
    }
    for persona in personas.values():
        user = _user(s, persona.username)
        # People an administrator created must choose their own password before any page
        # opens; the personas sign in with the one the benchmark gave them.
        user.must_change_password = False
        persona.token = s.create_token(user, name="http benchmark")[1]
    s.db.session.commit()
    _settle(s)
    return BenchData(
        personas=personas,
        ids={
            "workspace_id": bench_workspace,
            "cases_workspace_id": bench_workspace,
            "case_id": measured_case,
        },
        counts=_counts(s),
        seconds=time.monotonic() - started,
    )


def _settle(s) -> None:
    """``VACUUM (ANALYZE)``: the state autovacuum keeps a database in use in.

    Right after a bulk build the planner has no statistics and no page is marked
    all-visible, so it prices index-only scans as heap reads: the board's cards were joined
    to their assignees by reading all of ``case_assignees`` (39,000 rows, about 9 ms)
    instead of 300 primary-key probes (1.5 ms). Autovacuum would fix that in a while, and
    on some servers (this machine's among them) it is off.
    """
    s.db.session.remove()
    with s.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.execute(text("VACUUM (ANALYZE)"))


def save_kept(path: Path, database: str, env: dict[str, str], data: BenchData) -> None:
    """Describe a built database in ``path``, so a later run can use it without building."""
    path.parent.mkdir(parents=True, exist_ok=True)
    described = {
        "database": database,
        "env": env,
        "personas": {name: asdict(persona) for name, persona in data.personas.items()},
        "ids": data.ids,
        "counts": data.counts,
        "seconds": data.seconds,
    }
    path.write_text(json.dumps(described, indent=2))


def load_kept(path: Path) -> tuple[str, dict[str, str], BenchData]:
    """The database name, app environment and :class:`BenchData` that ``path`` describes."""
    described = json.loads(path.read_text())
    data = BenchData(
        personas={name: Persona(**values) for name, values in described["personas"].items()},
        ids=described["ids"],
        counts=described["counts"],
        seconds=described.get("seconds", 0.0),
    )
    return described["database"], described["env"], data


def _datasets(s, rng: random.Random, officers: dict[int, list], count: int) -> None:
    """Datasets registered by officers of every department, through the catalog service."""
    people = [person for group in officers.values() for person in group]
    for number in range(count):
        s.create_dataset(
            rng.choice(people),
            title=f"Benchmark readings {number + 1}",
            description="Sensor readings gathered for the read benchmark.",
            classification=rng.choice(["public", "internal", "restricted"]),
            update_frequency=rng.choice(["daily", "weekly", "monthly"]),
            columns=[
                {"name": "station", "type": "text", "sensitivity": "none"},
                {"name": "measured_at", "type": "datetime", "sensitivity": "none"},
                {"name": "level_m", "type": "decimal", "sensitivity": "none"},
            ],
        )


def _user(s, username: str):
    return s.db.session.scalar(select(s.User).where(s.User.username == username))


def _departments(s, admin) -> list:
    """The demo's departments plus new ones, up to ``DEPARTMENTS``."""
    regions = list(s.db.session.scalars(select(s.Region).order_by(s.Region.id)))
    existing = list(s.db.session.scalars(select(s.Department).order_by(s.Department.id)))
    for number in range(len(existing) + 1, DEPARTMENTS + 1):
        s.create_department(
            admin,
            code=f"BB{number:02d}",
            name=f"Benchmark Bureau {number}",
            region_id=regions[number % len(regions)].id,
        )
    return list(s.db.session.scalars(select(s.Department).order_by(s.Department.id)))


def _people(s, admin, departments, total: int, password: str) -> tuple[dict, dict]:
    """A head for every department that has none, then officers spread over all of them."""
    heads: dict[int, Any] = {}
    officers: dict[int, list] = {d.id: [] for d in departments}
    for user in s.db.session.scalars(select(s.User)):
        if user.has_role("head"):
            heads.setdefault(user.department_id, user)
    for department in departments:
        if department.id not in heads:
            heads[department.id] = s.create_user(
                admin,
                username=f"head.{department.code.lower()}",
                display_name=f"Head of {department.name}",
                email=f"head.{department.code.lower()}@bench.invalid",
                department_id=department.id,
                password=password,
                roles=["head", "officer"],
            )
    existing = s.db.session.scalar(select(func.count()).select_from(s.User))
    for number in range(1, max(0, total - existing - 1) + 1):
        department = departments[number % len(departments)]
        officer = s.create_user(
            admin,
            username=f"officer{number:05d}",
            display_name=f"Officer {number:05d} {department.code}",
            email=f"officer{number:05d}@bench.invalid",
            department_id=department.id,
            password=password,
            roles=["officer"],
        )
        officers[department.id].append(officer)
    return heads, officers


def _workspace(s, rng, number, owner, size, departments, heads, officers) -> int:
    """Open a workspace, invite 1-3 departments whose heads accept, and add its members."""
    today = s.utcnow().date()
    workspace = s.create_workspace(
        owner,
        name=f"Joint operation {number + 1:04d}",
        purpose=f"Benchmark workspace {number + 1}: share readings and coordinate responses.",
        ends_on=today + timedelta(days=rng.randint(60, 720)),
    )
    workspace_id = workspace.id
    others = [d for d in departments if d.id != owner.department_id and d.code != "AUDIT"]
    invited = rng.sample(others, 3 if number == 0 else rng.randint(1, 3))
    for department in invited:
        s.invite_department(owner, workspace_id, department.id)
        s.accept_invitation(heads[department.id], workspace_id, department.id)
    pool = [
        person
        for department_id in [owner.department_id, *(d.id for d in invited)]
        for person in officers[department_id]
        if person.id != owner.id
    ]
    chosen = rng.sample(pool, min(size - 1, len(pool)))
    for index, person in enumerate(chosen):
        role = "lead" if index == 0 else ("observer" if rng.random() < 0.1 else "member")
        s.add_member(owner, workspace_id, user_id=person.id, role=role)
    return workspace_id


def _workspace_events(s, workspace_id: int | None) -> int:
    stream = s.Event.stream
    where = stream == f"workspace:{workspace_id}" if workspace_id else stream.like("workspace:%")
    return s.db.session.scalar(select(func.count()).select_from(s.Event).where(where)) or 0


def _edit_until(s, rng, leads: dict, versions: dict, target: int, workspace_id) -> None:
    """Leads edit their workspaces' purpose until there are ``target`` events."""
    missing = target - _workspace_events(s, workspace_id)
    ids = list(leads)
    for number in range(max(0, missing)):
        chosen = rng.choice(ids)
        workspace = s.update_workspace(
            leads[chosen],
            chosen,
            version=versions[chosen],
            purpose=f"Benchmark workspace {chosen}, revision {number}: "
            + rng.choice(("flood sensors", "road closures", "crime black spots", "hospital beds")),
        )
        versions[chosen] = workspace.version


def _sign_ins(s, rng, target: int) -> None:
    """Sign-ins and sign-outs appended to the audit chain until it holds ``target`` entries."""
    have = s.db.session.scalar(select(func.count()).select_from(s.AuditEntry)) or 0
    users = list(s.db.session.scalars(select(s.User)))
    for number in range(max(0, target - have)):
        user = rng.choice(users)
        action = "auth.login" if number % 2 == 0 else "auth.logout"
        detail = {
            "address": f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        }
        s.record_audit(user, action, "user", user.id, detail=detail if number % 2 == 0 else None)
        if (number + 1) % AUDIT_BATCH == 0:
            s.db.session.commit()
    s.db.session.commit()


def _most_notified(s) -> str:
    """The username with the most notifications: the heaviest bell and notifications list."""
    count = func.count(s.Notification.id)
    return s.db.session.scalar(
        select(s.User.username)
        .join(s.Notification, s.Notification.user_id == s.User.id)
        .where(s.User.username.like("officer%"))
        .group_by(s.User.username)
        .order_by(count.desc(), s.User.username)
        .limit(1)
    )


def _counts(s) -> dict[str, int]:
    def count(model) -> int:
        return s.db.session.scalar(select(func.count()).select_from(model)) or 0

    return {
        "departments": count(s.Department),
        "users": count(s.User),
        "workspaces": count(s.Workspace),
        "memberships": count(s.Membership),
        "workspace_events": _workspace_events(s, None),
        "notifications": count(s.Notification),
        "audit_entries": count(s.AuditEntry),
        "cases": count(s.Case),
        "case_workspaces": s.db.session.scalar(select(func.count(s.Case.workspace_id.distinct())))
        or 0,
        "timeline_entries": s.db.session.scalar(
            select(func.count()).select_from(s.Event).where(s.Event.stream.like("case:%"))
        )
        or 0,
        "case_comments": count(s.CaseComment),
    }
