"""IAM policy evaluation, for the notebooks: the engine lives in :mod:`course_utils.rules.policy`.

The runtime's authorizers use the same engine, so a rule behaves the same everywhere.
"""

from __future__ import annotations

from ..rules.policy import OPERATORS, Decision, MatchedStatement, evaluate, parse_policy

__all__ = ["evaluate", "Decision", "MatchedStatement", "parse_policy", "OPERATORS"]
