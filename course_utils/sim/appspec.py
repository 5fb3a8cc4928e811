"""CodeDeploy AppSpec checks, for the notebooks: engine in :mod:`course_utils.rules.appspec`."""

from __future__ import annotations

from ..rules import appspec as _engine
from ..rules.appspec import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
