"""The ``workspace:<id>`` live stream: whoever may view the workspace follows its activity."""

from __future__ import annotations

from app.policy import require
from app.realtime import stream_kind
from app.workspaces.access import get_workspace
from app.workspaces.policy import is_current_member


@stream_kind("workspace", shortcut=is_current_member)
def follow_workspace(user, workspace_id: int) -> None:
    """Raises NotFound or Forbidden for someone who may not view the workspace.

    Current members are let in by :func:`is_current_member` alone; this full check
    decides for everyone else (heads of involved departments, oversight, outsiders).
    """
    require(user, "workspace.view", get_workspace(user, workspace_id))
