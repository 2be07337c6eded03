"""The ``workspace:<id>`` live stream: whoever may view the workspace follows its activity."""

from __future__ import annotations

from app.policy import require
from app.realtime import stream_kind
from app.workspaces.access import get_workspace


@stream_kind("workspace")
def follow_workspace(user, workspace_id: int) -> None:
    """Raises NotFound or Forbidden for someone who may not view the workspace."""
    require(user, "workspace.view", get_workspace(user, workspace_id))
