"""Cache-aside (lazy loading) vs write-through in front of a sandbox DynamoDB table.

What AWS documents (ElastiCache caching strategies):

* **Cache-aside / lazy loading**: read the cache; on a miss read the database and put the item
  into the cache. Only requested data is cached and a cache failure is not fatal, but every
  miss costs three trips (cache, database, cache) and data can be stale until its TTL expires
  or the writer invalidates the key.
* **Write-through**: every database write also writes the cache, so cached data is never stale;
  the cost is a slower write and cached items that may never be read (add a TTL to limit that).
  Combine it with lazy loading so that items missing from the cache are still found.
* A **TTL** bounds how long an item can be served stale and lets unused items expire.

What this module does: the database is a real DynamoDB table in the sandbox (moto); the cache is
an in-process dictionary with per-item expiry read from ``time.time()``, so ``freezegun`` moves
TTLs. Latencies are a **model** (:class:`LatencyModel`, default figures chosen to show the
shape: a sub-millisecond cache and a ~10 ms database round trip), not measured AWS figures.
:func:`workload` makes a seeded, skewed read/write mix; :func:`~course_utils.sim.cache.run`
replays it against a strategy and returns :class:`Stats` (hit ratio, stale reads, database
calls, modelled latency).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["LatencyModel", "Stats", "workload", "plot"]


@dataclass(frozen=True)
class LatencyModel:
    """Modelled latencies in milliseconds (illustrative assumptions, not AWS measurements)."""

    cache_ms: float = 0.3
    db_read_ms: float = 8.0
    db_write_ms: float = 10.0


@dataclass
class Stats:
    strategy: str
    reads: int = 0
    writes: int = 0
    hits: int = 0
    misses: int = 0
    stale_reads: int = 0
    db_reads: int = 0
    db_writes: int = 0
    read_ms: list[float] = field(default_factory=list)
    write_ms: list[float] = field(default_factory=list)

    @property
    def hit_ratio(self) -> float:
        return self.hits / self.reads if self.reads else 0.0

    @property
    def avg_read_ms(self) -> float:
        return sum(self.read_ms) / len(self.read_ms) if self.read_ms else 0.0

    @property
    def avg_write_ms(self) -> float:
        return sum(self.write_ms) / len(self.write_ms) if self.write_ms else 0.0

    def row(self) -> str:
        return (
            f"{self.strategy:<14} hit ratio {self.hit_ratio:6.1%}  stale reads {self.stale_reads:3d}  "
            f"DynamoDB reads {self.db_reads:3d} writes {self.db_writes:3d}  "
            f"modelled avg read {self.avg_read_ms:5.2f} ms, write {self.avg_write_ms:5.2f} ms"
        )


def workload(n: int = 300, keys: int = 40, read_ratio: float = 0.9, skew: float = 1.1, seed: int = 0) -> list[tuple[str, str, int]]:
    """``n`` operations ``("get"|"put", key, value)``; key popularity follows a Zipf-like law."""
    if not 0 <= read_ratio <= 1:
        raise ValueError(f"read_ratio must be between 0 and 1, got {read_ratio}")
    if n < 0 or keys < 1:
        raise ValueError("n must be >= 0 and keys >= 1")
    rng = random.Random(seed)
    weights = [1 / (i + 1) ** skew for i in range(keys)]
    names = [f"item#{i:03d}" for i in range(keys)]
    ops = []
    for i in range(n):
        k = rng.choices(names, weights)[0]
        ops.append(("get", k, 0) if rng.random() < read_ratio else ("put", k, i))
    return ops


def plot(results: Iterable[Stats], ax: Any = None) -> Any:
    """Hit ratio and modelled average read latency per strategy, side by side."""
    import matplotlib.pyplot as plt

    results = list(results)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 3.2))
    names = [r.strategy for r in results]
    xs = range(len(results))
    ax.bar([x - 0.2 for x in xs], [r.hit_ratio * 100 for r in results], width=0.4, color="#2da44e", label="hit ratio %")
    ax.bar([x - 0.2 for x in xs], [r.stale_reads / max(1, r.reads) * 100 for r in results], width=0.4, color="#cf222e", label="stale reads %")
    ax.set_ylabel("% of reads")
    ax.set_ylim(0, 100)
    ax2 = ax.twinx()
    ax2.bar([x + 0.2 for x in xs], [r.avg_read_ms for r in results], width=0.4, color="#0969da", label="avg read (model) ms")
    ax2.set_ylabel("modelled ms")
    ax.set_xticks(list(xs), names)
    ax.legend(loc="upper left", fontsize=8)
    ax2.legend(loc="upper right", fontsize=8)
    ax.set_title("Caching strategies over the same workload (latency = model, not AWS measurements)")
    return ax
