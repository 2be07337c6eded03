"""The ``request:<id>`` live stream: whoever may see the request follows its timeline."""

from __future__ import annotations

from app.realtime import stream_kind
from app.sharing.access import get_request


@stream_kind("request")
def follow_request(user, request_id: int) -> None:
    """Raises NotFound for someone who may not see the request."""
    get_request(user, request_id)
