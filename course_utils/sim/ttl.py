"""The TTL sweeper over a sandbox table; the expiry rules: :mod:`course_utils.rules.ttl`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from ..rules import ttl as _engine
from ..rules.ttl import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.ttl import DEFAULT_MAX_DELAY, SERVICE_IDENTITY, SweepResult, _delay, _expiry, _now

__all__ = [*_engine.__all__, "ttl_attribute", "expired_items", "sweep"]


def _client(client: Any) -> Any:
    if client is not None:
        return client
    import boto3

    return boto3.client("dynamodb")


def ttl_attribute(table_name: str, *, client: Any = None) -> str:
    """The table's TTL attribute name; ValueError if TTL is not enabled on the table."""
    desc = _client(client).describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    if desc.get("TimeToLiveStatus") not in ("ENABLED", "ENABLING"):
        raise ValueError(f"table {table_name!r}: TTL is not enabled (status {desc.get('TimeToLiveStatus')})")
    return desc["AttributeName"]


def _key_schema(table_name: str, client: Any) -> list[str]:
    table = client.describe_table(TableName=table_name)["Table"]
    return [k["AttributeName"] for k in table["KeySchema"]]


def _scan(table_name: str, client: Any) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"TableName": table_name}
    while True:
        page = client.scan(**kwargs)
        items.extend(page.get("Items", []))
        if "LastEvaluatedKey" not in page:
            return items
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def expired_items(table_name: str, now: datetime | float | None = None, *, client: Any = None) -> list[dict[str, Any]]:
    """Items (low-level format) whose TTL time is earlier than ``now`` and that still exist."""
    ddb = _client(client)
    attr = ttl_attribute(table_name, client=ddb)
    t = _now(now)
    return [i for i in _scan(table_name, ddb) if (e := _expiry(i, attr)) is not None and e < t]


def sweep(table_name: str, now: datetime | float | None = None, *, max_delay: timedelta = DEFAULT_MAX_DELAY,
          client: Any = None) -> SweepResult:
    """Run the TTL background process once at ``now`` (default: the current, maybe frozen, time).

    An expired item is deleted when ``expiry + delay <= now``, its delay being a repeatable
    fraction of ``max_delay`` (``timedelta(0)`` deletes every expired item). Returns the keys
    deleted and the keys of expired items left for a later sweep.
    """
    if max_delay < timedelta(0):
        raise ValueError(f"max_delay must not be negative, got {max_delay}")
    ddb = _client(client)
    attr = ttl_attribute(table_name, client=ddb)
    key_names = _key_schema(table_name, ddb)
    t = _now(now)
    result = SweepResult(now=datetime.fromtimestamp(t, tz=timezone.utc))
    due: list[dict[str, Any]] = []
    for item in _scan(table_name, ddb):
        expiry = _expiry(item, attr)
        if expiry is None or expiry >= t:
            continue
        key = {k: item[k] for k in key_names}
        (due if expiry + _delay(key, max_delay) <= t else result.pending).append(key)
    if due:
        with _service_identity(table_name, ddb):
            for key in due:
                ddb.delete_item(TableName=table_name, Key=key)
                result.deleted.append(key)
    return result


class _service_identity:
    """While active, REMOVE records written to the table's stream carry the TTL service identity.

    moto's stream shard builds a record in ``StreamShard.add``; an instance attribute on that one
    shard object wraps it, and is removed on exit (no global patch).
    """

    def __init__(self, table_name: str, client: Any) -> None:
        from ..runtime.moto_adapter import dynamodb_backend

        region = client.meta.region_name
        account = client.describe_table(TableName=table_name)["Table"]["TableArn"].split(":")[4]
        table = dynamodb_backend(account, region).get_table(table_name)
        self.shard = table.stream_shard  # None when the table has no stream: nothing to tag

    def __enter__(self) -> "_service_identity":
        shard = self.shard
        if shard is None:
            return self
        original = type(shard).add

        def add(old: Any, new: Any) -> None:
            records = shard.items
            # moto appends the record, then may hand all pending records to Lambda and clear the
            # list: tag the new record as soon as it is appended, before delivery.
            class _Tagging(list):  # type: ignore[type-arg]
                def append(self, rec: Any) -> None:  # noqa: D401
                    if new is None:
                        rec.record["userIdentity"] = dict(SERVICE_IDENTITY)
                    super().append(rec)

            shard.items = _Tagging(records)
            try:
                original(shard, old, new)
            finally:
                if isinstance(shard.items, _Tagging):
                    shard.items = list(shard.items)

        shard.add = add  # instance attribute shadows the class method
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.shard is not None and "add" in vars(self.shard):
            del self.shard.add
