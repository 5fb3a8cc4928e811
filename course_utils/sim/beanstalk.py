"""Beanstalk deployment policies, for the notebooks: engine in :mod:`course_utils.rules.beanstalk`."""

from __future__ import annotations

from ..rules.beanstalk import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = ["POLICIES", "Timeline", "simulate", "plot_capacity"]
