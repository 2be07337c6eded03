"""A small world for data-request tests, and a snapshot to prove a refusal changed nothing.

Transport (Hong Kong) runs a workspace in which Drainage Services (Hong Kong) and the
Shenzhen bureau (another jurisdiction) take part. Drainage owns two datasets: flood
sensor readings (no personal data) and flooding reports with a personal identifier and a
personal column; a third, Hong Kong-only dataset refuses cross-border requests. Each
department has a head; Transport's and Drainage's heads have named deputies; a dpo
works at the Digital Policy Office.
"""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import func, select

from app.audit.models import AuditEntry
from app.catalog.models import Dataset, DatasetColumn
from app.extensions import db
from app.notifications.models import Notification
from app.realtime import last_seq
from app.sharing.models import DataRequest, TimelineEntry
from tests.factories import make_department, make_membership, make_region, make_user
from tests.workspace_world import name_deputy

FLOOD_COLUMNS = [
    ("station", "text", "none"),
    ("district", "text", "none"),
    ("reading_at", "datetime", "none"),
    ("water_level_m", "decimal", "none"),
]
REPORT_COLUMNS = [
    ("report_id", "text", "none"),
    ("district", "text", "none"),
    ("reporter_hkid", "text", "personal_identifier"),
    ("reporter_phone", "text", "personal"),
    ("reported_at", "datetime", "none"),
]


def make_dataset(
    owner,
    *,
    title: str,
    columns=FLOOD_COLUMNS,
    residency: str = "HK",
    cross_border: bool = True,
    classification: str = "internal",
) -> Dataset:
    """A catalog dataset owned by ``owner``'s department, with ``owner`` as its steward."""
    dataset = Dataset(
        owner_department_id=owner.department_id,
        steward_id=owner.id,
        title=title,
        description=f"{title}, kept by {owner.department.name}.",
        classification=classification,
        residency_jurisdiction=residency,
        cross_border_allowed=cross_border,
        update_frequency="daily",
        created_by_id=owner.id,
    )
    dataset.columns = [
        DatasetColumn(position=i, name=name, type=kind, sensitivity=sensitivity)
        for i, (name, kind, sensitivity) in enumerate(columns)
    ]
    db.session.add(dataset)
    db.session.commit()
    return dataset


def request_world() -> SimpleNamespace:
    from tests.factories import make_participation, make_workspace

    hk = make_region(jurisdiction="HK", name="Hong Kong")
    cn = make_region(jurisdiction="CN", name="Shenzhen")
    w = SimpleNamespace()
    w.td = make_department(region=hk, name="Transport Department")
    w.dsd = make_department(region=hk, name="Drainage Services Department")
    w.sz = make_department(region=cn, name="Shenzhen Municipal Data Bureau")
    w.dpo_office = make_department(region=hk, name="Digital Policy Office")
    w.requester = make_user("officer", department=w.td)
    w.td_head = make_user("head", "officer", department=w.td)
    w.td_deputy = make_user("officer", department=w.td)
    w.member = make_user("officer", department=w.td)
    w.observer = make_user("officer", department=w.td)
    w.dsd_head = make_user("head", "officer", department=w.dsd)
    w.dsd_deputy = make_user("officer", department=w.dsd)
    w.steward = make_user("officer", department=w.dsd)
    w.sz_officer = make_user("officer", department=w.sz)
    w.dpo = make_user("dpo", "officer", department=w.dpo_office)
    w.outsider = make_user("officer", department=make_department(region=hk))
    w.auditor = make_user("auditor")
    w.admin = make_user("admin", "officer")
    name_deputy(w.td_head, w.td_deputy)
    name_deputy(w.dsd_head, w.dsd_deputy)
    w.workspace = make_workspace(w.requester, name="Flood response")
    make_participation(w.workspace, w.dsd, status="accepted")
    make_participation(w.workspace, w.sz, status="accepted")
    make_membership(w.workspace, w.member, role="member")
    make_membership(w.workspace, w.observer, role="observer")
    make_membership(w.workspace, w.td_head, role="member")
    make_membership(w.workspace, w.sz_officer, role="member")
    w.flood = make_dataset(w.steward, title="Flood sensor readings")
    w.reports = make_dataset(w.steward, title="Flooding reports", columns=REPORT_COLUMNS)
    w.hk_only = make_dataset(
        w.steward, title="Drain blockage log", residency="HK", cross_border=False
    )
    return w


def scope(**overrides) -> dict:
    """A filing's fields for the flood readings, with believable words."""
    fields = {
        "title": "Water levels in Kowloon during typhoons",
        "purpose": "Close flooded roads early and divert buses during typhoon signal No. 8.",
        "legal_basis": "Road Traffic Ordinance (Cap. 374), section 4",
        "duration_days": 90,
        "columns": ["station", "district", "water_level_m"],
        "row_filter": {"district": ["Kowloon City", "Wong Tai Sin"]},
    }
    fields.update(overrides)
    return fields


def snapshot(request_id: int) -> dict:
    """Everything a refused transition must leave as it was."""
    db.session.expire_all()
    request = db.session.get(DataRequest, request_id)
    return {
        "request": (
            request.status,
            request.columns,
            request.row_filter,
            request.duration_days,
            request.endorsed_by_id,
            request.owner_approved_by_id,
            request.dpo_approved_by_id,
            request.version,
        ),
        "entries": db.session.scalar(
            select(func.count()).where(TimelineEntry.request_id == request_id)
        ),
        "events": last_seq(f"request:{request_id}"),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
        "notifications": db.session.scalar(select(func.count()).select_from(Notification)),
    }
