"""Cache-aside vs write-through over a sandbox DynamoDB table, with TTLs under freezegun."""

from __future__ import annotations

from datetime import datetime, timedelta

import boto3
import pytest
from freezegun import freeze_time

from course_utils.sim import cache


@pytest.fixture
def table(aws):
    ddb = boto3.resource("dynamodb")
    return ddb.create_table(TableName="Products", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")  # fmt: skip


def test_cache_aside_miss_then_hit(table):
    table.put_item(Item={"pk": "p1", "value": "v1"})
    c = cache.CacheAside(table, ttl_seconds=60)
    assert c.get("p1") == "v1" and c.get("p1") == "v1"
    assert (c.stats.hits, c.stats.misses, c.stats.db_reads) == (1, 1, 1)
    m = cache.LatencyModel()
    assert c.stats.read_ms == pytest.approx([m.cache_ms * 2 + m.db_read_ms, m.cache_ms])


def test_cache_aside_serves_stale_until_ttl(table):
    start = datetime(2026, 5, 1, 12, 0)
    with freeze_time(start) as clock:
        table.put_item(Item={"pk": "p1", "value": "old"})
        c = cache.CacheAside(table, ttl_seconds=60)
        c.get("p1")
        c.put("p1", "new")
        assert c.get("p1") == "old" and c.stats.stale_reads == 1
        clock.move_to(start + timedelta(seconds=61))
        assert c.get("p1") == "new"


def test_invalidate_on_write_and_write_through_are_never_stale(table):
    for strategy in (cache.CacheAside(table, invalidate_on_write=True), cache.WriteThrough(table)):
        strategy.get("p9")
        strategy.put("p9", "fresh")
        assert strategy.get("p9") == "fresh"
        assert strategy.stats.stale_reads == 0


def test_workload_comparison(table):
    ops = cache.workload(n=200, keys=20, read_ratio=0.8, seed=2)
    aside = cache.run(cache.CacheAside(table, ttl_seconds=None), ops)
    through = cache.run(cache.WriteThrough(table, ttl_seconds=None), ops)
    assert aside.reads == through.reads and aside.writes == through.writes
    assert through.hit_ratio >= aside.hit_ratio
    assert aside.stale_reads > 0 and through.stale_reads == 0
    assert through.avg_write_ms > aside.avg_write_ms


def test_bad_input(table):
    with pytest.raises(ValueError, match="ttl_seconds"):
        cache.CacheAside(table, ttl_seconds=0)
    with pytest.raises(ValueError, match="unknown operation"):
        cache.run(cache.WriteThrough(table), [("delete", "k", 0)])
