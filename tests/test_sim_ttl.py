"""course_utils.sim.ttl: the TTL background sweeper."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import boto3
import pytest

from course_utils.sim import ttl

UTC = timezone.utc
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def _table(stream: bool = False) -> "boto3.client":
    ddb = boto3.client("dynamodb")
    kwargs = {"StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}} if stream else {}
    ddb.create_table(TableName="sessions", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST", **kwargs)
    ddb.update_time_to_live(TableName="sessions", TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
    return ddb


def _put(ddb, key: str, expires: datetime | None, *, as_string: bool = False) -> None:
    item = {"id": {"S": key}}
    if expires is not None:
        item["expires_at"] = {"S": str(int(expires.timestamp()))} if as_string else {"N": str(int(expires.timestamp()))}
    ddb.put_item(TableName="sessions", Item=item)


def _ids(ddb) -> list[str]:
    return sorted(i["id"]["S"] for i in ddb.scan(TableName="sessions")["Items"])


def test_expired_items_still_readable_until_swept(aws):
    ddb = _table()
    _put(ddb, "old", NOW - timedelta(hours=1))
    _put(ddb, "fresh", NOW + timedelta(hours=1))
    assert [i["id"]["S"] for i in ttl.expired_items("sessions", NOW)] == ["old"]
    assert _ids(ddb) == ["fresh", "old"]  # moto never deletes: expired item still read
    result = ttl.sweep("sessions", NOW, max_delay=timedelta(0))
    assert result.deleted == [{"id": {"S": "old"}}] and result.pending == []
    assert _ids(ddb) == ["fresh"]
    assert "deleted 1" in str(result)


def test_deletion_is_delayed_but_happens_within_max_delay(aws):
    ddb = _table()
    for n in range(20):
        _put(ddb, f"s{n}", NOW - timedelta(minutes=1))
    first = ttl.sweep("sessions", NOW, max_delay=timedelta(hours=48))
    # right after expiry most items are still there
    assert len(first.pending) > len(first.deleted)
    assert len(first.deleted) + len(first.pending) == 20
    later = ttl.sweep("sessions", NOW + timedelta(hours=48), max_delay=timedelta(hours=48))
    assert len(later.deleted) == len(first.pending) and later.pending == []
    assert _ids(ddb) == []


def test_sweep_is_repeatable(aws):
    ddb = _table()
    for n in range(10):
        _put(ddb, f"s{n}", NOW - timedelta(hours=3))
    a = ttl.sweep("sessions", NOW, max_delay=timedelta(hours=10))
    assert a.deleted  # some but typically not all
    for key in a.deleted:
        _put(ddb, key["id"]["S"], NOW - timedelta(hours=3))
    b = ttl.sweep("sessions", NOW, max_delay=timedelta(hours=10))
    assert sorted(k["id"]["S"] for k in b.deleted) == sorted(k["id"]["S"] for k in a.deleted)


def test_non_number_or_missing_ttl_is_ignored(aws):
    ddb = _table()
    _put(ddb, "string-ttl", NOW - timedelta(days=1), as_string=True)
    _put(ddb, "no-ttl", None)
    assert ttl.expired_items("sessions", NOW) == []
    assert ttl.sweep("sessions", NOW, max_delay=timedelta(0)).deleted == []
    assert _ids(ddb) == ["no-ttl", "string-ttl"]


def test_ttl_not_enabled(aws):
    ddb = boto3.client("dynamodb")
    ddb.create_table(TableName="plain", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    with pytest.raises(ValueError, match="TTL is not enabled"):
        ttl.sweep("plain", NOW)


def test_negative_delay_rejected(aws):
    _table()
    with pytest.raises(ValueError, match="max_delay"):
        ttl.sweep("sessions", NOW, max_delay=timedelta(hours=-1))


def test_stream_remove_record_has_service_identity(aws):
    ddb = _table(stream=True)
    _put(ddb, "old", NOW - timedelta(hours=1))
    _put(ddb, "mine", NOW + timedelta(hours=1))
    ddb.delete_item(TableName="sessions", Key={"id": {"S": "mine"}})  # an application delete
    ttl.sweep("sessions", NOW, max_delay=timedelta(0))
    arn = ddb.describe_table(TableName="sessions")["Table"]["LatestStreamArn"]
    streams = boto3.client("dynamodbstreams")
    shard = streams.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    it = streams.get_shard_iterator(StreamArn=arn, ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = streams.get_records(ShardIterator=it)["Records"]
    removes = [r for r in records if r["eventName"] == "REMOVE"]
    by_key = {r["dynamodb"]["Keys"]["id"]["S"]: r for r in removes}
    assert by_key["old"]["userIdentity"] == {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
    assert "userIdentity" not in by_key["mine"]
    # the wrapper is gone after the sweep: a later application delete is not tagged
    _put(ddb, "again", None)
    ddb.delete_item(TableName="sessions", Key={"id": {"S": "again"}})
    assert "add" not in vars(__import__("moto.dynamodb.models", fromlist=["x"]).dynamodb_backends["123456789012"]["us-east-1"].get_table("sessions").stream_shard)
