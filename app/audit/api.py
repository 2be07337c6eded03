"""REST API of the audit domain: reading the log and verifying its hash chain."""

from __future__ import annotations

from app.api import api_user, endpoint
from app.audit import service, verification
from app.audit.schemas import AuditEntrySchema, AuditQuerySchema, VerifyResultSchema

AUDIT = "Audit"


@endpoint(
    "/audit",
    summary="List audit entries, newest first (auditors and admins)",
    tag=AUDIT,
    query=AuditQuerySchema(),
    response=AuditEntrySchema(),
    paginated="keyset",
    errors=(403,),
)
def list_audit_entries(query: dict):
    """Paged by ``cursor`` (from ``next_cursor``/``prev_cursor``) at the same cost at any
    depth; ``page`` still works, at a cost growing with its number. A malformed cursor is
    a 400."""
    page, per_page = query.pop("page"), query.pop("per_page")
    cursor = query.pop("cursor", None)
    filters = service.AuditFilters(**query)
    return service.list_entries(api_user(), filters, cursor=cursor, page=page, per_page=per_page)


@endpoint(
    "/audit/verify",
    "POST",
    summary=(
        "Verify the whole hash chain with the audit key and against the latest signed "
        "checkpoint, report the first broken entry, and record the verification "
        "(auditors and admins)"
    ),
    tag=AUDIT,
    response=VerifyResultSchema(),
    errors=(403,),
)
def verify_audit_chain():
    """A POST because it writes: the verification is itself an audit entry."""
    return verification.verify(api_user())
