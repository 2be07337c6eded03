"""The ``dataset:<id>`` live stream: whoever may view a dataset hears of its edits and versions."""

from __future__ import annotations

from app.catalog.access import get_dataset
from app.policy import require
from app.realtime import stream_kind


@stream_kind("dataset")
def follow_dataset(user, dataset_id: int) -> None:
    """Raises NotFound or Forbidden for someone who may not view the dataset."""
    require(user, "dataset.view", get_dataset(user, dataset_id))
