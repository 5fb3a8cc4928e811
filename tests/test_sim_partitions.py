"""Hot partitions: key distribution, per-partition limits, write sharding."""

from __future__ import annotations

import pytest

from course_utils.sim import partitions as pt


def test_hashing_is_stable_and_in_range():
    assert pt.partition_of("user#1", 8) == pt.partition_of("user#1", 8)
    assert all(0 <= pt.partition_of(f"k{i}", 5) < 5 for i in range(100))


def test_one_hot_key_lands_on_one_partition_and_is_throttled():
    hot = pt.spread(["status#OPEN"] * 3000, 4)
    assert sorted(hot)[-1] == 3000 and hot.count(0) == 3
    assert pt.throttled(hot, pt.PARTITION_WCU) == 2000


def test_many_keys_and_sharding_spread_the_load():
    even = pt.spread([f"order#{i}" for i in range(3000)], 4)
    assert max(even) < 1000 and pt.throttled(even) == 0
    sharded = pt.spread([pt.shard("status#OPEN", 10, i) for i in range(3000)], 4)
    assert max(sharded) < 3000 and sum(sharded) == 3000


def test_bad_input():
    with pytest.raises(ValueError, match="partitions"):
        pt.partition_of("k", 0)
    with pytest.raises(ValueError, match="n_shards"):
        pt.shard("k", 0, 1)
