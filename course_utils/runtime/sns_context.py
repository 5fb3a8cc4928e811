"""The SNS publish being delivered, so the Lambda event names the real topic and message.

AWS puts the topic ARN, subscription ARN, message id, timestamp and message attributes in the
``Records[0].Sns`` of the event. moto's SNS -> Lambda call passes only the message and subject,
so the runtime wraps ``Subscription.publish`` to remember them for the duration of the call.
"""

from __future__ import annotations

import threading
from datetime import datetime, timezone
from typing import Any, Callable

__all__ = ["current", "wrap_publish"]

_local = threading.local()


def current() -> dict[str, Any]:
    return getattr(_local, "ctx", None) or {}


def _attributes(raw: dict[str, Any] | None) -> dict[str, Any]:
    out = {}
    for name, value in (raw or {}).items():
        data_type = value.get("DataType") or value.get("Type") or "String"
        payload = value.get("StringValue", value.get("BinaryValue", value.get("Value")))
        out[name] = {"Type": data_type, "Value": payload}
    return out


def wrap_publish(original: Callable[..., None]) -> Callable[..., None]:
    def publish(self: Any, message: str, message_id: str, *args: Any, **kwargs: Any) -> None:
        attrs = kwargs.get("message_attributes", args[1] if len(args) > 1 else None)
        saved = getattr(_local, "ctx", None)
        _local.ctx = {
            "topic_arn": self.topic.arn,
            "subscription_arn": self.arn,
            "message_id": message_id,
            "timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z",
            "message_attributes": _attributes(attrs),
        }
        try:
            original(self, message, message_id, *args, **kwargs)
        finally:
            _local.ctx = saved

    publish.__wrapped__ = original  # type: ignore[attr-defined]
    return publish
