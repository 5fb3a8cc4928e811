"""Dockerfile checks for Lambda container images and ECS services, for the notebooks: engine in :mod:`course_utils.rules.dockerfile_check`."""

from __future__ import annotations

from ..rules import dockerfile_check as _engine
from ..rules.dockerfile_check import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
