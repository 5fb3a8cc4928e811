"""GetTraceSummaries with a FilterExpression through plain boto3: matching traces, summaries' fields, errors.

Also the X-Ray variables Lambda sets in a function's environment."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
from botocore.exceptions import ClientError
from freezegun import freeze_time
from runtime_helpers import make_function

from course_utils.runtime import xray_tracing

REGION = "us-east-1"
T = datetime(2026, 11, 2, 14, 0, tzinfo=timezone.utc)
WINDOW = {"StartTime": T - timedelta(minutes=1), "EndTime": T + timedelta(minutes=10)}


@pytest.fixture
def xray(aws):
    xray_tracing.reset_state()
    yield boto3.client("xray", region_name=REGION)
    xray_tracing.reset_state()


def _trace(n: int, tier: str, status: int, seconds: float) -> tuple[str, list[str]]:
    """A stage segment (the entry point) and a function segment whose ``## handler`` carries the annotations."""
    start = T.timestamp() + n
    trace_id = f"1-{int(start):08x}-{n:024x}"
    stage = {"name": "shop/prod", "id": f"{n:015x}a", "trace_id": trace_id, "start_time": start,
             "end_time": start + seconds, "origin": "AWS::ApiGateway::Stage",
             "http": {"request": {"method": "GET", "url": f"https://api.example.com/prod/orders/{n}"},
                      "response": {"status": status}},
             **({"fault": True} if status >= 500 else {"error": True} if status >= 400 else {}),
             "subsegments": [{"name": "Lambda", "id": f"{n:015x}b", "start_time": start, "end_time": start + seconds}]}
    function = {"name": "orders", "id": f"{n:015x}c", "trace_id": trace_id, "parent_id": f"{n:015x}b",
                "start_time": start + 0.01, "end_time": start + seconds - 0.01, "origin": "AWS::Lambda::Function",
                "subsegments": [{"name": "## handler", "id": f"{n:015x}d", "start_time": start + 0.01,
                                 "end_time": start + seconds - 0.01,
                                 "annotations": {"customer_tier": tier, "ColdStart": n == 0, "items": n}}]}
    return trace_id, [json.dumps(stage), json.dumps(function)]


@pytest.fixture
def traces(xray):
    ids = {}
    for n, (tier, status, seconds) in enumerate([("gold", 200, 0.2), ("silver", 200, 3.5), ("gold", 502, 1.2),
                                                 ("bronze", 404, 0.1)]):
        trace_id, docs = _trace(n, tier, status, seconds)
        assert xray.put_trace_segments(TraceSegmentDocuments=docs)["UnprocessedTraceSegments"] == []
        ids[n] = trace_id
    return ids


def _ids(xray, expression: str | None = None) -> set[str]:
    kwargs = {"FilterExpression": expression} if expression is not None else {}
    return {s["Id"] for s in xray.get_trace_summaries(**WINDOW, **kwargs)["TraceSummaries"]}


@pytest.mark.parametrize("expression, expected", [
    ('annotation.customer_tier = "gold"', {0, 2}),
    ("annotation.ColdStart = true", {0}),
    ('annotation.customer_tier = "gold" AND responsetime > 1', {2}),
    ("responsetime >= 3", {1}),
    ("fault OR error", {2, 3}),
    ("ok", {0, 1}),
    ("http.status = 404", {3}),
    ('http.url ENDSWITH "/orders/1"', {1}),
    ('service("orders") AND annotation.items >= 2', {2, 3}),
    ('annotation.customer_tier = "platinum"', set()),
])
def test_filter_expression_keeps_the_matching_traces(xray, traces, expression, expected):
    assert _ids(xray, expression) == {traces[n] for n in expected}


def test_without_a_filter_every_trace_is_listed_and_the_count_is_of_traces_scanned(xray, traces):
    assert _ids(xray) == set(traces.values())
    answer = xray.get_trace_summaries(**WINDOW, FilterExpression="annotation.ColdStart = true")
    assert len(answer["TraceSummaries"]) == 1 and answer["TracesProcessedCount"] == 4


