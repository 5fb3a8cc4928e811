"""DynamoDB hot partitions: how partition-key values spread over partitions.

What AWS does: DynamoDB hashes each item's partition key to choose the partition that stores
it. A single partition serves at most 3,000 read capacity units and 1,000 write capacity units
per second; adaptive capacity lends a busy partition unused throughput, but one very popular
key value still lands on one partition and can be throttled
(``ProvisionedThroughputExceededException``) while the table as a whole has capacity to spare.
Keys with many distinct, evenly used values (user id, order id) spread load; a low-cardinality
key (status, date) or a celebrity item concentrates it. *Write sharding* adds a suffix
(``key#0`` .. ``key#9``) to spread one hot value over several partitions.

What moto does: one store, no partitions, no per-partition limits.

What this module reproduces: :func:`partition_of` hashes a key (MD5, as a stand-in for
DynamoDB's internal hash) onto ``n`` partitions; :func:`spread` counts requests per partition;
:func:`throttled` applies the per-partition limit to one second of traffic; :func:`shard` adds
a write-sharding suffix; :func:`plot` draws the distribution.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from typing import Any, Iterable, Sequence

__all__ = ["partition_of", "spread", "throttled", "shard", "plot", "PARTITION_RCU", "PARTITION_WCU"]

PARTITION_RCU = 3000  # per partition, per second
PARTITION_WCU = 1000


def partition_of(key: str, partitions: int) -> int:
    """The partition (0..partitions-1) the key hashes to."""
    if partitions < 1:
        raise ValueError(f"partitions must be >= 1, got {partitions}")
    return int.from_bytes(hashlib.md5(str(key).encode()).digest()[:8], "big") % partitions


def spread(keys: Iterable[str], partitions: int) -> list[int]:
    """Requests per partition for a stream of partition-key values."""
    counts = Counter(partition_of(k, partitions) for k in keys)
    return [counts.get(p, 0) for p in range(partitions)]


def throttled(per_partition: Sequence[int], limit: int = PARTITION_WCU) -> int:
    """Requests over the per-partition limit in one second (each request = 1 unit)."""
    if limit < 1:
        raise ValueError("limit must be >= 1")
    return sum(max(0, c - limit) for c in per_partition)


def shard(key: str, n_shards: int, i: int) -> str:
    """Write sharding: ``key#<i mod n>`` spreads one logical key over ``n_shards`` keys."""
    if n_shards < 1:
        raise ValueError("n_shards must be >= 1")
    return f"{key}#{i % n_shards}"


def plot(distributions: dict[str, Sequence[int]], limit: int | None = PARTITION_WCU, ax: Any = None) -> Any:
    """Grouped bars: requests per partition for each named key design."""
    import matplotlib.pyplot as plt

    if ax is None:
        _, ax = plt.subplots(figsize=(9, 3.2))
    names = list(distributions)
    width = 0.8 / max(1, len(names))
    colours = ["#cf222e", "#2da44e", "#0969da", "#8250df"]
    for j, name in enumerate(names):
        counts = distributions[name]
        xs = [p + j * width for p in range(len(counts))]
        ax.bar(xs, counts, width=width, label=name, color=colours[j % len(colours)])
    if limit:
        ax.axhline(limit, color="black", ls="--", lw=1, label=f"per-partition limit ({limit}/s)")
    ax.set_xlabel("partition")
    ax.set_ylabel("writes in one second")
    ax.legend(fontsize=8)
    ax.set_title("Same traffic, different partition-key designs")
    return ax
