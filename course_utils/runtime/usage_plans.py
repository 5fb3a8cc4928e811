"""API keys and usage plans for REST API methods with ``apiKeyRequired``.

AWS: the key comes in the ``x-api-key`` header; a missing, unknown or disabled key, or a key
that is not in a usage plan for this API stage, gets 403 ``{"message":"Forbidden"}``. The usage
plan's throttle is a token bucket (:mod:`course_utils.rules.token_bucket`, ``rateLimit`` tokens per second, ``burstLimit`` capacity) per
key: an empty bucket gives 429 ``{"message":"Too Many Requests"}``. Its quota (``limit`` per
``DAY``/``WEEK``/``MONTH``, minus ``offset``) gives 429 ``{"message":"Limit Exceeded"}`` once used
up.

Simulated: the bucket and quota counters live in this process and are wiped by the sandbox
reset. Time comes from ``time.time()`` and ``datetime.now()``, so ``freezegun`` can move it
(no real waiting is needed to refill a bucket in a test). Quota periods start at 00:00 UTC on
the day, on Monday for ``WEEK`` and on the 1st for ``MONTH``.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Any

from ..rules.token_bucket import TokenBucket
from .moto_adapter import apigateway_backend

__all__ = ["check", "key_id", "reset_state"]

_lock = threading.Lock()
_buckets: dict[tuple[str, str], TokenBucket] = {}  # (plan, key) -> its bucket
_quota: dict[tuple[str, str, str], int] = {}  # (plan, key, period start) -> requests
_key_ids: dict[str, str] = {}


def reset_state() -> None:
    with _lock:
        _buckets.clear()
        _quota.clear()
        _key_ids.clear()


def key_id(value: str | None) -> str | None:
    return _key_ids.get(value or "")


def _forbidden() -> tuple[int, dict[str, str], str]:
    return 403, {"Content-Type": "application/json", "x-amzn-ErrorType": "ForbiddenException"}, json.dumps({"message": "Forbidden"})


def _too_many(message: str) -> tuple[int, dict[str, str], str]:
    return 429, {"Content-Type": "application/json", "x-amzn-ErrorType": "TooManyRequestsException"}, json.dumps({"message": message})


def _period_start(period: str) -> str:
    now = datetime.now(timezone.utc)
    day = now.replace(hour=0, minute=0, second=0, microsecond=0)
    if period == "WEEK":
        day -= timedelta(days=day.weekday())
    elif period == "MONTH":
        day = day.replace(day=1)
    return day.isoformat()


def _take_token(plan_id: str, key: str, rate: float, burst: int) -> bool:
    bucket = _buckets.get((plan_id, key))
    if bucket is None:
        bucket = _buckets[(plan_id, key)] = TokenBucket(rate, burst, monotonic=False)
    bucket.rate, bucket.burst = float(rate), int(burst)  # the plan may have been updated
    return bucket.allow(time.time())


def check(api: Any, stage_name: str, key_value: str | None) -> tuple[int, dict[str, str], str] | None:
    """None if the request may proceed, else the error response."""
    backend = apigateway_backend(api.account_id, api.region_name)
    if not key_value:
        return _forbidden()
    key = next((k for k in backend.keys.values() if k.value == key_value), None)
    if key is None or not key.enabled:
        return _forbidden()
    _key_ids[key_value] = key.id
    plans = [
        plan
        for plan in backend.usage_plans.values()
        if key.id in backend.usage_plan_keys.get(plan.id, {})
        and any(s.get("apiId") == api.id and s.get("stage") == stage_name for s in plan.api_stages or [])
    ]
    if not plans:
        return _forbidden()
    plan = plans[0]
    with _lock:
        quota = plan.quota or {}
        if quota.get("limit") is not None:
            slot = (plan.id, key.id, _period_start(str(quota.get("period", "DAY"))))
            used = _quota.get(slot, 0)
            if used >= int(quota["limit"]) - int(quota.get("offset", 0) or 0):
                return _too_many("Limit Exceeded")
        throttle = plan.throttle or {}
        if throttle.get("rateLimit") is not None or throttle.get("burstLimit") is not None:
            rate = float(throttle.get("rateLimit", 0) or 0)
            burst = int(throttle.get("burstLimit", 0) or max(1, int(rate)))
            if not _take_token(plan.id, key.id, rate, burst):
                return _too_many("Too Many Requests")
        if quota.get("limit") is not None:
            _quota[slot] = _quota.get(slot, 0) + 1
    return None
