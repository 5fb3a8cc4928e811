"""Shared pieces of the spec-file validators (buildspec, appspec): a located problem, YAML loading."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "load_mapping"]


@dataclass(frozen=True)
class Problem:
    """One problem in a spec file: where (a dotted path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


def load_mapping(spec: str | dict[str, Any], what: str, shape: str = "a YAML mapping") -> dict[str, Any]:
    """``spec`` as a dict: a dict is returned as is, text is parsed as YAML and must be a mapping."""
    if isinstance(spec, dict):
        return spec
    import yaml

    try:
        data = yaml.safe_load(spec)
    except yaml.YAMLError as exc:
        raise ValueError(f"{what} is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ValueError(f"{what} must be {shape}")
    return data
