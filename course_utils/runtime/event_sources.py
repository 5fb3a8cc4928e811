"""Event sources that really run the handler: SQS, SNS, DynamoDB Streams, Kinesis.

AWS:

* **SQS event source mapping**: Lambda long-polls the queue, invokes the function synchronously
  with up to ``BatchSize`` messages, deletes the batch on success and leaves it on the queue on
  an error: it reappears after the queue's visibility timeout and is received again, until the
  queue's redrive policy (``maxReceiveCount``) moves it to the dead-letter queue or its retention
  period ends. With ``FunctionResponseTypes: ["ReportBatchItemFailures"]`` a response
  ``{"batchItemFailures": [{"itemIdentifier": id}]}`` deletes everything except the listed
  messages. FIFO queues deliver a message group in order: a failed message holds its group back.
* **SNS** invokes a subscribed function asynchronously (retries, destinations, DLQ apply).
* **DynamoDB Streams / Kinesis** mappings read each shard in order (:mod:`.stream_poller` has
  the retry rules: ``MaximumRetryAttempts``, ``MaximumRecordAgeInSeconds``,
  ``BisectBatchOnFunctionError``, partial batch responses, the ``OnFailure`` destination).
* Lambda's recursive loop detection stops a chain of invocations through SQS after about 16
  rounds.

Simulated: the poller runs inside API calls, never in the background: after ``SendMessage`` /
``SendMessageBatch``, when a mapping is created or enabled, and before ``ReceiveMessage`` and
``GetQueueAttributes`` on a queue with a mapping (so moving the clock past a visibility timeout
with time travel, then looking at the queue, shows the redelivery). One API call polls in at
most :data:`MAX_ROUNDS` rounds; in a round each message is delivered at most once, so a message
that fails with a visibility timeout of 0 is retried a bounded number of times per call (or
moved to the DLQ) and the call always returns. Stream shards are read when a record is written.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from typing import Any, Callable

from . import lambda_runtime, stream_poller
from .lambda_runtime import Throttled
from .moto_adapter import lambda_backend, release_visible_pending, return_to_queue, sqs_backend, sqs_backend_of, unix_time

__all__ = [
    "MAX_ROUNDS",
    "poll_queue",
    "reset_state",
    "wrap_add_message",
    "wrap_send_message_batch",
    "wrap_receive_message",
    "wrap_get_queue_attributes",
    "wrap_esm_change",
    "send_sns_message",
    "send_dynamodb_items",
    "send_kinesis_message",
]

#: Polling rounds per API call (Lambda's recursive loop detection stops a loop after about 16).
MAX_ROUNDS = 16
#: How long the poller hides a message it is working on (SQS's maximum visibility timeout).
_IN_PROGRESS = 43_200

_local = threading.local()  # send_message_batch in progress on this thread
#: Queues waiting for the next round while a poll runs (None: no poll running). Process-wide, not
#: per thread: handlers run in worker threads, and a message they send joins the running poll.
_pending: list[Any] | None = None
_pending_lock = threading.RLock()
_shards: dict[tuple[str, str, str], stream_poller.Shard] = {}
_shards_lock = threading.Lock()


def reset_state() -> None:
    """Forget stream positions (the sandbox calls this when it wipes moto's state)."""
    with _shards_lock:
        _shards.clear()


# --- events in AWS's shape ------------------------------------------------------------------------


def _message_attributes(message: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in (message.message_attributes or {}).items():
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
        if message.sequence_number:  # moto sets it for FIFO messages only
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
    if "ReportBatchItemFailures" not in (esm.function_response_types or []):
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


# --- SQS ----------------------------------------------------------------------------------------


def _polling() -> bool:
    return _pending is not None


def _round(queue: Any) -> bool:
    """Deliver each message visible now at most once to the queue's mappings; return True when a
    failed message is visible again at once (visibility timeout 0), so another round is due."""
    mappings = _hidden_mappings(queue)
    if not mappings:
        return False
    backend = sqs_backend_of(queue)
    again = False
    for esm in list(mappings.values()):
        functions = lambda_backend(queue.account_id, esm.function_arn.split(":")[3])
        if not esm.enabled or functions.get_event_source_mapping(esm.uuid) is None:
            continue
        fn = functions.get_function(esm.function_arn)
        failed_handles: list[str] = []
        budget = queue.approximate_number_of_messages  # messages sent during the round wait for the next
        while budget > 0:
            if queue.fifo_queue:
                release_visible_pending(queue)  # keep each group's order (moto releases them one by one)
            batch = backend.receive_message(queue.name, min(esm.batch_size or 10, budget), 0, _IN_PROGRESS)
            if not batch:
                break
            budget -= len(batch)
            event = {"Records": [_sqs_record(m, queue) for m in batch]}
            try:
                result = lambda_runtime.run(fn, event, invoked_arn=esm.function_arn)
            except Throttled:
                result = None
            failed = _failed_ids(result, esm, [m.id for m in batch])
            for m in batch:
                if m.id in failed:
                    failed_handles.append(m.receipt_handle)
                else:
                    backend.delete_message(queue.name, m.receipt_handle)
        for handle in failed_handles:  # back on the queue after the queue's visibility timeout
            return_to_queue(queue, handle, int(queue.visibility_timeout))
        again = again or (bool(failed_handles) and int(queue.visibility_timeout) == 0)
    return again


def poll_queue(queue: Any) -> None:
    """Run the queue's mappings in at most :data:`MAX_ROUNDS` rounds. Queues that receive messages
    while this runs (from a handler, a DLQ move) are polled in the next round of the same call."""
    global _pending
    with _pending_lock:
        if _pending is not None:
            if queue not in _pending:
                _pending.append(queue)
            return
        _pending = [queue]
    try:
        for _ in range(MAX_ROUNDS):
            with _pending_lock:
                queues, _pending = _pending, []
            if not queues:
                break
            for q in queues:
                again = _round(q)
                with _pending_lock:
                    if again and q not in _pending:
                        _pending.append(q)
    finally:
        with _pending_lock:
            _pending = None


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
        poll_queue(self.get_queue(queue_name))
        return result

    send_message_batch.__wrapped__ = original  # type: ignore[attr-defined]
    return send_message_batch


def _poll_first(original: Callable[..., Any]) -> Callable[..., Any]:
    """A backend method that lets the queue's pollers catch up first (outside the poller)."""

    def method(self: Any, queue_name: str, *args: Any, **kwargs: Any) -> Any:
        if not _polling():
            try:
                queue = self.get_queue(queue_name)
            except Exception:
                queue = None  # moto raises the API's own error from the original call
            if queue is not None and _hidden_mappings(queue):
                poll_queue(queue)
            if queue is not None and queue.fifo_queue:
                release_visible_pending(queue)  # a learner's ReceiveMessage keeps each group's order too
        return original(self, queue_name, *args, **kwargs)

    method.__wrapped__ = original  # type: ignore[attr-defined]
    return method


wrap_receive_message = _poll_first
wrap_get_queue_attributes = _poll_first


def _poll_all_queues(account_id: str, region: str) -> None:
    for queue in list(sqs_backend(account_id, region).queues.values()):
        if _hidden_mappings(queue):
            poll_queue(queue)


def wrap_esm_change(original: Callable[..., Any]) -> Callable[..., Any]:
    def esm_change(self: Any, *args: Any, **kwargs: Any) -> Any:
        esm = original(self, *args, **kwargs)
        if esm is not None and ":sqs:" in (esm.event_source_arn or ""):
            _poll_all_queues(self.account_id, self.region_name)
        return esm

    esm_change.__wrapped__ = original  # type: ignore[attr-defined]
    return esm_change


# --- SNS ----------------------------------------------------------------------------------------


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


# --- streams ------------------------------------------------------------------------------------


def _mapping(backend: Any, function_arn: str, source_arn: str) -> Any | None:
    for esm in backend.list_event_source_mappings(source_arn, ""):
        if esm.function_arn == function_arn or esm.function_name in (function_arn, function_arn.split(":")[-1]):
            return esm
    return None


def _iso(epoch: float) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(epoch, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _discard(esm: Any, fn: Any, shard_id: str, source_arn: str, lost: stream_poller.Discarded, kind: str) -> None:
    """Send the record of a discarded batch to the mapping's OnFailure destination (SQS or SNS)."""
    target = ((esm.destination_config or {}).get("OnFailure") or {}).get("Destination")
    if not target:
        return
    from . import async_invoke

    first, last = lost.records[0], lost.records[-1]
    document = {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": fn.function_arn,
            "condition": lost.condition,
            "approximateInvokeCount": lost.invocations,
        },
        "responseContext": {"statusCode": 200, "executedVersion": str(fn.version), "functionError": "Unhandled"},
        "version": "1.0",
        "timestamp": _iso(time.time()),
        f"{kind}BatchInfo": {
            "shardId": shard_id,
            "startSequenceNumber": first.id,
            "endSequenceNumber": last.id,
            "approximateArrivalOfFirstRecord": _iso(first.arrived),
            "approximateArrivalOfLastRecord": _iso(last.arrived),
            "batchSize": len(lost.records),
            "streamArn": source_arn,
        },
    }
    async_invoke.send_to_destination(target, document, success=False)


def _read_shard(
    backend: Any, fn: Any, function_arn: str, source_arn: str, shard_id: str, records: list[stream_poller.Record],
    make_event: Callable[[list[stream_poller.Record]], dict[str, Any]], kind: str,
) -> bool:
    """Add ``records`` to the mapping's shard and read it; True when nothing is left pending."""
    esm = _mapping(backend, function_arn, source_arn)
    settings = stream_poller.settings_from(esm.get_configuration() if esm is not None else {})
    with _shards_lock:
        shard = _shards.setdefault((function_arn, source_arn, shard_id), stream_poller.Shard())
    shard.add(records)
    if esm is not None and not esm.enabled:
        return False

    def invoke(batch: list[stream_poller.Record]) -> stream_poller.Attempt:
        try:
            result = lambda_runtime.run(fn, make_event(batch), invoked_arn=function_arn)
        except Throttled:
            return stream_poller.Attempt(ok=False, throttled=True)
        if result.function_error:
            return stream_poller.Attempt(ok=False)
        response = result.response
        failures = response.get("batchItemFailures") if isinstance(response, dict) else None
        ids = tuple(str(f.get("itemIdentifier", "")) if isinstance(f, dict) else "" for f in failures or [])
        return stream_poller.Attempt(ok=True, failed_ids=ids)

    for lost in shard.read(settings, time.time(), invoke):
        if esm is not None:
            _discard(esm, fn, shard_id, source_arn, lost, kind)
    return not shard.pending


def send_dynamodb_items(self: Any, function_arn: str, items: list[Any], source: str) -> str | None:
    """DynamoDB Streams -> Lambda: read the shard with the mapping's batch and retry rules."""
    from datetime import datetime

    records: list[stream_poller.Record] = []
    for item in items:
        record = item.to_json()
        dynamodb = dict(record["dynamodb"])
        created = dynamodb.get("ApproximateCreationDateTime")
        if isinstance(created, datetime):
            dynamodb["ApproximateCreationDateTime"] = unix_time(created)
        arrived = float(dynamodb.get("ApproximateCreationDateTime") or time.time())
        payload = {
            "eventID": record["eventID"],
            "eventName": record["eventName"],
            "eventVersion": record["eventVersion"],
            "eventSource": record["eventSource"],
            "awsRegion": self.region_name,
            "dynamodb": dynamodb,
            "eventSourceARN": source,
        }
        records.append(stream_poller.Record(str(dynamodb.get("SequenceNumber") or record["eventID"]), arrived, payload))

    def make_event(batch: list[stream_poller.Record]) -> dict[str, Any]:
        return json.loads(json.dumps({"Records": [r.payload for r in batch]}, default=str))

    fn = self.get_function_by_arn(function_arn) or self.get_function(function_arn)
    done = _read_shard(self, fn, function_arn, source, "shardId-00000001", records, make_event, "DDBStream")
    return "ok" if done else None  # moto forgets the stream's records on a truthy answer


def send_kinesis_message(
    self: Any,
    function_name: str,
    kinesis_stream: str,
    kinesis_partition_key: str,
    kinesis_sequence_number: str,
    kinesis_data: str,
    kinesis_shard_id: str,
) -> None:
    """Kinesis -> Lambda: read the shard with the mapping's batch and retry rules."""
    now = time.time()
    fn = self.get_function(function_name)
    payload = {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": kinesis_partition_key,
            "sequenceNumber": kinesis_sequence_number,
            "data": kinesis_data,
            "approximateArrivalTimestamp": round(now, 3),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{kinesis_shard_id}:{kinesis_sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": fn.role,
        "awsRegion": self.region_name,
        "eventSourceARN": kinesis_stream,
    }
    record = stream_poller.Record(str(kinesis_sequence_number), now, payload)
    _read_shard(self, fn, fn.function_arn, kinesis_stream, kinesis_shard_id, [record],
                lambda batch: {"Records": [r.payload for r in batch]}, "Kinesis")
