"""A small flood-response world for workspace tests, and a snapshot to prove nothing changed.

Drainage (Hong Kong) owns a workspace led by ``lead``; Transport (Hong Kong) has joined;
the Shenzhen bureau (another jurisdiction) and the Hospital Authority are invited and
have not answered. Built through the services, so the audit log and the event stream
look the way they do in production.
"""

from __future__ import annotations

from datetime import date, timedelta
from types import SimpleNamespace

from sqlalchemy import func, select

from app.accounts.models import Delegation
from app.audit.models import AuditEntry
from app.common import utcnow
from app.extensions import db
from app.notifications.models import Notification
from app.realtime import events_after, last_seq
from app.workspaces import service
from app.workspaces.models import Membership, Workspace, WorkspaceDepartment
from tests.factories import make_department, make_region, make_user


def in_days(days: int) -> date:
    return utcnow().date() + timedelta(days=days)


def name_deputy(head, deputy, *, days: int = 30) -> Delegation:
    delegation = Delegation(
        head_id=head.id,
        deputy_id=deputy.id,
        department_id=head.department_id,
        starts_on=utcnow().date() - timedelta(days=1),
        ends_on=utcnow().date() + timedelta(days=days),
    )
    db.session.add(delegation)
    db.session.commit()
    return delegation


def flood_world() -> SimpleNamespace:
    hk = make_region(jurisdiction="HK", name="Hong Kong")
    sz = make_region(jurisdiction="CN", name="Shenzhen")
    w = SimpleNamespace()
    w.dsd = make_department(region=hk, name="Drainage Services Department")
    w.td = make_department(region=hk, name="Transport Department")
    w.szdb = make_department(region=sz, name="Shenzhen Municipal Data Bureau")
    w.ha = make_department(region=hk, name="Hospital Authority")
    w.other = make_department(region=hk, name="Water Supplies Department")
    w.lead = make_user("officer", department=w.dsd)
    w.dsd_officer = make_user("officer", department=w.dsd)
    w.td_head = make_user("head", "officer", department=w.td)
    w.td_officer = make_user("officer", department=w.td)
    w.sz_head = make_user("head", "officer", department=w.szdb)
    w.sz_deputy = make_user("officer", department=w.szdb)
    w.sz_officer = make_user("officer", department=w.szdb)
    w.ha_head = make_user("head", "officer", department=w.ha)
    w.ha_officer = make_user("officer", department=w.ha)
    w.other_head = make_user("head", "officer", department=w.other)
    w.admin = make_user("admin")
    w.auditor = make_user("auditor")
    name_deputy(w.sz_head, w.sz_deputy)
    w.workspace = service.create_workspace(
        w.lead,
        name="Flood response: Typhoon season 2026",
        purpose="Share flood sensor readings and road closures during typhoon signals.",
        ends_on=in_days(120),
    )
    w.id = w.workspace.id
    service.invite_department(w.lead, w.id, w.td.id)
    service.accept_invitation(w.td_head, w.id, w.td.id)
    service.invite_department(w.lead, w.id, w.szdb.id)
    service.invite_department(w.lead, w.id, w.ha.id)
    return w


def stream_types(workspace_id: int) -> list[str]:
    return [event.type for event in events_after(f"workspace:{workspace_id}", 0)]


def snapshot(workspace_id: int) -> dict:
    """Everything a refused change must leave as it was."""
    db.session.expire_all()
    workspace = db.session.get(Workspace, workspace_id)
    return {
        "workspace": (
            workspace.name,
            workspace.purpose,
            workspace.ends_on,
            workspace.status,
            workspace.version,
        ),
        "departments": sorted(
            (p.department_id, p.status, p.responded_by_id, p.decline_reason)
            for p in db.session.scalars(
                select(WorkspaceDepartment).where(WorkspaceDepartment.workspace_id == workspace_id)
            )
        ),
        "members": sorted(
            (m.user_id, m.role, m.expires_at)
            for m in db.session.scalars(
                select(Membership).where(Membership.workspace_id == workspace_id)
            )
        ),
        "last_seq": last_seq(f"workspace:{workspace_id}"),
        "audit": db.session.scalar(select(func.count()).select_from(AuditEntry)),
        "notifications": db.session.scalar(select(func.count()).select_from(Notification)),
    }
