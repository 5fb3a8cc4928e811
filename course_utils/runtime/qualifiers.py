"""Which function version an Invoke runs: qualifier, version number, alias and weighted routing.

AWS: ``Qualifier`` (or ``name:qualifier`` / a qualified ARN) selects a version's code *and*
configuration; an alias resolves to its version, and an alias with
``RoutingConfig.AdditionalVersionWeights`` sends that share of invocations to the other version.

Simulated: weighted routing draws from a :class:`random.Random` that :func:`seed` makes
repeatable (the sandbox reseeds it with 0 on every reset).
"""

from __future__ import annotations

import random
import re
from typing import Any

__all__ = ["resolve", "seed"]

_rng = random.Random(0)


def seed(value: int | None = 0) -> None:
    """Make weighted alias routing repeatable."""
    _rng.seed(value)


def _split(name_or_arn: str, qualifier: str | None) -> tuple[str, str | None]:
    """Return (function name, qualifier) from a name, ``name:qualifier`` or (qualified) ARN."""
    if name_or_arn.startswith("arn:"):
        tail = name_or_arn.split(":function:", 1)[-1]
    else:
        tail = name_or_arn
    if ":" in tail:
        name, _, q = tail.partition(":")
        return name, q or qualifier
    return tail, qualifier


def resolve(backend: Any, name_or_arn: str, qualifier: str | None = None) -> tuple[Any, str]:
    """Pick the function version to execute; return (moto LambdaFunction, invoked ARN)."""
    name, qual = _split(name_or_arn, qualifier)
    latest = backend.get_function(name)  # raises ResourceNotFoundException like AWS
    invoked_arn = latest.function_arn if not qual else f"{latest.function_arn}:{qual}"
    if not qual or qual == "$LATEST":
        return latest, invoked_arn
    if re.fullmatch(r"\d+", qual):
        return backend.get_function(name, qual), invoked_arn
    alias = backend.get_alias(qual, name)
    version = str(alias.function_version)
    weights = ((alias.routing_config or {}).get("AdditionalVersionWeights") or {}) if isinstance(alias.routing_config, dict) else {}
    draw = _rng.random()
    cumulative = 0.0
    for extra_version, weight in weights.items():
        cumulative += float(weight)
        if draw < cumulative:
            version = str(extra_version)
            break
    if version == "$LATEST":
        return latest, invoked_arn
    return backend.get_function(name, version), invoked_arn
