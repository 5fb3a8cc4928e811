"""Lambda concurrency over time, for the notebooks: engine in :mod:`course_utils.rules.lambda_concurrency`."""

from __future__ import annotations

from ..rules import lambda_concurrency as _engine
from ..rules.lambda_concurrency import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
