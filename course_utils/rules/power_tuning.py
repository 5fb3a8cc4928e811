"""Memory vs duration vs cost, in the manner of AWS Lambda Power Tuning.

What AWS does: a Lambda function gets CPU in proportion to its memory setting (128 MB to
10,240 MB); at 1,769 MB it has the equivalent of one full vCPU, and up to 6 vCPUs at the top
of the range. Price = requests x price per request + GB-seconds x price per GB-second, with
duration rounded up to the millisecond. For CPU-bound code, doubling memory can halve the
duration, so the cost per invocation stays flat while latency falls; above one vCPU a
single-threaded handler stops getting faster and only the price rises. The open-source AWS
Lambda Power Tuning tool (a Step Functions state machine) runs a function at several memory
sizes and plots this curve.

What this module does: :func:`~course_utils.sim.power_tuning.tune` really runs the handler
through the course runtime at each memory size (``update_function_configuration`` then
``invoke``) and takes the fastest warm duration measured on this machine as the work done with
one full vCPU. It then applies the documented CPU-scales-with-memory rule as a **model**
(:func:`model_duration`): CPU time divided by ``min(memory/1769, threads)`` plus a fixed I/O
wait. Cost uses :data:`PRICE_PER_GB_S` and :data:`PRICE_PER_REQUEST` (see :data:`PRICE_NOTE`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Sequence

__all__ = [
    "PRICE_PER_GB_S",
    "PRICE_PER_REQUEST",
    "PRICE_NOTE",
    "ONE_VCPU_MB",
    "vcpus",
    "model_duration",
    "cost",
    "TuningPoint",
    "plot",
]

PRICE_PER_GB_S = 0.0000166667  # USD, x86, first pricing tier
PRICE_PER_REQUEST = 0.20 / 1_000_000  # USD
PRICE_NOTE = (
    "Prices are an assumption: x86, US East (N. Virginia), first tier, $0.0000166667 per "
    "GB-second and $0.20 per 1M requests, as AWS published them (pricing page, mid-2026 copy); "
    "free tier ignored. Check the Lambda pricing page for your Region and date."
)
ONE_VCPU_MB = 1769
MIN_MB, MAX_MB = 128, 10240


def vcpus(memory_mb: int) -> float:
    """vCPU equivalents for a memory size (1 at 1,769 MB, linear in memory)."""
    if not MIN_MB <= memory_mb <= MAX_MB:
        raise ValueError(f"Lambda memory must be between {MIN_MB} and {MAX_MB} MB, got {memory_mb}")
    return memory_mb / ONE_VCPU_MB


def model_duration(cpu_ms_one_vcpu: float, memory_mb: int, io_ms: float = 0.0, threads: int = 1) -> float:
    """Modelled duration: CPU work stretched or shrunk by the CPU share, plus fixed I/O."""
    if cpu_ms_one_vcpu < 0 or io_ms < 0 or threads < 1:
        raise ValueError("cpu_ms_one_vcpu and io_ms must be >= 0 and threads >= 1")
    return cpu_ms_one_vcpu / min(vcpus(memory_mb), threads) + io_ms


def cost(duration_ms: float, memory_mb: int, invocations: int = 1_000_000) -> float:
    """USD for ``invocations`` runs of ``duration_ms`` at ``memory_mb`` (billed per 1 ms)."""
    billed_s = math.ceil(duration_ms) / 1000
    return invocations * (billed_s * memory_mb / 1024 * PRICE_PER_GB_S + PRICE_PER_REQUEST)


@dataclass(frozen=True)
class TuningPoint:
    memory_mb: int
    measured_ms: float  # fastest warm run on this machine
    modelled_ms: float
    cost_per_million: float

    def row(self) -> str:
        return (f"{self.memory_mb:>6} MB  {vcpus(self.memory_mb):4.2f} vCPU  measured {self.measured_ms:7.2f} ms  "
                f"modelled {self.modelled_ms:8.2f} ms  ${self.cost_per_million:8.4f} per 1M")  # fmt: skip


def plot(points: Sequence[TuningPoint], ax: Any = None) -> Any:
    """Modelled duration (left axis) and cost per 1M invocations (right axis) vs memory."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.4))
    mems = [p.memory_mb for p in points]
    ax.plot(mems, [p.modelled_ms for p in points], "o-", color="#0969da", label="duration (model)")
    ax.set_xscale("log", base=2)
    ax.set_xticks(mems, [str(m) for m in mems])
    ax.set_xlabel("memory (MB)")
    ax.set_ylabel("duration ms (model)", color="#0969da")
    ax2 = ax.twinx()
    ax2.plot(mems, [p.cost_per_million for p in points], "s--", color="#cf222e", label="cost per 1M")
    ax2.set_ylabel("USD per 1M invocations", color="#cf222e")
    ax.axvline(ONE_VCPU_MB, color="grey", ls=":", lw=1)
    ax.text(ONE_VCPU_MB, ax.get_ylim()[1] * 0.9, " 1 vCPU", fontsize=8, color="grey")
    ax.set_title("Power tuning (model): faster up to 1 vCPU at about the same cost, then only dearer")
    return ax
