"""The ``grant:<id>`` live stream: whoever may see a grant hears of its reads and revocation."""

from __future__ import annotations

from app.grants.access import get_grant
from app.realtime import stream_kind


@stream_kind("grant")
def follow_grant(user, grant_id: int) -> None:
    """Raises NotFound for someone who may not see the grant."""
    get_grant(user, grant_id)
