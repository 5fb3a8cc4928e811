"""DynamoDB partitions, for the notebooks: engine in :mod:`course_utils.rules.partitions`."""

from __future__ import annotations

from ..rules.partitions import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = ["partition_of", "spread", "throttled", "shard", "plot", "PARTITION_RCU", "PARTITION_WCU"]
