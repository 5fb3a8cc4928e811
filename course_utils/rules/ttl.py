"""DynamoDB Time to Live: the background sweeper that moto does not run.

What AWS does: with TTL enabled on a table, an item whose TTL attribute holds a Number (epoch
seconds) earlier than the current time is *expired*. A background process deletes expired items
on a best-effort basis, without consuming write capacity: typically within a few days of expiry
(the UpdateTimeToLive API reference says two days), never at the exact second. Until then expired
items still appear in GetItem, Query and Scan results, so applications filter on the TTL
attribute. Items whose TTL attribute is missing or not a Number are never expired. A deletion by
TTL writes a ``REMOVE`` record to the table's stream whose ``userIdentity`` is type ``Service``, principal ``dynamodb.amazonaws.com``, which tells it apart from a
delete made by an application.

What moto does: stores the TTL setting and never deletes anything.

What this module does: :func:`~course_utils.sim.ttl.expired_items` lists the items that are
expired at a given time; :func:`~course_utils.sim.ttl.sweep` plays the background process at a
given time (use freezegun to move the clock): each expired item gets a repeatable delay in
``[0, max_delay)`` derived from its key, and the item is deleted once ``expiry + delay <= now``.
Deletions go through moto, so indexes are updated and the stream gets a ``REMOVE`` record, to
which the service ``userIdentity`` is added.
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

__all__ = ["SweepResult", "SERVICE_IDENTITY", "LAMBDA_EVENT_IDENTITY", "DEFAULT_MAX_DELAY"]

#: The userIdentity of a TTL deletion as the DynamoDB Streams API (GetRecords) returns it.
SERVICE_IDENTITY: dict[str, str] = {"Type": "Service", "PrincipalId": "dynamodb.amazonaws.com"}
#: The same identity as it appears in the event a Lambda function receives (lower-case keys).
LAMBDA_EVENT_IDENTITY: dict[str, str] = {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
#: The simulator's default spread of deletion delays after expiry.
DEFAULT_MAX_DELAY = timedelta(hours=48)


@dataclass
class SweepResult:
    """What one sweep did: the keys it deleted and the expired keys it left for later."""

    now: datetime
    deleted: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return (f"TTL sweep at {self.now:%Y-%m-%d %H:%M} UTC: deleted {len(self.deleted)}, "
                f"expired but not yet deleted {len(self.pending)}")


def _now(now: datetime | float | None) -> float:
    if now is None:
        return time.time()
    if isinstance(now, datetime):
        return (now if now.tzinfo else now.replace(tzinfo=timezone.utc)).timestamp()
    return float(now)


def _expiry(item: dict[str, Any], attr: str) -> float | None:
    value = item.get(attr)
    if not isinstance(value, dict) or "N" not in value:
        return None  # missing or not a Number: TTL ignores the item
    return float(value["N"])


def _delay(key: dict[str, Any], max_delay: timedelta) -> float:
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).digest()
    fraction = int.from_bytes(digest[:8], "big") / 2**64
    return fraction * max_delay.total_seconds()
