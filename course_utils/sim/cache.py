"""Caching strategies over a sandbox DynamoDB table; the model: :mod:`course_utils.rules.cache`."""

from __future__ import annotations

import time
from typing import Any, Iterable

from ..rules import cache as _engine
from ..rules.cache import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.cache import LatencyModel, Stats

__all__ = [*_engine.__all__, "CacheAside", "WriteThrough", "run"]


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
