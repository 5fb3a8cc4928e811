"""X-Ray sampling, for the notebooks: engine in :mod:`course_utils.rules.xray_sampling`."""

from __future__ import annotations

from ..rules import xray_sampling as _engine
from ..rules.xray_sampling import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
