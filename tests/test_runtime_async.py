"""Async (Event) invocations: retries, OnSuccess/OnFailure destinations, DLQ."""

from __future__ import annotations

import json

import boto3
from runtime_helpers import make_function

FAIL = "def handler(e, c):\n    raise RuntimeError('nope ' + str(e.get('n')))\n"
OK = "def handler(e, c):\n    return {'doubled': e['n'] * 2}\n"


def _queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return url, arn


def _drain(url: str) -> list[dict]:
    msgs = boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10, MessageAttributeNames=["All"]).get("Messages", [])
    return msgs


def test_event_returns_202_and_retries_then_on_failure_destination(aws):
    from course_utils import runtime

    url, arn = _queue("failures")
    make_function("flaky", FAIL)
    lam = boto3.client("lambda")
    lam.put_function_event_invoke_config(FunctionName="flaky", DestinationConfig={"OnFailure": {"Destination": arn}})
    resp = lam.invoke(FunctionName="flaky", InvocationType="Event", Payload=json.dumps({"n": 7}))
    assert resp["StatusCode"] == 202 and resp["Payload"].read() == b""
    assert len(runtime.invocations("flaky")) == 3  # default MaximumRetryAttempts=2
    (msg,) = _drain(url)
    record = json.loads(msg["Body"])
    assert record["version"] == "1.0"
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["requestContext"]["functionArn"].endswith(":function:flaky:$LATEST")
    assert record["requestPayload"] == {"n": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"}
    assert record["responsePayload"]["errorMessage"] == "nope 7"


def test_maximum_retry_attempts_zero_runs_once(aws):
    from course_utils import runtime

    make_function("once", FAIL)
    lam = boto3.client("lambda")
    lam.put_function_event_invoke_config(FunctionName="once", MaximumRetryAttempts=0)
    lam.invoke(FunctionName="once", InvocationType="Event", Payload=b"{}")
    assert len(runtime.invocations("once")) == 1


def test_on_success_destination_gets_response(aws):
    url, arn = _queue("successes")
    make_function("good", OK)
    lam = boto3.client("lambda")
    lam.put_function_event_invoke_config(FunctionName="good", DestinationConfig={"OnSuccess": {"Destination": arn}})
    lam.invoke(FunctionName="good", InvocationType="Event", Payload=json.dumps({"n": 21}))
    (msg,) = _drain(url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responsePayload"] == {"doubled": 42}


def test_dead_letter_queue_receives_original_event(aws):
    url, arn = _queue("dlq")
    make_function("dl", FAIL, DeadLetterConfig={"TargetArn": arn})
    lam = boto3.client("lambda")
    assert lam.get_function_configuration(FunctionName="dl")["DeadLetterConfig"] == {"TargetArn": arn}
    lam.invoke(FunctionName="dl", InvocationType="Event", Payload=json.dumps({"n": 1}))
    (msg,) = _drain(url)
    assert json.loads(msg["Body"]) == {"n": 1}
    assert msg["MessageAttributes"]["ErrorMessage"]["StringValue"] == "nope 1"
    assert "RequestID" in msg["MessageAttributes"]


def test_on_failure_to_sns_and_lambda_and_eventbridge(aws):
    from course_utils import runtime

    sns = boto3.client("sns")
    topic = sns.create_topic(Name="fails")["TopicArn"]
    url, qarn = _queue("from-topic")
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=qarn, Attributes={"RawMessageDelivery": "true"})
    make_function("catcher", "def handler(e, c):\n    return e['requestContext']['condition']\n")
    make_function("bad1", FAIL)
    make_function("bad2", FAIL)
    lam = boto3.client("lambda")
    lam.put_function_event_invoke_config(FunctionName="bad1", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": topic}})
    catcher_arn = lam.get_function(FunctionName="catcher")["Configuration"]["FunctionArn"]
    lam.put_function_event_invoke_config(FunctionName="bad2", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": catcher_arn}})
    lam.invoke(FunctionName="bad1", InvocationType="Event", Payload=b"{}")
    lam.invoke(FunctionName="bad2", InvocationType="Event", Payload=b"{}")
    (msg,) = _drain(url)
    assert json.loads(msg["Body"])["requestContext"]["condition"] == "RetriesExhausted"
    assert len(runtime.invocations("catcher")) == 1

    events = boto3.client("events")
    bus = events.create_event_bus(Name="results")["EventBusArn"]
    url2, qarn2 = _queue("bus-target")
    events.put_rule(Name="all", EventBusName="results", EventPattern=json.dumps({"source": ["lambda"]}))
    events.put_targets(Rule="all", EventBusName="results", Targets=[{"Id": "q", "Arn": qarn2}])
    make_function("bad3", FAIL)
    lam.put_function_event_invoke_config(FunctionName="bad3", MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": bus}})
    lam.invoke(FunctionName="bad3", InvocationType="Event", Payload=b"{}")
    (evt,) = _drain(url2)
    body = json.loads(evt["Body"])
    assert body["detail-type"] == "Lambda Function Invocation Result - Failure"
    assert body["detail"]["requestContext"]["condition"] == "RetriesExhausted"
