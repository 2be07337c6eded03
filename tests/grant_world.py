"""Grants over the request world's flooding reports, with a stored version to read."""

from __future__ import annotations

import io
from datetime import timedelta

from app.catalog import service as catalog
from app.common import utcnow
from app.extensions import db
from app.grants.models import Grant
from app.grants.service import default_masking

REPORTS_CSV = (
    "report_id,district,reporter_hkid,reporter_phone,reported_at\n"
    "R-1,Kowloon City,A123456(7),91234567,2026-09-01T08:00:00\n"
    "R-2,Sha Tin,B765432(1),92345678,2026-09-01T09:00:00\n"
    "R-3,Kowloon City,A123456(7),91234567,2026-09-02T10:30:00\n"
    'R-4,"Wong Tai Sin",C111111(1),93456789,2026-09-03T11:00:00\n'
    "R-5,Kowloon City,D222222(2),,2026-09-04T12:00:00\n"
)


def upload_reports(w, content: str = REPORTS_CSV):
    return catalog.upload_version(w.steward, w.reports.id, io.BytesIO(content.encode()), "r.csv")


def make_grant(
    w,
    *,
    columns=("report_id", "district", "reporter_hkid", "reporter_phone"),
    row_filter=None,
    reveal=(),
    start=None,
    days: int = 30,
    users=(),
) -> Grant:
    """A grant on the reports to ``w.workspace`` (a request is recorded first, as approvals do)."""
    from app.sharing.models import DataRequest

    now = utcnow()
    request = DataRequest(
        workspace_id=w.workspace.id,
        requester_id=w.requester.id,
        requesting_department_id=w.td.id,
        owner_department_id=w.dsd.id,
        dataset_id=w.reports.id,
        title="Reports by district",
        columns=list(columns),
        row_filter=row_filter or {},
        reveal_columns=list(reveal),
        purpose="Follow up flooding reports in Kowloon City after the rainstorm.",
        legal_basis="Drainage Services Ordinance",
        duration_days=days,
        status="approved",
    )
    db.session.add(request)
    db.session.flush()
    start = start or now - timedelta(minutes=1)
    grant = Grant(
        request_id=request.id,
        dataset_id=w.reports.id,
        grantee_workspace_id=w.workspace.id,
        columns=list(columns),
        row_filter=row_filter or {},
        masking=default_masking(w.reports.columns, list(columns), list(reveal)),
        purpose=request.purpose,
        legal_basis=request.legal_basis,
        valid_from=start,
        expires_at=start + timedelta(days=days),
        created_by_id=w.dsd_head.id,
        grantee_users=list(users),
    )
    db.session.add(grant)
    db.session.commit()
    return grant
