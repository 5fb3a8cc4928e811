"""A role's policies read back from IAM and decided, for the notebooks: engine in :mod:`course_utils.rules.role_policies`."""

from __future__ import annotations

from ..rules import role_policies as _engine
from ..rules.role_policies import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__]
