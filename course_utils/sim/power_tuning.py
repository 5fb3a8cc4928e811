"""Run a handler at each memory size; the cost model: :mod:`course_utils.rules.power_tuning`."""

from __future__ import annotations

import json
from typing import Any, Sequence

from ..rules import power_tuning as _engine
from ..rules.power_tuning import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.power_tuning import TuningPoint, cost, model_duration, vcpus

__all__ = [*_engine.__all__, "tune"]


def tune(
    function_name: str,
    memory_sizes: Sequence[int] = (128, 256, 512, 1024, 1769, 3008),
    payload: Any = None,
    runs: int = 3,
    io_ms: float = 0.0,
    threads: int = 1,
    client: Any = None,
) -> list[TuningPoint]:
    """Run the function at each memory size and model duration and cost (see module doc)."""
    from course_utils import runtime

    if runs < 2:
        raise ValueError("runs must be >= 2 (the first run after a configuration change is a cold start)")
    if client is None:
        import boto3

        client = boto3.client("lambda")
    body = json.dumps(payload if payload is not None else {})
    measured: dict[int, float] = {}
    for mem in memory_sizes:
        vcpus(mem)  # validates the size
        client.update_function_configuration(FunctionName=function_name, MemorySize=mem)
        before = len(runtime.invocations(function_name))
        for _ in range(runs):
            resp = client.invoke(FunctionName=function_name, Payload=body)
            if resp.get("FunctionError"):
                raise RuntimeError(f"{function_name} failed at {mem} MB: {resp['Payload'].read()[:300]!r}")
        records = runtime.invocations(function_name)[before:]
        warm = [r.duration_ms for r in records if not r.cold] or [r.duration_ms for r in records]
        measured[mem] = min(warm)
    baseline = min(measured.values())  # this machine's core stands in for one vCPU
    points = []
    for mem in memory_sizes:
        modelled = model_duration(baseline, mem, io_ms, threads)
        points.append(TuningPoint(mem, round(measured[mem], 3), round(modelled, 3), cost(modelled, mem)))
    return points
