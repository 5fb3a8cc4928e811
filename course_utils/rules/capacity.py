"""DynamoDB read and write capacity: the arithmetic AWS bills and throttles by.

What AWS does (the same units in both capacity modes):

* **Reads** are measured in 4 KB steps, the item size rounded *up* to the next 4 KB. A strongly
  consistent read of up to 4 KB costs 1 read unit, an eventually consistent read half a unit, a
  transactional read 2 units. An 8 KB item: 2 / 1 / 4 units.
* **Writes** are measured in 1 KB steps, rounded up. A standard write of up to 1 KB costs 1 write
  unit, a transactional write 2.
* **Query** reads the matching items as one operation: their sizes are *added*, then rounded up
  to 4 KB. **BatchGetItem** rounds every item on its own first, then adds.
* **Provisioned** mode: you reserve read capacity units (RCU) and write capacity units (WCU) per
  second; requests beyond them are throttled (``ProvisionedThroughputExceededException``).
  **On-demand** mode: no capacity to plan; you pay per read request unit (RRU) and write request
  unit (WRU), counted exactly like RCU and WCU.

moto reports a ConsumedCapacity but does not follow these rules (it reports 0.5 for a 5 KB
strongly consistent read) and throttles nothing. This module computes the documented figures
and offers :func:`calculator`, an ipywidgets calculator for the notebook.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

__all__ = [
    "KB", "MAX_ITEM_KB", "CONSISTENCY", "read_units", "write_units", "query_read_units",
    "batch_get_read_units", "Estimate", "estimate",
]

KB = 1024
MAX_ITEM_KB = 400
CONSISTENCY = ("strong", "eventual", "transactional")
_READ_FACTOR = {"strong": 1.0, "eventual": 0.5, "transactional": 2.0}


def _check_size(size_kb: float, what: str = "item size") -> None:
    if not isinstance(size_kb, (int, float)) or isinstance(size_kb, bool) or size_kb <= 0:
        raise ValueError(f"{what} must be a positive number of KB, got {size_kb!r}")


def _check_consistency(consistency: str) -> None:
    if consistency not in CONSISTENCY:
        raise ValueError(f"consistency must be one of {', '.join(CONSISTENCY)}, got {consistency!r}")


def _blocks(size_kb: float, block_kb: int) -> int:
    # round to whole bytes first so 4.0 KB stays one block despite float noise
    return max(1, math.ceil(round(size_kb * KB) / (block_kb * KB)))


def read_units(size_kb: float, consistency: str = "strong") -> float:
    """Read units for one GetItem of an item of ``size_kb`` KB (4 KB steps)."""
    _check_size(size_kb)
    _check_consistency(consistency)
    if size_kb > MAX_ITEM_KB:
        raise ValueError(f"item size {size_kb} KB exceeds the DynamoDB item limit of {MAX_ITEM_KB} KB")
    return _blocks(size_kb, 4) * _READ_FACTOR[consistency]


def write_units(size_kb: float, transactional: bool = False) -> int:
    """Write units for one PutItem/UpdateItem/DeleteItem of ``size_kb`` KB (1 KB steps)."""
    _check_size(size_kb)
    if size_kb > MAX_ITEM_KB:
        raise ValueError(f"item size {size_kb} KB exceeds the DynamoDB item limit of {MAX_ITEM_KB} KB")
    return _blocks(size_kb, 1) * (2 if transactional else 1)


def query_read_units(item_sizes_kb: Iterable[float], consistency: str = "strong") -> float:
    """Read units for a Query (or Scan page) returning these items: sizes summed, then rounded."""
    _check_consistency(consistency)
    sizes = list(item_sizes_kb)
    for s in sizes:
        _check_size(s, "each item size")
    total = sum(sizes)
    return _blocks(total, 4) * _READ_FACTOR[consistency] if total else _READ_FACTOR[consistency]


def batch_get_read_units(item_sizes_kb: Iterable[float], consistency: str = "strong") -> float:
    """Read units for a BatchGetItem: each item rounded to 4 KB on its own, then added."""
    return sum(read_units(s, consistency) for s in item_sizes_kb)


@dataclass(frozen=True)
class Estimate:
    """Capacity for a steady workload: per-request units and per-second totals."""

    item_kb: float
    reads_per_second: float
    writes_per_second: float
    consistency: str
    transactional_writes: bool
    units_per_read: float
    units_per_write: int
    rcu: int
    wcu: int

    def lines(self) -> list[str]:
        r_blocks = _blocks(self.item_kb, 4)
        w_blocks = _blocks(self.item_kb, 1)
        factor = _READ_FACTOR[self.consistency]
        wf = 2 if self.transactional_writes else 1
        return [
            f"one {self.consistency} read of {self.item_kb:g} KB = ceil({self.item_kb:g}/4) = {r_blocks} "
            f"x {factor:g} = {self.units_per_read:g} read unit(s)",
            f"one {'transactional' if wf == 2 else 'standard'} write of {self.item_kb:g} KB = "
            f"ceil({self.item_kb:g}/1) = {w_blocks} x {wf} = {self.units_per_write} write unit(s)",
            f"provisioned: {self.reads_per_second:g} reads/s x {self.units_per_read:g} = {self.rcu} RCU; "
            f"{self.writes_per_second:g} writes/s x {self.units_per_write} = {self.wcu} WCU",
            f"on-demand: {self.units_per_read:g} RRU per read and {self.units_per_write} WRU per write, "
            "billed per request, nothing to provision",
        ]

    def __str__(self) -> str:
        return "\n".join(self.lines())


def estimate(item_kb: float, reads_per_second: float = 0, writes_per_second: float = 0, *,
             consistency: str = "strong", transactional_writes: bool = False) -> Estimate:
    """RCU and WCU to provision for ``reads_per_second`` and ``writes_per_second`` of one item size."""
    for name, value in (("reads_per_second", reads_per_second), ("writes_per_second", writes_per_second)):
        if not isinstance(value, (int, float)) or value < 0:
            raise ValueError(f"{name} must be a number >= 0, got {value!r}")
    per_read = read_units(item_kb, consistency)
    per_write = write_units(item_kb, transactional_writes)
    return Estimate(item_kb, reads_per_second, writes_per_second, consistency, transactional_writes,
                    per_read, per_write, math.ceil(reads_per_second * per_read), math.ceil(writes_per_second * per_write))
