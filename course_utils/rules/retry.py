"""SDK retries against throttling: retry modes, exponential backoff with jitter.

What AWS does: when a call is throttled (HTTP 400 ``ThrottlingException`` /
``ProvisionedThroughputExceededException``, HTTP 429 ``TooManyRequestsException``) or hits a
transient 5xx error, the AWS SDKs retry it after a delay that grows exponentially, with random
*jitter* so that many clients do not retry in lockstep. boto3/botocore has three modes:

* ``standard`` (boto3's default since AWS updated the SDK defaults on 31 July 2025; before that
  ``legacy`` was the default): 3 attempts by default (DynamoDB and DynamoDB Streams: 4), delay
  ``rand(0,1) * min(b * 2**(n-1), 20)`` s where ``b`` is 1 s for throttling errors (0.05 s for
  other transient errors, 0.025 s for DynamoDB), plus a retry quota;
* ``legacy``: 5 attempts in all by default (botocore's retry configuration gives DynamoDB 10),
  delay ``rand(0,1) * 2**(n-1)`` s (DynamoDB: ``0.05 * 2**(n-1)`` s);
* ``adaptive``: standard plus a client-side rate limiter that slows the client after throttles.

``Config(retries={"mode": "standard", "max_attempts": 5})`` changes both. When all attempts
fail, the last error reaches your code.

What this module provides:

* :func:`backoff` and :func:`max_attempts` state those rules;
* :func:`simulate_fleet` models many clients hitting a service that accepts a fixed number of
  requests per second, with or without jitter (a model, not the SDK);
* :func:`~course_utils.sim.retry.inject` makes a **real** boto3 client receive throttling errors
  for its first calls (a ``before-send`` event hook answers instead of moto) so the SDK's own
  retry logic runs; the SDK's back-off sleeps are recorded instead of slept, so nothing waits in
  real time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

__all__ = ["MODES", "max_attempts", "backoff", "Attempt", "FleetResult", "simulate_fleet", "plot_fleet"]

MODES = ("legacy", "standard", "adaptive")
MAX_BACKOFF_S = 20.0


def max_attempts(mode: str, service: str | None = None) -> int:
    """Default total attempts (first call + retries) for a retry mode."""
    if mode not in MODES:
        raise ValueError(f"retry mode must be one of {', '.join(MODES)}, got {mode!r}")
    if mode == "legacy":
        return 10 if service == "dynamodb" else 5
    return 4 if service in ("dynamodb", "dynamodb-streams") else 3


def backoff(mode: str, attempt: int, rand: float, *, throttling: bool = True, service: str | None = None) -> float:
    """Seconds to wait after failed attempt number ``attempt`` (1-based), ``rand`` in [0, 1)."""
    if mode not in MODES:
        raise ValueError(f"retry mode must be one of {', '.join(MODES)}, got {mode!r}")
    if attempt < 1:
        raise ValueError("attempt is 1-based")
    if mode == "legacy":
        return (0.05 if service == "dynamodb" else rand) * 2 ** (attempt - 1)
    base = 1.0 if throttling else (0.025 if service in ("dynamodb", "dynamodb-streams") else 0.05)
    return rand * min(base * 2 ** (attempt - 1), MAX_BACKOFF_S)


@dataclass(frozen=True)
class Attempt:
    client: int
    number: int  # 1-based
    time: float  # seconds since start
    ok: bool


@dataclass
class FleetResult:
    attempts: list[Attempt]
    clients: int
    succeeded: int
    gave_up: int
    label: str

    def summary(self) -> str:
        last = max((a.time for a in self.attempts), default=0.0)
        return (f"{self.label}: {len(self.attempts)} attempts, {self.succeeded}/{self.clients} clients succeeded, "
                f"{self.gave_up} gave up, last attempt at {last:.2f} s")  # fmt: skip


def simulate_fleet(
    clients: int = 30,
    capacity_per_second: int = 10,
    *,
    mode: str = "standard",
    attempts: int | None = None,
    jitter: bool = True,
    base: float = 1.0,
    seed: int = 0,
) -> FleetResult:
    """``clients`` start together; the service accepts ``capacity_per_second`` requests in each
    1-second window and throttles the rest; each throttled client waits
    ``[rand *] min(base * 2**(n-1), 20)`` seconds and tries again, up to ``attempts``."""
    if clients < 1 or capacity_per_second < 1:
        raise ValueError("clients and capacity_per_second must be >= 1")
    limit = attempts or max_attempts(mode)
    rng = random.Random(seed)
    pending = [(0.0, c, 1) for c in range(clients)]
    window_use: dict[int, int] = {}
    log: list[Attempt] = []
    ok = gave_up = 0
    while pending:
        pending.sort()
        t, c, n = pending.pop(0)
        w = int(t)
        accepted = window_use.get(w, 0) < capacity_per_second
        if accepted:
            window_use[w] = window_use.get(w, 0) + 1
            ok += 1
        log.append(Attempt(c, n, t, accepted))
        if not accepted:
            if n >= limit:
                gave_up += 1
            else:
                delay = min(base * 2 ** (n - 1), MAX_BACKOFF_S) * (rng.random() if jitter else 1.0)
                pending.append((t + delay, c, n + 1))
    label = f"{'full jitter' if jitter else 'no jitter'}, {limit} attempts"
    return FleetResult(log, clients, ok, gave_up, label)


def plot_fleet(results: list[FleetResult], ax: Any = None) -> Any:
    """Attempts over time (green dots accepted, red crosses throttled), one row per scenario."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 1.2 + 1.1 * len(results)))
    for row, res in enumerate(results):  # colour and marker both tell accepted from throttled
        for ok, colour, marker, label in ((True, "#2da44e", "o", "accepted"), (False, "#cf222e", "x", "throttled")):
            shown = [a for a in res.attempts if a.ok is ok]
            ax.scatter([a.time for a in shown], [row + (a.client / res.clients - 0.5) * 0.7 for a in shown],
                       s=9 if ok else 12, c=colour, marker=marker, linewidths=0.8, label=label if row == 0 else None)
    ax.set_yticks(range(len(results)), [r.label for r in results])
    ax.set_xlabel("seconds since the burst")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=2, frameon=False)  # under the x label
    ax.set_title("Retries after a burst: lockstep retries collide again, jittered ones spread out")
    return ax
