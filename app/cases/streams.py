"""The case domain's live streams.

``case:<id>`` is the case's timeline, followed by those who may read it; who else follows a
case right now is shown on its page (presence, :mod:`app.realtime.presence`).
``cases:<workspace id>`` is what the workspace's case boards show, followed by those who
may list its cases.
"""

from __future__ import annotations

from app.cases.access import visible_case, workspace_for_cases
from app.realtime import stream_kind, track_presence


@stream_kind("case")
def follow_case(user, case_id: int) -> None:
    """Raises NotFound for someone who may not see the case, Forbidden for oversight only."""
    visible_case(user, case_id, "case.read")


@stream_kind("cases")
def follow_board(user, workspace_id: int) -> None:
    """Raises NotFound for someone who may not list the workspace's cases."""
    workspace_for_cases(user, workspace_id)


track_presence("case")
