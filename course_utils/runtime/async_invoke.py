"""Asynchronous (``Event``) invocations: retries, destinations and the dead-letter queue.

AWS: Lambda queues the event, returns 202, and runs the function; on an error it retries up to
``MaximumRetryAttempts`` times (event invoke config, default 2, so 3 attempts in all), waiting
about 1 min then 2 min between attempts. When the attempts are used up (or the event is older
than ``MaximumEventAgeInSeconds``) the event goes to the ``OnFailure`` destination and/or the
function's ``DeadLetterConfig`` queue/topic; a success goes to the ``OnSuccess`` destination.
Destinations receive an invocation record::

    {"version": "1.0", "timestamp": ..., "requestContext": {"requestId", "functionArn",
     "condition", "approximateInvokeCount"}, "requestPayload": ..., "responseContext":
     {"statusCode", "executedVersion", "functionError"}, "responsePayload": ...}

Simulated: every attempt runs at once, inside the ``Invoke`` call (no background queue, no
waiting between retries), so the outcome is visible as soon as ``invoke`` returns. A throttled
function (reserved concurrency 0) never runs: the event is treated as expired
(condition ``EventAgeExceeded``) without waiting for the maximum event age. A chain of
asynchronous invocations that run inside one another (a handler publishing to the SNS topic that
invokes it, a destination pointing back at the function) stops after :data:`MAX_CHAIN` links: the
next event is dropped, as Lambda's recursive loop detection drops an event after about 16 loops.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import datetime, timezone
from typing import Any

from . import lambda_runtime
from .lambda_runtime import InvokeResult, Throttled

__all__ = ["invoke_async", "send_to_destination", "event_invoke_config", "dead_letter_target", "clients_reset"]

_clients: dict[str, Any] = {}
_clients_lock = threading.Lock()


def clients_reset() -> None:
    with _clients_lock:
        _clients.clear()


def _client(service: str, region: str) -> Any:
    import boto3

    key = f"{service}:{region}"
    with _clients_lock:
        if key not in _clients:
            _clients[key] = boto3.session.Session().client(service, region_name=region)
        return _clients[key]


def event_invoke_config(fn: Any) -> dict[str, Any]:
    configs = fn.event_invoke_config or []
    return dict(configs[0].config) if configs else {}


def dead_letter_target(fn: Any) -> str | None:
    """The function's ``DeadLetterConfig.TargetArn`` (stored by the runtime: moto drops it)."""
    cfg = fn.dead_letter_config or {}  # set on every function by function_config.wrap_init
    return cfg.get("TargetArn") or None


def _record(fn: Any, event: Any, request_id: str, condition: str, count: int, result: InvokeResult | None) -> dict[str, Any]:
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
    version = str(fn.version)
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": now,
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{fn.function_arn.split(':function:')[0]}:function:{fn.function_name}:{version}",
            "condition": condition,
            "approximateInvokeCount": count,
        },
        "requestPayload": event,
        "responseContext": {"statusCode": 200, "executedVersion": version},
    }
    if result is not None:
        if result.function_error:
            record["responseContext"]["functionError"] = result.function_error
        record["responsePayload"] = result.payload_json()
    else:
        record["responseContext"]["statusCode"] = 429
    return record


def send_to_destination(target_arn: str, document: Any, *, success: bool, dlq_attrs: dict[str, str] | None = None) -> None:
    """Deliver ``document`` to an SQS queue, SNS topic, Lambda function or EventBridge bus."""
    parts = target_arn.split(":")
    service, region, account = parts[2], parts[3], parts[4]
    body = json.dumps(document)
    if service == "sqs":
        sqs = _client("sqs", region)
        url = sqs.get_queue_url(QueueName=parts[5], QueueOwnerAWSAccountId=account)["QueueUrl"]
        kwargs: dict[str, Any] = {"QueueUrl": url, "MessageBody": body}
        if dlq_attrs:
            kwargs["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in dlq_attrs.items()}
        sqs.send_message(**kwargs)
    elif service == "sns":
        kwargs = {"TopicArn": target_arn, "Message": body}
        if dlq_attrs:
            kwargs["MessageAttributes"] = {k: {"DataType": "String", "StringValue": v} for k, v in dlq_attrs.items()}
        _client("sns", region).publish(**kwargs)
    elif service == "lambda":
        from .moto_adapter import lambda_backend
        from .qualifiers import resolve

        target, invoked = resolve(lambda_backend(account, region), target_arn)
        invoke_async(target, document, invoked)
    elif service == "events":
        _client("events", region).put_events(
            Entries=[
                {
                    "Source": "lambda",
                    "DetailType": "Lambda Function Invocation Result - " + ("Success" if success else "Failure"),
                    "Detail": body,
                    "EventBusName": target_arn,
                }
            ]
        )


#: Asynchronous invocations running inside one another before the next one is dropped.
MAX_CHAIN = 16
_chain = 0
_chain_lock = threading.Lock()


def invoke_async(fn: Any, event: Any, invoked_arn: str | None = None) -> str:
    """Run an ``Event`` invocation with AWS's retry and destination rules; return its request id."""
    global _chain
    with _chain_lock:
        if _chain >= MAX_CHAIN:
            return str(uuid.uuid4())  # a loop: dropped, never run
        _chain += 1
    try:
        return _invoke_async(fn, event, invoked_arn)
    finally:
        with _chain_lock:
            _chain -= 1


def _invoke_async(fn: Any, event: Any, invoked_arn: str | None) -> str:
    config = event_invoke_config(fn)
    max_retries = int(config.get("MaximumRetryAttempts", 2))
    destinations = config.get("DestinationConfig") or {}
    request_id = str(uuid.uuid4())
    result: InvokeResult | None = None
    attempts = 0
    condition = "Success"
    for _ in range(max_retries + 1):
        try:
            attempts += 1
            result = lambda_runtime.run(fn, event, invoked_arn=invoked_arn, invocation_type="Event", request_id=request_id)
        except Throttled:
            attempts -= 1
            condition, result = "EventAgeExceeded", None
            break
        if not result.function_error:
            condition = "Success"
            break
        condition = "RetriesExhausted"
    if condition == "Success":
        target = (destinations.get("OnSuccess") or {}).get("Destination")
        if target:
            send_to_destination(target, _record(fn, event, request_id, condition, attempts, result), success=True)
        return request_id
    target = (destinations.get("OnFailure") or {}).get("Destination")
    if target:
        send_to_destination(target, _record(fn, event, request_id, condition, attempts, result), success=False)
    dlq = dead_letter_target(fn)
    if dlq:
        error = (result.payload_json() or {}) if result else {"errorMessage": "Rate Exceeded."}
        send_to_destination(
            dlq,
            event,
            success=False,
            dlq_attrs={
                "RequestID": request_id,
                "ErrorCode": "200" if result else "429",
                "ErrorMessage": str(error.get("errorMessage", ""))[:1000] if isinstance(error, dict) else "",
            },
        )
    return request_id