def test_summaries_carry_annotations_times_and_http_as_xray_shapes_them(xray, traces):
    [summary] = xray.get_trace_summaries(**WINDOW, FilterExpression="http.status = 502")["TraceSummaries"]
    service = {"Name": "orders", "Names": ["orders"], "Type": "AWS::Lambda::Function"}
    assert summary["Annotations"]["customer_tier"] == [{"AnnotationValue": {"StringValue": "gold"},
                                                        "ServiceIds": [service]}]
    assert summary["Annotations"]["ColdStart"][0]["AnnotationValue"] == {"BooleanValue": False}
    assert summary["Annotations"]["items"][0]["AnnotationValue"] == {"NumberValue": 2.0}
    assert summary["ResponseTime"] == pytest.approx(1.2) and summary["Duration"] == pytest.approx(1.2)
    assert summary["Http"] == {"HttpURL": "https://api.example.com/prod/orders/2", "HttpStatus": 502,
                               "HttpMethod": "GET"}
    assert summary["HasFault"] is True


@pytest.mark.parametrize("expression, fragment", [
    ('annotation.customer_tier = "gold', "Unterminated string"),
    ("responsetime >", "Expected a value"),
    ("latency > 5", "Unknown keyword 'latency'"),
    ('edge("api", "orders") { fault }', "not supported"),
])
def test_a_malformed_expression_is_an_invalid_request_not_a_500(xray, traces, expression, fragment):
    with pytest.raises(ClientError) as caught:
        xray.get_trace_summaries(**WINDOW, FilterExpression=expression)
    error = caught.value.response
    assert error["Error"]["Code"] == "InvalidRequestException"
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Message"].startswith("Invalid filter expression: ") and fragment in error["Error"]["Message"]


HANDLER = """
def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("card declined")
    return {"ok": event["order"]}
"""


def test_traces_an_active_function_records_are_filtered_by_service_and_fault(xray):
    # (Powertools Tracer's annotations are not exercised here: once a Tracer function has run, the X-Ray SDK's
    # process-wide botocore patch changes what later non-Tracer functions record, see the report.)
    make_function("checkout", HANDLER, TracingConfig={"Mode": "Active"})
    lam = boto3.client("lambda", region_name=REGION)
    with freeze_time(T) as clock:
        for i, fail in enumerate([False, True, False]):
            clock.move_to(T + timedelta(seconds=i))  # a new second: the reservoir samples each invocation
            lam.invoke(FunctionName="checkout", Payload=json.dumps({"order": f"A-{i}", "fail": fail}))
    everything = xray.get_trace_summaries(**WINDOW)["TraceSummaries"]
    assert len(everything) == 3
    failed = _ids(xray, 'service("checkout") { fault }')
    assert len(failed) == 1
    assert _ids(xray, 'service("checkout") AND responsetime > 0') == {s["Id"] for s in everything}
    assert _ids(xray, '!service("checkout") { fault }') == {s["Id"] for s in everything} - failed
    assert _ids(xray, 'service("billing")') == set()


ENV = """
import os
def handler(event, context):
    return {k: os.environ.get(k) for k in ("AWS_XRAY_CONTEXT_MISSING", "AWS_XRAY_DAEMON_ADDRESS")}
"""


def test_lambda_sets_the_xray_sdk_variables_and_the_functions_environment_overrides_them(aws):
    lam = boto3.client("lambda", region_name=REGION)
    make_function("plain", ENV)
    make_function("custom", ENV, Environment={"Variables": {"AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR"}})
    plain = json.loads(lam.invoke(FunctionName="plain")["Payload"].read())
    custom = json.loads(lam.invoke(FunctionName="custom")["Payload"].read())
    assert plain["AWS_XRAY_CONTEXT_MISSING"] == "LOG_ERROR"
    host, _, port = plain["AWS_XRAY_DAEMON_ADDRESS"].rpartition(":")  # IP_ADDRESS:PORT
    assert host.count(".") == 3 and port == "2000"
    assert custom["AWS_XRAY_CONTEXT_MISSING"] == "IGNORE_ERROR"
