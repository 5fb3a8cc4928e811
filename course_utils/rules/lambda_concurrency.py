"""Lambda concurrency over time: provisioned environments, on-demand cold starts, throttles.

AWS: each in-flight request needs its own execution environment, so concurrency is about
``requests per second x average duration``. A request that finds no idle environment starts a
new one (a **cold start**: the init phase runs first) unless the function is at its
concurrency limit, in which case it is **throttled** (synchronous callers get 429
``TooManyRequestsException``). **Reserved concurrency** is that limit for one function (and
capacity set aside for it; 0 stops every invocation). **Provisioned concurrency** keeps a number
of environments initialised ahead of time on a version or alias: requests served by them never
pay the init phase. Provisioned concurrency counts against the function's reserved concurrency
(it cannot exceed it). Requests beyond the provisioned environments spill over to on-demand
environments (cold first, warm when reused).

Simulated (moto answers ``PutProvisionedConcurrencyConfig`` with "Not yet implemented"):
:func:`simulate` replays requests given as ``(arrival second, duration seconds)`` against an
idealised pool and returns what each request got. Environments are reused immediately, never
expire, and each cold start adds ``init_s`` before the handler runs. The account's unreserved
pool is not modelled (use ``reserved`` for a limit).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

__all__ = ["Outcome", "simulate", "summary", "required_concurrency"]

KINDS = ("provisioned", "warm", "cold", "throttled")


@dataclass(frozen=True)
class Outcome:
    """What one request got."""

    index: int
    arrival: float
    kind: str  # "provisioned" | "warm" | "cold" | "throttled"
    latency: float  # seconds from arrival to the end of the handler (0 for throttled)
    concurrency: int  # environments busy right after this request started (throttled: unchanged)


def required_concurrency(requests_per_second: float, average_duration_s: float) -> float:
    """AWS's rule of thumb: concurrency = request rate x average duration."""
    if requests_per_second < 0 or average_duration_s < 0:
        raise ValueError("requests_per_second and average_duration_s must be >= 0")
    return requests_per_second * average_duration_s


def simulate(
    requests: list[tuple[float, float]],
    *,
    provisioned: int = 0,
    reserved: int | None = None,
    init_s: float = 0.5,
) -> list[Outcome]:
    """Replay ``requests`` (``(arrival, duration)`` in seconds) and classify each one."""
    if provisioned < 0:
        raise ValueError(f"provisioned must be >= 0, got {provisioned}")
    if reserved is not None and reserved < 0:
        raise ValueError(f"reserved must be >= 0 or None, got {reserved}")
    if reserved is not None and provisioned > reserved:
        raise ValueError(f"provisioned ({provisioned}) cannot exceed reserved concurrency ({reserved})")
    if init_s < 0:
        raise ValueError(f"init_s must be >= 0, got {init_s}")
    for i, item in enumerate(requests):
        if len(item) != 2 or item[0] < 0 or item[1] <= 0:
            raise ValueError(f"request {i}: expected (arrival >= 0, duration > 0), got {item!r}")
    order = sorted(range(len(requests)), key=lambda i: requests[i][0])
    # each environment: [free_at, is_provisioned]
    envs: list[list[float | bool]] = [[0.0, True] for _ in range(provisioned)]
    limit = reserved
    results: dict[int, Outcome] = {}
    for i in order:
        arrival, duration = requests[i]
        busy = sum(1 for e in envs if float(e[0]) > arrival)
        idle_prov = [e for e in envs if e[1] and float(e[0]) <= arrival]
        idle_od = [e for e in envs if not e[1] and float(e[0]) <= arrival]
        if idle_prov:
            env, kind, latency = idle_prov[0], "provisioned", duration
        elif idle_od:
            env, kind, latency = idle_od[0], "warm", duration
        elif limit is not None and busy >= limit:
            results[i] = Outcome(i, arrival, "throttled", 0.0, busy)
            continue
        else:
            env = [0.0, False]
            envs.append(env)
            kind, latency = "cold", init_s + duration
        env[0] = arrival + latency
        results[i] = Outcome(i, arrival, kind, latency, busy + 1)
    return [results[i] for i in range(len(requests))]


def summary(outcomes: list[Outcome]) -> dict[str, int]:
    """How many requests got each kind of environment (every kind present, 0 if none)."""
    counts = Counter(o.kind for o in outcomes)
    return {k: counts.get(k, 0) for k in KINDS}
