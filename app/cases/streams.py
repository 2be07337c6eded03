"""The ``case:<id>`` live stream: the case's timeline, followed by those who may read it.

Who else follows a case right now is shown on its page (presence, :mod:`app.realtime.presence`).
"""

from __future__ import annotations

from app.cases.access import visible_case
from app.realtime import stream_kind, track_presence


@stream_kind("case")
def follow_case(user, case_id: int) -> None:
    """Raises NotFound for someone who may not see the case, Forbidden for oversight only."""
    visible_case(user, case_id, "case.read")


track_presence("case")
