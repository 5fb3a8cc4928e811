"""course_utils.sim.load_balancer: sticky sessions lose state, a DynamoDB store keeps it."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest
from freezegun import freeze_time

from course_utils.sim.load_balancer import DynamoDBSessionStore, InstanceMemoryStore, LoadBalancer


def test_round_robin_without_stickiness_loses_memory_sessions():
    lb = LoadBalancer(["i-a", "i-b"])
    alice = lb.browser("alice")
    first = alice.add("seat-1")
    second = alice.view()
    assert first.instance != second.instance
    assert second.basket == [] and second.new_session  # the other instance never saw the session


def test_sticky_sessions_work_until_the_instance_dies():
    lb = LoadBalancer(["i-a", "i-b", "i-c"], sticky=True)
    alice = lb.browser("alice")
    r1 = alice.add("seat-12A")
    r2 = alice.add("seat-12B")
    assert r1.instance == r2.instance and r2.basket == ["seat-12A", "seat-12B"]
    lb.fail(r1.instance)
    r3 = alice.view()
    assert r3.instance != r1.instance and r3.basket == [] and r3.new_session
    assert "new session" in str(r3)


def test_connection_draining_does_not_save_the_session():
    lb = LoadBalancer(["i-a", "i-b"], sticky=True)
    bob = lb.browser("bob")
    home = bob.add("seat-3C").instance
    lb.deregister(home)
    after = bob.view()
    assert after.instance != home and after.basket == []


def test_dynamodb_store_survives_instance_failure(aws):
    lb = LoadBalancer(["i-a", "i-b", "i-c"], store=DynamoDBSessionStore("Sessions"), sticky=True)
    alice = lb.browser("alice")
    home = alice.add("seat-12A").instance
    lb.fail(home)
    r = alice.add("seat-12B")
    assert r.instance != home and r.basket == ["seat-12A", "seat-12B"] and not r.new_session
    item = boto3.client("dynamodb").get_item(TableName="Sessions", Key={"session_id": {"S": alice.cookies["session_id"]}})["Item"]
    assert [v["S"] for v in item["basket"]["L"]] == ["seat-12A", "seat-12B"]
    ttl = boto3.client("dynamodb").describe_time_to_live(TableName="Sessions")["TimeToLiveDescription"]
    assert ttl["AttributeName"] == "expires_at"


def test_dynamodb_store_ignores_expired_sessions(aws):
    store = DynamoDBSessionStore("Sessions", ttl_seconds=60)
    DynamoDBSessionStore("Sessions")  # creating it again is fine
    lb = LoadBalancer(["i-a", "i-b"], store=store)
    alice = lb.browser("alice")
    start = datetime.now(timezone.utc)
    with freeze_time(start) as clock:
        alice.add("seat-1")
        assert alice.view().basket == ["seat-1"]
        clock.tick(timedelta(minutes=2))
        assert alice.view().new_session


def test_all_instances_down_and_bad_input():
    lb = LoadBalancer(["i-a"])
    lb.fail("i-a")
    with pytest.raises(RuntimeError, match="503"):
        lb.browser("x").view()
    with pytest.raises(ValueError, match="unknown instance"):
        lb.fail("i-z")
    with pytest.raises(ValueError, match="at least one"):
        LoadBalancer([])
    with pytest.raises(ValueError, match="unique"):
        LoadBalancer(["i-a", "i-a"])
    assert isinstance(lb.store, InstanceMemoryStore)
