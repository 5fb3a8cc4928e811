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

What this module does: the database is a real DynamoDB table in the sandbox (moto); the cache
is an in-process dictionary with per-item expiry read from ``time.time()``, so ``freezegun``
moves TTLs. Latencies are a **model** (:class:`LatencyModel`, default figures chosen to show
the shape: a sub-millisecond cache and a ~10 ms database round trip), not measured AWS figures.
:func:`workload` makes a seeded, skewed read/write mix; :func:`run` replays it against a
strategy and returns :class:`Stats` (hit ratio, stale reads, database calls, modelled latency).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass, field
from typing import Any, Iterable

__all__ = ["LatencyModel", "Stats", "CacheAside", "WriteThrough", "workload", "run", "plot"]


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


class _Strategy:
    name = "strategy"

    def __init__(self, table: Any, ttl_seconds: float | None = 300, model: LatencyModel = LatencyModel(), key: str = "pk") -> None:
        if ttl_seconds is not None and ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive or None (no expiry), got {ttl_seconds}")
        self.table, self.ttl, self.model, self.key = table, ttl_seconds, model, key
        self.cache: dict[str, tuple[Any, float | None]] = {}
        self.truth: dict[str, Any] = {}  # what the table holds, to count stale reads
        self.stats = Stats(self.name)

    def _cache_get(self, k: str) -> tuple[bool, Any]:
        entry = self.cache.get(k)
        if entry is None:
            return False, None
        value, expires = entry
        if expires is not None and time.time() >= expires:
            del self.cache[k]
            return False, None
        return True, value

    def _cache_set(self, k: str, value: Any) -> None:
        self.cache[k] = (value, None if self.ttl is None else time.time() + self.ttl)

    def _write_table(self, k: str, value: Any) -> float:
        """Write ``value`` to the table (the source of truth); return the modelled cost in ms."""
        self.stats.writes += 1
        self.stats.db_writes += 1
        self.table.put_item(Item={self.key: k, "value": value})
        self.truth[k] = value
        return self.model.db_write_ms

    def get(self, k: str) -> Any:
        s, m = self.stats, self.model
        s.reads += 1
        hit, value = self._cache_get(k)
        if hit:
            s.hits += 1
            s.read_ms.append(m.cache_ms)
            if k in self.truth and value != self.truth[k]:
                s.stale_reads += 1
            return value
        s.misses += 1
        s.db_reads += 1
        item = self.table.get_item(Key={self.key: k}).get("Item")
        value = None if item is None else item.get("value")
        self._cache_set(k, value)
        s.read_ms.append(m.cache_ms + m.db_read_ms + m.cache_ms)
        return value

    def put(self, k: str, value: Any) -> None:
        raise NotImplementedError


class CacheAside(_Strategy):
    """Lazy loading; on write the table is updated and (optionally) the cached key deleted."""

    name = "cache-aside"

    def __init__(self, *args: Any, invalidate_on_write: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.invalidate_on_write = invalidate_on_write
        if invalidate_on_write:
            self.name = self.stats.strategy = "cache-aside+del"

    def put(self, k: str, value: Any) -> None:
        cost = self._write_table(k, value)
        if self.invalidate_on_write:
            self.cache.pop(k, None)
            cost += self.model.cache_ms
        self.stats.write_ms.append(cost)


class WriteThrough(_Strategy):
    """Every write goes to the table and the cache; reads still lazy-load on a miss."""

    name = "write-through"

    def put(self, k: str, value: Any) -> None:
        cost = self._write_table(k, value)
        self._cache_set(k, value)
        self.stats.write_ms.append(cost + self.model.cache_ms)


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


def run(strategy: _Strategy, ops: Iterable[tuple[str, str, int]]) -> Stats:
    """Replay ``ops`` against ``strategy`` and return its statistics. Under a ticking frozen
    clock (``freeze_time(..., auto_tick_seconds=...)``) TTLs expire during the run."""
    for op, k, value in ops:
        if op == "get":
            strategy.get(k)
        elif op == "put":
            strategy.put(k, value)
        else:
            raise ValueError(f"unknown operation {op!r} (use 'get' or 'put')")
    return strategy.stats


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
