"""Verifying the audit chain on someone's behalf: a read that is recorded, so an action.

Kept apart from :mod:`app.audit.service` because it opens an action: :mod:`app.actions`
imports the audit package to write entries, so only a module nothing in the core
imports may import :mod:`app.actions` back.
"""

from __future__ import annotations

from app.actions import action
from app.audit.service import VerifyResult, verify_chain
from app.policy import require


def verify(actor) -> VerifyResult:
    """Verify the chain on behalf of ``actor``; the verification and its outcome are audited.

    Raises:
        Forbidden: the actor is neither an auditor nor an admin (nothing is recorded).
    """
    with action(actor, "audit.verified", target=("audit", None)) as act:
        require(actor, "audit.verify")
        result = verify_chain()
        act.detail.update(result.as_dict())
    return result
