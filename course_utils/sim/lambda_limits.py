"""Lambda configuration limits, for the notebooks: engine in :mod:`course_utils.rules.lambda_limits`."""

from __future__ import annotations

from ..rules import lambda_limits as _engine
from ..rules.lambda_limits import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
