"""DynamoDB partitions, for the notebooks: engine in :mod:`course_utils.rules.partitions`."""

from __future__ import annotations

from ..rules import partitions as _engine
from ..rules.partitions import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
