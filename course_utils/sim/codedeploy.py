"""CodeDeploy traffic shifting, for the notebooks: engine in :mod:`course_utils.rules.codedeploy`."""

from __future__ import annotations

from ..rules import codedeploy as _engine
from ..rules.codedeploy import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
