"""Test events in the shapes AWS services send to Lambda, like ``sam local generate-event``.

Each event has a template in ``course_utils/data/events/<name>.json`` (field names, nesting and
types follow AWS's documented sample for that event) and a generator that fills in the values a
test cares about::

    from course_utils import events
    event = events.s3_put(bucket="uploads", key="in/photo.jpg", size=2048)
    events.validate("s3-put", event)          # raises ValueError naming the first mismatch

Documented samples the templates follow (``tests/test_events.py`` compares the key structure):

* ``s3-put``: https://docs.aws.amazon.com/lambda/latest/dg/with-s3.html
* ``sqs-receive``: https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html
* ``sns-notification``: https://docs.aws.amazon.com/lambda/latest/dg/with-sns.html
* ``apigateway-rest`` (REST API, Lambda proxy):
  https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-lambda-proxy-integrations.html
* ``apigateway-http`` (HTTP API, payload format 2.0):
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
* ``eventbridge`` (scheduled or custom event):
  https://docs.aws.amazon.com/eventbridge/latest/userguide/event-reference.html
* ``dynamodb-stream``: https://docs.aws.amazon.com/lambda/latest/dg/with-ddb.html

The values are made up (ids, timestamps, signatures); only the shape is AWS's. Importing this
module reads nothing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from importlib import resources
from typing import Any
from urllib.parse import quote_plus, urlencode

__all__ = [
    "NAMES",
    "template",
    "schema",
    "validate",
    "key_paths",
    "generate",
    "s3_put",
    "sqs_receive",
    "sns_notification",
    "apigateway_rest",
    "apigateway_http",
    "eventbridge",
    "dynamodb_stream",
]

NAMES: tuple[str, ...] = (
    "s3-put", "sqs-receive", "sns-notification", "apigateway-rest", "apigateway-http", "eventbridge", "dynamodb-stream",
)

#: Keys whose children are chosen by the caller (headers, attributes, item images...): the
#: structure check stops there.
FREE_FORM = frozenset({
    "headers", "multiValueHeaders", "queryStringParameters", "multiValueQueryStringParameters", "pathParameters",
    "stageVariables", "messageAttributes", "MessageAttributes", "Keys", "NewImage", "OldImage", "detail", "claims",
})

REGION = "us-east-1"
ACCOUNT = "123456789012"


def template(name: str) -> dict[str, Any]:
    """A fresh copy of the template of event ``name`` (one of :data:`NAMES`)."""
    if name not in NAMES:
        raise ValueError(f"unknown event {name!r}; known: {', '.join(NAMES)}")
    text = resources.files("course_utils").joinpath("data", "events", f"{name}.json").read_text()
    return json.loads(text)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _schema_of(value: Any, key: str | None, optional_null: bool) -> dict[str, Any]:
    kind = _json_type(value)
    if kind == "object":
        if key in FREE_FORM:
            return {"type": ["object", "null"]}
        return {"type": "object", "required": sorted(value),
                "properties": {k: _schema_of(v, k, optional_null) for k, v in value.items()}}
    if kind == "array":
        items = _schema_of(value[0], None, optional_null) if value else {}
        return {"type": "array", "items": items}
    if kind == "null":  # documented as null when absent (query string, body...): a string or a map when present
        return {"type": ["null", "string", "object"]}
    if kind in ("integer", "number"):
        return {"type": ["integer", "number"] if kind == "number" else "integer"}
    return {"type": kind}


def schema(name: str) -> dict[str, Any]:
    """A JSON Schema of event ``name`` derived from its template: every key required, each value's type."""
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": name,
            **_schema_of(template(name), None, True)}


