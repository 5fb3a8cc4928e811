"""ECR lifecycle policies, for the notebooks: engine in :mod:`course_utils.rules.ecr_lifecycle`."""

from __future__ import annotations

from ..rules import ecr_lifecycle as _engine
from ..rules.ecr_lifecycle import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
