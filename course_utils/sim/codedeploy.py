"""CodeDeploy traffic shifting, for the notebooks: engine in :mod:`course_utils.rules.codedeploy`."""

from __future__ import annotations

from ..rules.codedeploy import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [
    "TrafficConfig",
    "CONFIGS",
    "EC2_CONFIGS",
    "Deployment",
    "deploy",
    "new_share",
    "in_place_batches",
    "plot_traffic",
]
