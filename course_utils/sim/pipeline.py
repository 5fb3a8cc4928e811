"""CodePipeline runs, for the notebooks: engine in :mod:`course_utils.rules.pipeline`."""

from __future__ import annotations

from ..rules import pipeline as _engine
from ..rules.pipeline import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
