"""X-Ray sampling with the default rule: a reservoir of 1 request per second, then 5 %.

What AWS does: the X-Ray SDK (or the OpenTelemetry X-Ray sampler) decides per request whether
to record a trace. The default sampling rule records the first request in each second (the
*reservoir*, size 1) and 5 % of the remaining requests in that second (the *fixed rate*).
Custom rules (``create_sampling_rule``) set another reservoir and rate for matching requests;
with centralised sampling the reservoir is shared by all hosts through the X-Ray service. A
sampled decision travels downstream in the ``X-Amzn-Trace-Id`` header (``Sampled=1``), so one
trace is recorded end to end or not at all.

What moto 5.2.5 does: stores segments sent with ``put_trace_segments`` but has no sampling
rules (``create_sampling_rule`` / ``get_sampling_rules`` answer 404).

What this module reproduces: :func:`simulate` applies one rule (reservoir per second, then a
fixed rate) to a traffic profile with a seeded random generator; :func:`expected` gives the
expected number of traces; :func:`plot` draws total vs sampled requests per second.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = ["SamplingResult", "simulate", "expected", "plot", "DEFAULT_RESERVOIR", "DEFAULT_RATE"]

DEFAULT_RESERVOIR = 1  # requests per second
DEFAULT_RATE = 0.05  # of the requests beyond the reservoir


@dataclass
class SamplingResult:
    total: list[int]  # requests per second
    sampled: list[int]  # traces recorded per second
    from_reservoir: list[int]
    reservoir: int
    rate: float

    @property
    def total_requests(self) -> int:
        return sum(self.total)

    @property
    def total_sampled(self) -> int:
        return sum(self.sampled)

    @property
    def fraction(self) -> float:
        return self.total_sampled / self.total_requests if self.total_requests else 0.0


def simulate(requests_per_second: Sequence[int], reservoir: int = DEFAULT_RESERVOIR, rate: float = DEFAULT_RATE, seed: int = 0) -> SamplingResult:
    """Sampling decisions for ``requests_per_second[i]`` requests arriving in second ``i``."""
    if reservoir < 0:
        raise ValueError(f"reservoir must be >= 0 requests per second, got {reservoir}")
    if not 0.0 <= rate <= 1.0:
        raise ValueError(f"rate must be a fraction between 0 and 1 (5 % is 0.05), got {rate}")
    if any(n < 0 for n in requests_per_second):
        raise ValueError("requests per second cannot be negative")
    rng = random.Random(seed)
    total, sampled, res = [], [], []
    for n in requests_per_second:
        n = int(n)
        from_res = min(n, reservoir)
        extra = sum(1 for _ in range(n - from_res) if rng.random() < rate)
        total.append(n)
        res.append(from_res)
        sampled.append(from_res + extra)
    return SamplingResult(total, sampled, res, reservoir, rate)


def expected(requests_per_second: float, seconds: int = 1, reservoir: int = DEFAULT_RESERVOIR, rate: float = DEFAULT_RATE) -> float:
    """Expected traces: ``seconds * (min(rps, reservoir) + rate * max(0, rps - reservoir))``."""
    return seconds * (min(requests_per_second, reservoir) + rate * max(0.0, requests_per_second - reservoir))


def plot(result: SamplingResult, ax: Any = None) -> Any:
    """Bars of requests per second with the sampled ones on top, on a log scale."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2))
    xs = range(len(result.total))
    ax.bar(xs, result.total, color="#d0d7de", label="requests")
    ax.bar(xs, result.sampled, color="#0969da", label="sampled (traced)")
    ax.plot(xs, result.from_reservoir, "k_", ms=8, label=f"reservoir ({result.reservoir}/s)")
    ax.set_yscale("symlog", linthresh=2)
    ax.set_xlabel("second")
    ax.set_ylabel("requests (symlog)")
    ax.set_title(f"Sampling: {result.total_sampled} of {result.total_requests} requests traced ({result.fraction:.1%})")
    ax.legend(fontsize=8, loc="upper left")
    return ax
