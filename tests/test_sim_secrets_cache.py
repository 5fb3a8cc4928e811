"""The client-side secret cache: calls saved, TTL expiry with time travel, rotation staleness."""

from __future__ import annotations

import boto3
import pytest
from freezegun import freeze_time

from course_utils.sim.secrets_cache import SecretCache


def test_hundred_reads_one_call(aws):
    sm = boto3.client("secretsmanager")
    sm.create_secret(Name="db", SecretString="pw1")
    cache = SecretCache(sm, ttl_seconds=300)
    values = {cache.get_secret_string("db") for _ in range(100)}
    assert values == {"pw1"}
    assert (cache.stats.requests, cache.stats.api_calls, cache.stats.calls_saved) == (100, 1, 99)


def test_ttl_expiry_and_stale_value_after_rotation(aws):
    sm = boto3.client("secretsmanager")
    sm.create_secret(Name="db", SecretString="pw1")
    with freeze_time("2030-01-01 12:00:00") as clock:
        cache = SecretCache(sm, ttl_seconds=300)
        assert cache.get_secret_string("db") == "pw1"
        sm.put_secret_value(SecretId="db", SecretString="pw2")  # a rotation elsewhere
        clock.tick(299)
        assert cache.get_secret_string("db") == "pw1"  # still cached: stale for up to the TTL
        clock.tick(1)
        assert cache.get_secret_string("db") == "pw2"
    assert cache.stats.api_calls == 2 and cache.stats.calls_saved == 1


def test_refresh_now_and_default_ttl(aws):
    sm = boto3.client("secretsmanager")
    sm.create_secret(Name="db", SecretString="pw1")
    cache = SecretCache(sm)
    assert cache.ttl == 3600
    cache.get_secret_string("db")
    sm.put_secret_value(SecretId="db", SecretString="pw2")
    assert cache.refresh_now("db") == "pw2" and cache.stats.api_calls == 2
    current = next(v for v, s in sm.describe_secret(SecretId="db")["VersionIdsToStages"].items() if "AWSCURRENT" in s)
    assert cache.version("db") == current


def test_bad_ttl():
    with pytest.raises(ValueError, match="ttl_seconds must be positive"):
        SecretCache(object(), ttl_seconds=0)
