"""Beanstalk deployment policies, for the notebooks: engine in :mod:`course_utils.rules.beanstalk`."""

from __future__ import annotations

from ..rules import beanstalk as _engine
from ..rules.beanstalk import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