def validate(name: str, event: Mapping[str, Any]) -> None:
    """Check ``event`` against :func:`schema` of ``name``; raise ``ValueError`` naming the first problem."""
    import jsonschema

    errors = sorted(jsonschema.Draft202012Validator(schema(name)).iter_errors(event), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = "/".join(str(p) for p in first.absolute_path) or "(top level)"
        raise ValueError(f"{name} event does not match AWS's shape at {where}: {first.message}")


def key_paths(event: Any, prefix: str = "") -> set[str]:
    """Every key path of ``event`` (``Records[].s3.bucket.name``); stops at :data:`FREE_FORM` keys."""
    paths: set[str] = set()
    if isinstance(event, Mapping):
        for key, value in event.items():
            path = f"{prefix}.{key}" if prefix else key
            paths.add(path)
            if key not in FREE_FORM:
                paths |= key_paths(value, path)
    elif isinstance(event, list):
        for item in event:
            paths |= key_paths(item, f"{prefix}[]")
    return paths


def _now_iso(millis: bool = True) -> str:
    now = datetime.now(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z" if millis else now.strftime("%Y-%m-%dT%H:%M:%SZ")


def s3_put(bucket: str = "example-bucket", key: str = "test/key", size: int = 1024, *,
           event_name: str = "ObjectCreated:Put", region: str = REGION) -> dict[str, Any]:
    """An S3 event notification for one object. The key is URL-encoded as S3 sends it
    (``red flower.jpg`` arrives as ``red+flower.jpg``)."""
    event = template("s3-put")
    record = event["Records"][0]
    record.update(awsRegion=region, eventTime=_now_iso(), eventName=event_name)
    record["s3"]["bucket"].update(name=bucket, arn=f"arn:aws:s3:::{bucket}")
    record["s3"]["object"].update(key=quote_plus(key, safe="/"), size=int(size))
    return event


def sqs_receive(*bodies: str, queue: str = "my-queue", attributes: Mapping[str, Mapping[str, str]] | None = None,
                region: str = REGION, account: str = ACCOUNT) -> dict[str, Any]:
    """A batch of SQS messages as an event source mapping delivers it: one record per body."""
    if not bodies:
        bodies = ("Hello from SQS!",)
    event = template("sqs-receive")
    base = event["Records"][0]
    sent = str(int(datetime.now(timezone.utc).timestamp() * 1000))
    records = []
    for body in bodies:
        if not isinstance(body, str):
            raise TypeError(f"an SQS message body is a string (json.dumps it first), got {type(body).__name__}")
        record = copy.deepcopy(base)
        record.update(messageId=str(uuid.uuid4()), body=body, md5OfBody=hashlib.md5(body.encode()).hexdigest(),
                      eventSourceARN=f"arn:aws:sqs:{region}:{account}:{queue}", awsRegion=region,
                      messageAttributes={k: dict(v) for k, v in (attributes or {}).items()})
        record["attributes"].update(SentTimestamp=sent, ApproximateFirstReceiveTimestamp=sent)
        records.append(record)
    event["Records"] = records
    return event


def sns_notification(message: str = "Hello from SNS!", *, topic: str = "my-topic", subject: str | None = None,
                     attributes: Mapping[str, str] | None = None, region: str = REGION,
                     account: str = ACCOUNT) -> dict[str, Any]:
    """An SNS notification delivered to a subscribed function; ``attributes`` are String message attributes."""
    event = template("sns-notification")
    record = event["Records"][0]
    topic_arn = f"arn:aws:sns:{region}:{account}:{topic}"
    record["EventSubscriptionArn"] = f"{topic_arn}:{uuid.uuid4()}"
    record["Sns"].update(Message=message, Subject=subject, TopicArn=topic_arn, Timestamp=_now_iso(),
                         MessageId=str(uuid.uuid4()),
                         MessageAttributes={k: {"Type": "String", "Value": v} for k, v in (attributes or {}).items()})
    return event


def _query(query: Mapping[str, str | Iterable[str]] | None) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not query:
        return None, None
    multi = {k: [v] if isinstance(v, str) else list(v) for k, v in query.items()}
    return {k: v[-1] for k, v in multi.items()}, multi


def apigateway_rest(method: str = "GET", path: str = "/", *, body: str | Mapping[str, Any] | None = None,
                    resource: str | None = None, query: Mapping[str, str | Iterable[str]] | None = None,
                    headers: Mapping[str, str] | None = None, path_parameters: Mapping[str, str] | None = None,
                    stage: str = "dev", stage_variables: Mapping[str, str] | None = None,
                    account: str = ACCOUNT) -> dict[str, Any]:
    """A REST API Lambda proxy event (payload format 1.0). ``body`` given as a dict is JSON-encoded:
    API Gateway always hands the function a string (or null)."""
    event = template("apigateway-rest")
    method = method.upper()
    all_headers = {**event["headers"], **(headers or {})}
    single, multi = _query(query)
    event.update(resource=resource or path, path=path, httpMethod=method, headers=all_headers,
                 multiValueHeaders={k: [v] for k, v in all_headers.items()},
                 queryStringParameters=single, multiValueQueryStringParameters=multi,
                 pathParameters=dict(path_parameters) if path_parameters else None,
                 stageVariables=dict(stage_variables) if stage_variables else None,
                 body=json.dumps(body) if isinstance(body, Mapping) else body)
    ctx = event["requestContext"]
    ctx.update(accountId=account, stage=stage, requestId=str(uuid.uuid4()), resourcePath=resource or path,
               httpMethod=method)
    return event


def apigateway_http(method: str = "GET", path: str = "/", *, body: str | Mapping[str, Any] | None = None,
                    route_key: str | None = None, query: Mapping[str, str | Iterable[str]] | None = None,
                    headers: Mapping[str, str] | None = None, cookies: Iterable[str] = (),
                    path_parameters: Mapping[str, str] | None = None, stage: str = "$default",
                    stage_variables: Mapping[str, str] | None = None, account: str = ACCOUNT) -> dict[str, Any]:
    """An HTTP API Lambda proxy event, payload format 2.0: lower-case header names, repeated query
    parameters joined with commas, ``cookies`` as a list; fields without a value are left out."""
    event = template("apigateway-http")
    method = method.upper()
    route = route_key or "$default"
    multi = _query(query)[1] or {}
    event.update(routeKey=route, rawPath=path, rawQueryString=urlencode([(k, v) for k, vs in multi.items() for v in vs]),
                 headers={**event["headers"], **{k.lower(): v for k, v in (headers or {}).items()}})
    optional = {"cookies": list(cookies), "queryStringParameters": {k: ",".join(v) for k, v in multi.items()},
                "pathParameters": dict(path_parameters or {}), "stageVariables": dict(stage_variables or {}),
                "body": json.dumps(body) if isinstance(body, Mapping) else body}
    for key, value in optional.items():
        if value:
            event[key] = value
        else:
            event.pop(key, None)
    ctx = event["requestContext"]
    now = datetime.now(timezone.utc)
    ctx.update(accountId=account, routeKey=route, stage=stage, requestId=str(uuid.uuid4()),
               time=now.strftime("%d/%b/%Y:%H:%M:%S +0000"), timeEpoch=int(now.timestamp() * 1000))
    ctx["http"].update(method=method, path=path)
    return event


def eventbridge(detail_type: str = "Scheduled Event", source: str = "aws.events", detail: Mapping[str, Any] | None = None,
                *, rule: str = "my-rule", resources: Iterable[str] | None = None, region: str = REGION,
                account: str = ACCOUNT) -> dict[str, Any]:
    """An EventBridge event: by default the ``Scheduled Event`` a schedule rule sends; pass your own
    ``detail_type``, ``source`` and ``detail`` for a custom event (``PutEvents``)."""
    event = template("eventbridge")
    scheduled = detail_type == "Scheduled Event" and source == "aws.events"
    default_resources = [f"arn:aws:events:{region}:{account}:rule/{rule}"] if scheduled else []
    event.update({"id": str(uuid.uuid4()), "detail-type": detail_type, "source": source, "account": account,
                  "time": _now_iso(millis=False), "region": region,
                  "resources": list(resources) if resources is not None else default_resources,
                  "detail": dict(detail or {})})
    return event


def _attr(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    raise TypeError(f"give item attributes as str, int, float or bool (or in DynamoDB JSON), got {type(value).__name__}")


def _image(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if item is None:
        return None
    return {k: v if isinstance(v, Mapping) else _attr(v) for k, v in item.items()}


def dynamodb_stream(event_name: str = "INSERT", keys: Mapping[str, Any] | None = None, *,
                    new_image: Mapping[str, Any] | None = None, old_image: Mapping[str, Any] | None = None,
                    table: str = "my-table", view_type: str = "NEW_AND_OLD_IMAGES", region: str = REGION,
                    account: str = ACCOUNT) -> dict[str, Any]:
    """One DynamoDB Streams record (``INSERT``, ``MODIFY`` or ``REMOVE``). Plain values become
    DynamoDB JSON (``"7"`` -> ``{"S": "7"}``, ``7`` -> ``{"N": "7"}``)."""
    if event_name not in ("INSERT", "MODIFY", "REMOVE"):
        raise ValueError(f"eventName is INSERT, MODIFY or REMOVE, got {event_name!r}")
    event = template("dynamodb-stream")
    record = event["Records"][0]
    stream = record["dynamodb"]
    keys = keys or {"Id": 101}
    if event_name == "INSERT" and new_image is None:
        new_image = dict(keys)
    stream.update(Keys=_image(keys), ApproximateCreationDateTime=int(datetime.now(timezone.utc).timestamp()),
                  StreamViewType=view_type)
    stream.pop("NewImage", None)
    for field, image in (("NewImage", new_image), ("OldImage", old_image)):
        if image is not None:
            stream[field] = _image(image)
    stream["SizeBytes"] = len(json.dumps(stream))  # a stand-in: AWS reports the stream record's size in bytes
    record.update(eventID=uuid.uuid4().hex, eventName=event_name, awsRegion=region,
                  eventSourceARN=f"arn:aws:dynamodb:{region}:{account}:table/{table}/stream/2024-01-01T00:00:00.000")
    return event


_GENERATORS = {
    ("s3", "put"): s3_put, ("sqs", "receive-message"): sqs_receive, ("sns", "notification"): sns_notification,
    ("apigateway", "aws-proxy"): apigateway_rest, ("apigateway", "http-api-proxy"): apigateway_http,
    ("eventbridge", "scheduled-event"): eventbridge, ("dynamodb", "update"): dynamodb_stream,
}


def generate(service: str, event: str, **params: Any) -> dict[str, Any]:
    """``generate("s3", "put", bucket=..., key=...)``: the command-line shape of ``sam local generate-event``."""
    generator = _GENERATORS.get((service, event))
    if generator is None:
        known = ", ".join(f"{s} {e}" for s, e in _GENERATORS)
        raise ValueError(f"no generator for {service} {event}; known: {known}")
    return generator(**params)
