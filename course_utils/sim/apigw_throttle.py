"""API Gateway account throttling, for the notebooks: engine in :mod:`course_utils.rules.apigw_throttle`."""

from __future__ import annotations

from ..rules import apigw_throttle as _engine
from ..rules.apigw_throttle import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
