"""Sessions in a sandbox DynamoDB table; the load balancer: :mod:`course_utils.rules.load_balancer`."""

from __future__ import annotations

import time
from typing import Any

from ..rules import load_balancer as _engine
from ..rules.load_balancer import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__, "DynamoDBSessionStore"]


class DynamoDBSessionStore:
    """Sessions in a DynamoDB table keyed by ``session_id``, with an ``expires_at`` TTL attribute.

    Creates the table (on-demand) and enables TTL if needed. Reads ignore items whose TTL has
    passed, as an application should, since DynamoDB deletes expired items only later.
    """

    name = "DynamoDB table"

    def __init__(self, table_name: str = "Sessions", *, ttl_seconds: int = 1800, client: Any = None) -> None:
        import boto3

        if ttl_seconds <= 0:
            raise ValueError(f"ttl_seconds must be positive, got {ttl_seconds}")
        self.table_name, self.ttl_seconds = table_name, ttl_seconds
        self.client = client or boto3.client("dynamodb")
        try:
            self.client.create_table(
                TableName=table_name, BillingMode="PAY_PER_REQUEST",
                KeySchema=[{"AttributeName": "session_id", "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": "session_id", "AttributeType": "S"}])
            self.client.update_time_to_live(
                TableName=table_name, TimeToLiveSpecification={"Enabled": True, "AttributeName": "expires_at"})
        except self.client.exceptions.ResourceInUseException:
            pass

    def load(self, instance_id: str, session_id: str) -> list[str] | None:
        item = self.client.get_item(TableName=self.table_name, Key={"session_id": {"S": session_id}},
                                    ConsistentRead=True).get("Item")
        if not item or int(item["expires_at"]["N"]) <= time.time():
            return None
        return [v["S"] for v in item["basket"]["L"]]

    def save(self, instance_id: str, session_id: str, basket: list[str]) -> None:
        self.client.put_item(TableName=self.table_name, Item={
            "session_id": {"S": session_id},
            "basket": {"L": [{"S": b} for b in basket]},
            "expires_at": {"N": str(int(time.time()) + self.ttl_seconds)},
            "last_instance": {"S": instance_id},
        })

    def instance_lost(self, instance_id: str) -> None:
        pass  # nothing lives on the instance
