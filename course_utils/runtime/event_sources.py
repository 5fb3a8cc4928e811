"""Event sources that really run the handler: SQS, SNS, DynamoDB Streams, Kinesis.

AWS:

* **SQS event source mapping**: Lambda long-polls the queue, invokes the function synchronously
  with up to ``BatchSize`` messages, deletes the batch on success and leaves it on the queue on
  an error (it reappears after the visibility timeout). With ``FunctionResponseTypes:
  ["ReportBatchItemFailures"]`` a response ``{"batchItemFailures": [{"itemIdentifier": id}]}``
  deletes everything except the listed messages.
* **SNS** invokes a subscribed function asynchronously (retries, destinations, DLQ apply).
* **DynamoDB Streams / Kinesis** mappings invoke synchronously per batch; a failing batch blocks
  the shard and is retried.

Simulated: polling happens synchronously, right after each ``SendMessage`` /
``SendMessageBatch`` (after the whole batch is on the queue) and when a mapping is created or
enabled. Messages of a failed batch are made visible again at once (visibility timeout 0)
instead of after the queue's visibility timeout, so the learner can see them with
``receive_message``; they are not retried until the next poll. DynamoDB records of a failed
batch stay pending and are sent again, with new records, on the next write.
"""

from __future__ import annotations

import json
import threading
from typing import Any, Callable

from . import lambda_runtime
from .lambda_runtime import Throttled

__all__ = [
    "poll_queue",
    "wrap_add_message",
    "wrap_send_message_batch",
    "wrap_esm_change",
    "send_sns_message",
    "send_dynamodb_items",
    "send_kinesis_message",
]

_local = threading.local()


def _sqs_backend(queue: Any) -> Any:
    from moto.sqs.models import sqs_backends

    return sqs_backends[queue.account_id][queue.region]


