"""Per-process flags that libraries keep about "this execution environment", reset for a new one.

AWS: every Lambda execution environment is its own process. Module-level state in a library starts
afresh in each one; Powertools for AWS Lambda (Python) relies on this: a module-level
``is_cold_start`` flag fills the ``cold_start`` key of its Logger records, the cold-start
annotation of its Tracer and the ``ColdStart`` metric of its Metrics. It is True for the first
invocation of an environment and False afterwards.

Simulated: the course runs every environment in the notebook's one interpreter, and a library
installed in the virtual environment is imported once for all of them. Without a reset, only the
very first Powertools invocation of the kernel reports a cold start. :func:`fresh_environment` sets
the flags of the libraries already imported back to their start value; call it when an environment
is initialised (before the handler module is imported). It imports nothing itself.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

__all__ = ["COLD_START_FLAGS", "fresh_environment"]

#: (module, attribute) pairs that must read True at the start of a new execution environment.
COLD_START_FLAGS: tuple[tuple[str, str], ...] = (
    ("aws_lambda_powertools.logging.logger", "is_cold_start"),
    ("aws_lambda_powertools.tracing.tracer", "is_cold_start"),
    ("aws_lambda_powertools.metrics.provider.cold_start", "is_cold_start"),
    ("aws_lambda_powertools.metrics.base", "is_cold_start"),
)


def fresh_environment(flags: Iterable[tuple[str, str]] = COLD_START_FLAGS) -> list[str]:
    """Set each ``module.attribute`` flag of an already imported module back to True, as in a new
    process; returns the ``module.attribute`` names that were reset. Modules not imported yet are
    left alone (they start with the flag set when they are first imported)."""
    reset: list[str] = []
    for module_name, attribute in flags:
        module = sys.modules.get(module_name)
        if module is not None and hasattr(module, attribute):
            setattr(module, attribute, True)
            reset.append(f"{module_name}.{attribute}")
    return reset
