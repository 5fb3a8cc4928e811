"""Lambda configuration limits that AWS validates and moto 5.2.5 accepts without a word.

AWS (current quotas, checked against the Lambda quotas page):

* ``MemorySize``: 128 to 10,240 MB, in 1 MB steps; CPU is allocated in proportion to memory.
* ``Timeout``: 1 to 900 seconds (15 minutes); default 3 seconds.
* ``Environment``: all variables together at most 4 KB (keys and values as stored).
* ``EphemeralStorage`` (``/tmp``): 512 to 10,240 MB; default 512 MB.
* Deployment package: a .zip uploaded directly at most 50 MB; unzipped code plus all layers at
  most 250 MB; a container image at most 10 GB; at most 5 layers per function.

moto checks only some of these (``EphemeralStorage``); :func:`check` applies them all to a
``CreateFunction``-style configuration and returns the problems AWS would report, so a notebook
can show side by side what moto accepted and what AWS would refuse.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = ["Problem", "check", "LIMITS", "env_size"]

MB = 1024 * 1024
LIMITS: dict[str, Any] = {
    "memory_mb": (128, 10_240),
    "timeout_s": (1, 900),
    "env_bytes": 4 * 1024,
    "tmp_mb": (512, 10_240),
    "zip_direct_bytes": 50 * MB,
    "unzipped_bytes": 250 * MB,
    "image_bytes": 10 * 1024 * MB,
    "layers": 5,
}


@dataclass(frozen=True)
class Problem:
    """One limit a configuration breaks."""

    field: str
    value: Any
    rule: str


def env_size(variables: dict[str, str]) -> int:
    """Size of the variables, approximated as the bytes of their compact JSON map (AWS does not
    document the exact count; keys and values both count)."""
    return len(json.dumps(variables, separators=(",", ":")).encode("utf-8"))


def check(config: dict[str, Any], *, zip_bytes: int | None = None, unzipped_bytes: int | None = None,
          image_bytes: int | None = None) -> list[Problem]:
    """Problems AWS would report for ``config`` (``CreateFunction`` parameter names); [] if none."""
    if not isinstance(config, dict):
        raise ValueError(f"config must be a dict of CreateFunction parameters, got {type(config).__name__}")
    problems: list[Problem] = []
    lo, hi = LIMITS["memory_mb"]
    mem = config.get("MemorySize", 128)
    if not isinstance(mem, int) or not lo <= mem <= hi:
        problems.append(Problem("MemorySize", mem, f"{lo:,}-{hi:,} MB"))
    lo, hi = LIMITS["timeout_s"]
    timeout = config.get("Timeout", 3)
    if not isinstance(timeout, int) or not lo <= timeout <= hi:
        problems.append(Problem("Timeout", timeout, f"{lo}-{hi} seconds (15 minutes)"))
    variables = (config.get("Environment") or {}).get("Variables") or {}
    size = env_size(variables)
    if size > LIMITS["env_bytes"]:
        problems.append(Problem("Environment", f"{size:,} bytes", "4 KB for all variables together"))
    lo, hi = LIMITS["tmp_mb"]
    tmp = (config.get("EphemeralStorage") or {}).get("Size", 512)
    if not lo <= tmp <= hi:
        problems.append(Problem("EphemeralStorage", tmp, f"{lo}-{hi:,} MB"))
    layers = config.get("Layers") or []
    if len(layers) > LIMITS["layers"]:
        problems.append(Problem("Layers", len(layers), "at most 5 layers"))
    if zip_bytes is not None and zip_bytes > LIMITS["zip_direct_bytes"]:
        problems.append(Problem("Code.ZipFile", f"{zip_bytes / MB:.0f} MB", "50 MB zipped for a direct upload (use S3)"))
    if unzipped_bytes is not None and unzipped_bytes > LIMITS["unzipped_bytes"]:
        problems.append(Problem("unzipped code + layers", f"{unzipped_bytes / MB:.0f} MB", "250 MB"))
    if image_bytes is not None and image_bytes > LIMITS["image_bytes"]:
        problems.append(Problem("Code.ImageUri", f"{image_bytes / MB / 1024:.1f} GB", "10 GB container image"))
    return problems