def _message_attributes(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (getattr(message, "message_attributes", None) or {}).items():
        data_type = value.get("data_type") or value.get("DataType") or "String"
        item: dict[str, Any] = {"dataType": data_type, "stringListValues": [], "binaryListValues": []}
        if "string_value" in value or "StringValue" in value:
            item["stringValue"] = value.get("string_value", value.get("StringValue"))
        if "binary_value" in value or "BinaryValue" in value:
            item["binaryValue"] = value.get("binary_value", value.get("BinaryValue"))
        out[name] = item
    return out


def _sqs_record(message: Any, queue: Any) -> dict[str, Any]:
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if queue.fifo_queue:
        attributes["MessageGroupId"] = str(message.group_id)
        attributes["MessageDeduplicationId"] = str(message.deduplication_id)
        if getattr(message, "sequence_number", None):
            attributes["SequenceNumber"] = str(message.sequence_number)
    return {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": _message_attributes(message),
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": queue.region,
    }


def _failed_ids(result: Any, esm: Any, ids: list[str]) -> set[str]:
    """Which message ids of a batch stay on the queue."""
    if result is None or result.function_error:
        return set(ids)
    if "ReportBatchItemFailures" not in (getattr(esm, "function_response_types", None) or []):
        return set()
    response = result.response
    if not isinstance(response, dict) or not response.get("batchItemFailures"):
        return set()
    failed: set[str] = set()
    for item in response["batchItemFailures"]:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not ident or ident not in ids:
            return set(ids)  # AWS: an invalid identifier fails the whole batch
        failed.add(ident)
    return failed


def poll_queue(queue: Any) -> None:
    """Deliver the queue's visible messages to its enabled mappings, batch by batch."""
    mappings = getattr(queue, "_course_esms", None) or {}
    if not mappings:
        return
    from moto.awslambda.utils import get_backend

    backend = _sqs_backend(queue)
    for esm in list(mappings.values()):
        function_arn = esm.function_arn
        lambda_backend = get_backend(queue.account_id, function_arn.split(":")[3])
        if not esm.enabled or lambda_backend.get_event_source_mapping(esm.uuid) is None:
            continue
        fn = lambda_backend.get_function(function_arn)
        keep: list[Any] = []
        while True:
            batch = backend.receive_message(queue.name, esm.batch_size, 0, queue.visibility_timeout)
            if not batch:
                break
            event = {"Records": [_sqs_record(m, queue) for m in batch]}
            try:
                result = lambda_runtime.run(fn, event, invoked_arn=function_arn)
            except Throttled:
                result = None
            failed = _failed_ids(result, esm, [m.id for m in batch])
            for m in batch:
                if m.id in failed:
                    keep.append(m)
                else:
                    backend.delete_message(queue.name, m.receipt_handle)
        for m in keep:
            try:
                backend.change_message_visibility(queue.name, m.receipt_handle, visibility_timeout=0)
            except Exception:
                pass


def _hidden_mappings(queue: Any) -> dict[str, Any]:
    """Move moto's view of the queue's mappings to ``_course_esms`` (moto then sees none)."""
    moto_view = queue.__dict__.get("lambda_event_source_mappings") or {}
    ours = queue.__dict__.setdefault("_course_esms", {})
    if moto_view:
        ours.update(moto_view)
        moto_view.clear()
    return ours


def wrap_add_message(original: Callable[..., None]) -> Callable[..., None]:
    def add_message(self: Any, message: Any) -> None:
        _hidden_mappings(self)
        original(self, message)
        if not getattr(_local, "batching", False):
            poll_queue(self)

    add_message.__wrapped__ = original  # type: ignore[attr-defined]
    return add_message


def wrap_send_message_batch(original: Callable[..., Any]) -> Callable[..., Any]:
    def send_message_batch(self: Any, queue_name: str, entries: Any) -> Any:
        _local.batching = True
        try:
            result = original(self, queue_name, entries)
        finally:
            _local.batching = False
        queue = self.get_queue(queue_name)
        _hidden_mappings(queue)
        poll_queue(queue)
        return result

    send_message_batch.__wrapped__ = original  # type: ignore[attr-defined]
    return send_message_batch


def _poll_all_queues(account_id: str, region: str) -> None:
    from moto.sqs.models import sqs_backends

    for queue in list(sqs_backends[account_id][region].queues.values()):
        _hidden_mappings(queue)
        poll_queue(queue)


def wrap_esm_change(original: Callable[..., Any]) -> Callable[..., Any]:
    def esm_change(self: Any, *args: Any, **kwargs: Any) -> Any:
        esm = original(self, *args, **kwargs)
        if esm is not None and ":sqs:" in (getattr(esm, "event_source_arn", "") or ""):
            _poll_all_queues(self.account_id, self.region_name)
        return esm

    esm_change.__wrapped__ = original  # type: ignore[attr-defined]
    return esm_change


# --- LambdaBackend replacements -------------------------------------------------------------------


def send_sns_message(
    self: Any, function_name: str, message: str, subject: str | None = None, qualifier: str | None = None
) -> None:
    """SNS -> Lambda: moto's event, delivered as an asynchronous invocation."""
    from . import async_invoke
    from .invoke import resolve
    from .sns_context import current

    ctx = current()
    event = {
        "Records": [
            {
                "EventVersion": "1.0",
                "EventSubscriptionArn": ctx.get("subscription_arn", "arn:aws:sns:EXAMPLE"),
                "EventSource": "aws:sns",
                "Sns": {
                    "SignatureVersion": "1",
                    "Timestamp": ctx.get("timestamp", "1970-01-01T00:00:00.000Z"),
                    "Signature": "EXAMPLE",
                    "SigningCertUrl": "EXAMPLE",
                    "MessageId": ctx.get("message_id", "95df01b4-ee98-5cb9-9903-4c221d41eb5e"),
                    "Message": message,
                    "MessageAttributes": ctx.get("message_attributes", {}),
                    "Type": "Notification",
                    "UnsubscribeUrl": "EXAMPLE",
                    "TopicArn": ctx.get("topic_arn", "arn:aws:sns:EXAMPLE"),
                    "Subject": subject,
                },
            }
        ]
    }
    fn, invoked = resolve(self, function_name, qualifier)
    async_invoke.invoke_async(fn, event, invoked)


def send_dynamodb_items(self: Any, function_arn: str, items: list[Any], source: str) -> str | None:
    """DynamoDB Streams -> Lambda: one synchronous invocation with every pending record."""
    from datetime import datetime

    from moto.core.utils import unix_time

    records = []
    for item in items:
        record = item.to_json()
        dynamodb = dict(record["dynamodb"])
        if isinstance(dynamodb.get("ApproximateCreationDateTime"), datetime):
            dynamodb["ApproximateCreationDateTime"] = unix_time(dynamodb["ApproximateCreationDateTime"])
        records.append(
            {
                "eventID": record["eventID"],
                "eventName": record["eventName"],
                "eventVersion": record["eventVersion"],
                "eventSource": record["eventSource"],
                "awsRegion": self.region_name,
                "dynamodb": dynamodb,
                "eventSourceARN": source,
            }
        )
    fn = self.get_function_by_arn(function_arn) or self.get_function(function_arn)
    try:
        result = lambda_runtime.run(fn, json.loads(json.dumps({"Records": records}, default=str)), invoked_arn=function_arn)
    except Throttled:
        return None
    return None if result.function_error else "ok"


def send_kinesis_message(
    self: Any,
    function_name: str,
    kinesis_stream: str,
    kinesis_partition_key: str,
    kinesis_sequence_number: str,
    kinesis_data: str,
    kinesis_shard_id: str,
) -> None:
    """Kinesis -> Lambda: one synchronous invocation per record (moto calls us per put)."""
    import time

    fn = self.get_function(function_name)
    event = {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": kinesis_partition_key,
                    "sequenceNumber": kinesis_sequence_number,
                    "data": kinesis_data,
                    "approximateArrivalTimestamp": round(time.time(), 3),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"{kinesis_shard_id}:{kinesis_sequence_number}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": fn.role,
                "awsRegion": self.region_name,
                "eventSourceARN": kinesis_stream,
            }
        ]
    }
    try:
        lambda_runtime.run(fn, event, invoked_arn=function_name)
    except Throttled:
        pass
