"""X-Ray active tracing: Active functions and traced REST stages put real segments; SDK calls are subsegments."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import boto3
import pytest
import requests
from freezegun import freeze_time
from runtime_helpers import make_function

from course_utils.runtime import xray_tracing
from course_utils.sim import xray_map

REGION = "us-east-1"
T = datetime(2026, 11, 2, 14, 0, tzinfo=timezone.utc)
WINDOW = (T - timedelta(minutes=1), T + timedelta(minutes=10))

ECHO = """
import json, os
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"env": os.environ.get("_X_AMZN_TRACE_ID"),
            "hdr": (event.get("headers") or {}).get("X-Amzn-Trace-Id")})}
"""

ORDERS = """
import json, boto3
ddb = boto3.client("dynamodb")
def handler(event, context):
    ddb.put_item(TableName="Orders", Item={"pk": {"S": "a"}})
    if event.get("fail"):
        ddb.get_item(TableName="Missing", Key={"pk": {"S": "a"}})
    return {"statusCode": 200, "body": "ok"}
"""


@pytest.fixture
def xray(aws):
    xray_tracing.reset_state()
    yield boto3.client("xray", region_name=REGION)
    xray_tracing.reset_state()


def segments() -> list[dict]:
    return xray_map.stored_segments(*WINDOW)


def by_origin(docs: list[dict], origin: str) -> list[dict]:
    return [d for d in docs if d.get("origin") == origin]


def invoke(name: str, payload: dict | None = None) -> dict:
    out = boto3.client("lambda", region_name=REGION).invoke(FunctionName=name, Payload=json.dumps(payload or {}))
    return json.loads(out["Payload"].read())


def test_active_function_records_service_and_function_segments(xray):
    make_function("echo", ECHO, TracingConfig={"Mode": "Active"})
    with freeze_time(T):
        body = json.loads(invoke("echo")["body"])
    docs = segments()
    [service] = by_origin(docs, "AWS::Lambda")
    [function] = by_origin(docs, "AWS::Lambda::Function")
    assert service["name"] == function["name"] == "echo"
    assert service["trace_id"] == function["trace_id"]
    assert function["parent_id"] == service["subsegments"][0]["id"]  # Lambda service -> function edge
    assert [s["name"] for s in function["subsegments"]] == ["Initialization", "Invocation"]  # cold start
    header = xray_tracing.TraceHeader.parse(body["env"])  # the handler sees _X_AMZN_TRACE_ID
    assert (header.root, header.parent, header.sampled) == (function["trace_id"], function["id"], True)
    assert header.root.startswith(f"1-{int(T.timestamp()):08x}-")


def test_passthrough_function_without_upstream_records_nothing(xray):
    make_function("echo", ECHO)  # PassThrough is the default
    with freeze_time(T):
        body = json.loads(invoke("echo")["body"])
    assert body["env"] is None
    assert segments() == []


def test_lambda_samples_first_request_each_second_then_five_percent(xray):
    make_function("echo", ECHO, TracingConfig={"Mode": "Active"})
    with freeze_time(T):
        headers = [xray_tracing.TraceHeader.parse(json.loads(invoke("echo")["body"])["env"]) for _ in range(30)]
    assert headers[0].sampled is True  # the reservoir: first request of the second
    sampled = sum(h.sampled for h in headers)
    assert sampled < 8  # the rest at 5 %
    assert len(by_origin(segments(), "AWS::Lambda")) == sampled
    assert all(h.parent for h in headers)  # unsampled invocations still get Root;Parent;Sampled=0
    with freeze_time(T + timedelta(minutes=1)) as clock:
        for i in range(3):
            clock.move_to(T + timedelta(minutes=1, seconds=i))
            assert xray_tracing.TraceHeader.parse(json.loads(invoke("echo")["body"])["env"]).sampled is True


def test_sdk_calls_are_subsegments_with_status_and_flags(xray):
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="Orders", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    make_function("orders", ORDERS, TracingConfig={"Mode": "Active"})
    with freeze_time(T) as clock:
        invoke("orders")
        clock.move_to(T + timedelta(seconds=1))
        failed = invoke("orders", {"fail": True})
    assert failed["errorType"] == "ResourceNotFoundException"
    functions = sorted(by_origin(segments(), "AWS::Lambda::Function"), key=lambda d: d["start_time"])
    ok_calls = functions[0]["subsegments"][-1]["subsegments"]
    assert [(c["name"], c["namespace"], c["aws"]["operation"], c["aws"]["table_name"], c["http"]["response"]["status"])
            for c in ok_calls] == [("DynamoDB", "aws", "PutItem", "Orders", 200)]
    assert not any(k in ok_calls[0] for k in ("error", "fault", "throttle"))
    put, get = functions[1]["subsegments"][-1]["subsegments"]
    assert get["http"]["response"]["status"] == 400 and get["error"] is True and "fault" not in get
    assert get["cause"]["exceptions"][0]["type"] == "ResourceNotFoundException"
    assert functions[1]["fault"] is True  # the unhandled error faults the function
    assert functions[1]["cause"]["exceptions"][0]["type"] == "ResourceNotFoundException"


def _api(function_arn: str, *, tracing: bool) -> str:
    apigw = boto3.client("apigateway", region_name=REGION)
    api_id = apigw.create_rest_api(name="shop-api")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    rid = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
    apigw.put_method(restApiId=api_id, resourceId=rid, httpMethod="POST", authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=rid, httpMethod="POST", type="AWS_PROXY", integrationHttpMethod="POST",
                          uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{function_arn}/invocations")
    apigw.create_deployment(restApiId=api_id, stageName="prod")
    if tracing:
        apigw.update_stage(restApiId=api_id, stageName="prod",
                           patchOperations=[{"op": "replace", "path": "/tracingEnabled", "value": "true"}])
    return f"https://{api_id}.execute-api.{REGION}.amazonaws.com/prod/orders"


def test_traced_stage_propagates_the_header_to_an_active_function(xray):
    fn = make_function("echo", ECHO, TracingConfig={"Mode": "Active"})
    url = _api(fn["FunctionArn"], tracing=True)
    with freeze_time(T):
        answer = requests.post(url, json={})
    assert answer.status_code == 200
    docs = segments()
    [stage] = by_origin(docs, "AWS::ApiGateway::Stage")
    [service] = by_origin(docs, "AWS::Lambda")
    assert stage["name"] == "shop-api/prod" and stage["http"]["response"]["status"] == 200
    assert service["trace_id"] == stage["trace_id"] and service["parent_id"] == stage["subsegments"][0]["id"]
    seen = xray_tracing.TraceHeader.parse(answer.json()["hdr"])  # the proxy event's header
    assert (seen.root, seen.sampled) == (stage["trace_id"], True)
    graph, simulated = xray_map.service_graph(*WINDOW)
    assert [(s["Name"], s["Type"]) for s in graph["Services"]][0] == ("shop-api/prod", "AWS::ApiGateway::Stage")


def test_passthrough_function_behind_a_traced_stage_keeps_only_the_trace_id(xray):
    fn = make_function("echo", ECHO)
    url = _api(fn["FunctionArn"], tracing=True)
    with freeze_time(T):
        body = requests.post(url, json={}).json()
    docs = segments()
    [stage] = docs  # no AWS::Lambda or AWS::Lambda::Function segment
    assert stage["origin"] == "AWS::ApiGateway::Stage"
    assert body["env"] == f"Root={stage['trace_id']}"


def test_untraced_stage_adds_a_root_header_and_records_nothing(xray):
    fn = make_function("echo", ECHO)
    url = _api(fn["FunctionArn"], tracing=False)
    with freeze_time(T):
        body = requests.post(url, json={}).json()
        resent = requests.post(url, json={}, headers={"X-Amzn-Trace-Id": "Root=1-6ae89760-000000000000000000000001;Sampled=1"}).json()
    header = xray_tracing.TraceHeader.parse(body["hdr"])
    assert header.root.startswith("1-") and header.parent is None and header.sampled is None
    assert resent["env"] == "Root=1-6ae89760-000000000000000000000001"  # an upstream trace passes through
    assert segments() == []


def test_an_upstream_not_sampled_decision_is_followed(xray):
    fn = make_function("echo", ECHO, TracingConfig={"Mode": "Active"})
    url = _api(fn["FunctionArn"], tracing=True)
    with freeze_time(T):
        body = requests.post(url, json={}, headers={"X-Amzn-Trace-Id": "Root=1-6ae89760-000000000000000000000002;Sampled=0"}).json()
    assert xray_tracing.TraceHeader.parse(body["env"]).sampled is False
    assert segments() == []


def test_a_failing_call_shows_as_root_cause_on_the_map(xray):
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="Orders", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")
    fn = make_function("orders", ORDERS.replace('event.get("fail")', 'json.loads(event["body"]).get("fail")'),
                       TracingConfig={"Mode": "Active"})
    url = _api(fn["FunctionArn"], tracing=True)
    with freeze_time(T) as clock:
        statuses = []
        for i, fail in enumerate([False, True, False]):
            clock.move_to(T + timedelta(seconds=i))
            statuses.append(requests.post(url, json={"fail": fail}).status_code)
    assert statuses == [200, 502, 200]
    graph, _ = xray_map.service_graph(*WINDOW)
    stats = {(s["Name"], s["Type"]): s["SummaryStatistics"] for s in graph["Services"]}
    assert stats[("shop-api/prod", "AWS::ApiGateway::Stage")]["FaultStatistics"]["TotalCount"] == 1
    assert stats[("Orders", "AWS::DynamoDB::Table")]["TotalCount"] == 3
    assert stats[("Missing", "AWS::DynamoDB::Table")]["ErrorStatistics"]["OtherCount"] == 1
    assert xray_map.root_causes(graph) == ["orders"]


def test_a_function_calling_an_active_function_links_both_in_one_trace(xray):
    make_function("inner", ECHO, TracingConfig={"Mode": "Active"})
    make_function("outer", "import boto3\nlam = boto3.client('lambda')\n"
                           "def handler(event, context):\n    return lam.invoke(FunctionName='inner')['StatusCode']\n",
                  TracingConfig={"Mode": "Active"})
    with freeze_time(T):
        assert invoke("outer") == 200
    docs = segments()
    outer = next(d for d in by_origin(docs, "AWS::Lambda::Function") if d["name"] == "outer")
    inner = next(d for d in by_origin(docs, "AWS::Lambda") if d["name"] == "inner")
    [call] = outer["subsegments"][-1]["subsegments"]
    assert (call["name"], call["aws"]["operation"]) == ("Lambda", "Invoke")
    assert inner["trace_id"] == outer["trace_id"] and inner["parent_id"] == call["id"]


def test_update_function_configuration_turns_active_tracing_on_and_off(xray):
    lam = boto3.client("lambda", region_name=REGION)
    make_function("echo", ECHO)
    answer = lam.update_function_configuration(FunctionName="echo", TracingConfig={"Mode": "Active"})
    assert answer["TracingConfig"] == {"Mode": "Active"}
    assert lam.get_function_configuration(FunctionName="echo")["TracingConfig"] == {"Mode": "Active"}
    with freeze_time(T):
        invoke("echo")
    assert len(by_origin(segments(), "AWS::Lambda")) == 1
    lam.update_function_configuration(FunctionName="echo", TracingConfig={"Mode": "PassThrough"})
    with freeze_time(T + timedelta(seconds=5)):
        assert json.loads(invoke("echo")["body"])["env"] is None
    assert len(by_origin(segments(), "AWS::Lambda")) == 1


def test_a_rerun_at_the_same_times_replaces_its_traces(xray):
    fn = make_function("echo", ECHO, TracingConfig={"Mode": "Active"})

    def traffic() -> dict:
        url = _api(fn["FunctionArn"], tracing=True)  # a new API each time, as deploy.fresh_rest_api makes
        with freeze_time(T) as clock:
            for i in range(3):
                clock.move_to(T + timedelta(seconds=i))
                requests.post(url, json={})
        graph, _ = xray_map.service_graph(*WINDOW)
        return {s["Name"] + " " + s["Type"]: s["SummaryStatistics"]["TotalCount"] for s in graph["Services"]}

    first = traffic()
    assert first == {"shop-api/prod AWS::ApiGateway::Stage": 3, "echo AWS::Lambda": 3, "echo AWS::Lambda::Function": 3}
    assert traffic() == first


# --- Powertools Tracer / the X-Ray SDK inside a handler (xray_sdk_bridge) ------------------------------------

POWERTOOLS = """
import boto3
from aws_lambda_powertools import Tracer

tracer = Tracer(service="orders", patch_modules=["boto3"])
ddb = boto3.client("dynamodb")

@tracer.capture_method
def save(order):
    ddb.put_item(TableName="Orders", Item={"pk": {"S": order}})
    return order

@tracer.capture_lambda_handler
def handler(event, context):
    tracer.put_annotation("customer_tier", "gold")
    tracer.put_metadata("order", {"id": event["order"], "items": 3})
    return {"saved": save(event["order"])}
"""


def _orders_table() -> None:
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="Orders", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST")


def _walk(doc: dict) -> list[dict]:
    out, stack = [], list(doc.get("subsegments", []))
    while stack:
        sub = stack.pop()
        out.append(sub)
        stack.extend(sub.get("subsegments", []))
    return out


def test_powertools_tracer_subsegments_nest_under_the_function_segment(xray):
    _orders_table()
    make_function("orders", POWERTOOLS, TracingConfig={"Mode": "Active"})
    with freeze_time(T) as clock:
        assert invoke("orders", {"order": "A-1"}) == {"saved": "A-1"}
        clock.move_to(T + timedelta(seconds=1))
        assert invoke("orders", {"order": "A-2"}) == {"saved": "A-2"}
    functions = sorted(by_origin(segments(), "AWS::Lambda::Function"), key=lambda d: d["start_time"])
    assert len(functions) == 2
    for n, function in enumerate(functions):
        [handler] = [s for s in function["subsegments"] if s["name"] == "## handler"]
        assert handler["annotations"] == {"ColdStart": n == 0, "Service": "orders", "customer_tier": "gold"}
        assert handler["metadata"]["orders"]["order"] == {"id": f"A-{n + 1}", "items": 3}
        assert handler["metadata"]["orders"]["handler response"] == {"saved": f"A-{n + 1}"}
        [save] = handler["subsegments"]
        # Powertools names a captured method "## <module>.<qualified name>"
        assert save["name"] == "## app.save" and save["metadata"]["orders"]["app.save response"] == f"A-{n + 1}"
        [call] = save["subsegments"]
        assert (call["name"], call["namespace"], call["aws"]["operation"], call["aws"]["table_name"]) == (
            "dynamodb", "aws", "PutItem", "Orders")
        assert call["http"]["response"]["status"] == 200
        # recorded once: not also by the sandbox's own SDK-call hook under Invocation
        assert [s["name"] for s in _walk(function)].count("DynamoDB") == 0
        assert [s["name"] for s in _walk(function)].count("dynamodb") == 1
        assert not any(k in s for s in _walk(function) for k in ("trace_id", "parent_id", "type"))
        inner = _walk(function)
        assert all(function["start_time"] <= s["start_time"] <= s["end_time"] <= function["end_time"] for s in inner)
    [raw] = boto3.client("xray", region_name=REGION).batch_get_traces(TraceIds=[functions[0]["trace_id"]])["Traces"]
    assert any("## handler" in s["Document"] for s in raw["Segments"])  # what BatchGetTraces returns
    graph, _ = xray_map.service_graph(*WINDOW)
    stats = {(s["Name"], s["Type"]): s["SummaryStatistics"]["TotalCount"] for s in graph["Services"]}
    assert stats[("Orders", "AWS::DynamoDB::Table")] == 2  # the map still infers the table from the SDK's subsegment


def test_powertools_tracer_without_a_sampled_trace_records_nothing_and_does_not_fail(xray, capsys):
    _orders_table()
    # PassThrough, no upstream trace; in Lambda the SDK's context-missing strategy does not apply
    make_function("orders", POWERTOOLS, Environment={"Variables": {"AWS_XRAY_CONTEXT_MISSING": "RUNTIME_ERROR"}})
    make_function("sampled-out", POWERTOOLS, TracingConfig={"Mode": "Active"})
    with freeze_time(T):
        assert invoke("orders", {"order": "A-1"}) == {"saved": "A-1"}
        invoke("sampled-out", {"order": "A-0"})  # takes the reservoir of this second
        unsampled = [invoke("sampled-out", {"order": f"B-{i}"}) for i in range(5)]
    assert unsampled == [{"saved": f"B-{i}"} for i in range(5)]
    functions = by_origin(segments(), "AWS::Lambda::Function")
    assert 1 <= len(functions) < 6 and {f["name"] for f in functions} == {"sampled-out"}  # 1/s, then 5 %
    assert all([s["name"] for s in f["subsegments"]].count("## handler") == 1 for f in functions)
    assert len(segments()) == 2 * len(functions)  # nothing else stored: no orphan SDK documents
    logs = boto3.client("logs", region_name=REGION)
    events = logs.filter_log_events(logGroupName="/aws/lambda/orders")["events"]
    assert not any("discarded" in e["message"] or "segment" in e["message"].lower() for e in events)
    assert capsys.readouterr().err == ""


def test_powertools_trace_disabled_records_no_sdk_subsegments_and_stays_per_function(xray):
    _orders_table()
    make_function("quiet", POWERTOOLS, TracingConfig={"Mode": "Active"},
                  Environment={"Variables": {"POWERTOOLS_TRACE_DISABLED": "true"}})
    make_function("orders", POWERTOOLS, TracingConfig={"Mode": "Active"})
    with freeze_time(T) as clock:
        assert invoke("quiet", {"order": "Q-1"}) == {"saved": "Q-1"}
        clock.move_to(T + timedelta(seconds=1))
        invoke("orders", {"order": "A-1"})
        clock.move_to(T + timedelta(seconds=2))
        invoke("quiet", {"order": "Q-2"})  # warm: still disabled
        clock.move_to(T + timedelta(seconds=3))
        invoke("orders", {"order": "A-2"})  # warm: still traced
    by_name: dict[str, list[dict]] = {}
    for doc in sorted(by_origin(segments(), "AWS::Lambda::Function"), key=lambda d: d["start_time"]):
        by_name.setdefault(doc["name"], []).append(doc)
    assert [len(by_name["quiet"]), len(by_name["orders"])] == [2, 2]  # Lambda still traces the invocations
    for doc in by_name["quiet"]:  # but Tracer adds nothing, and the sandbox records the SDK call as before
        names = [s["name"] for s in _walk(doc)]
        assert "## handler" not in names and names.count("DynamoDB") == 1
    for doc in by_name["orders"]:
        assert "## handler" in [s["name"] for s in doc["subsegments"]]


def test_the_notebooks_own_calls_stay_untraced_after_a_tracer_patched_botocore(xray, capsys, monkeypatch):
    import logging

    _orders_table()
    make_function("orders", POWERTOOLS, TracingConfig={"Mode": "Active"})
    with freeze_time(T):
        invoke("orders", {"order": "A-1"})
    monkeypatch.setenv("AWS_XRAY_CONTEXT_MISSING", "RUNTIME_ERROR")
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logging.getLogger("aws_xray_sdk").addHandler(handler)
    try:
        boto3.client("dynamodb", region_name=REGION).get_item(TableName="Orders", Key={"pk": {"S": "A-1"}})
    finally:
        logging.getLogger("aws_xray_sdk").removeHandler(handler)
    assert [r.getMessage() for r in records if r.levelno >= logging.WARNING] == []
    assert len(by_origin(segments(), "AWS::Lambda::Function")) == 1


def test_powertools_tracer_behind_a_traced_stage_joins_the_stage_trace(xray):
    _orders_table()
    fn = make_function("orders", POWERTOOLS.replace('event["order"]', 'json.loads(event["body"])["order"]')
                       .replace("import boto3", "import boto3, json")
                       .replace('return {"saved": save(json.loads(event["body"])["order"])}',
                                'return {"statusCode": 200, "body": save(json.loads(event["body"])["order"])}'),
                       TracingConfig={"Mode": "Active"})
    url = _api(fn["FunctionArn"], tracing=True)
    with freeze_time(T):
        answer = requests.post(url, json={"order": "A-9"})
    assert answer.status_code == 200 and answer.text == "A-9"
    docs = segments()
    [stage] = by_origin(docs, "AWS::ApiGateway::Stage")
    [function] = by_origin(docs, "AWS::Lambda::Function")
    assert function["trace_id"] == stage["trace_id"]
    [handler] = [s for s in function["subsegments"] if s["name"] == "## handler"]
    assert handler["annotations"]["customer_tier"] == "gold" and handler["annotations"]["ColdStart"] is True
    assert [s["name"] for s in _walk(handler)] == ["## app.save", "dynamodb"]


def test_a_function_without_the_sdk_is_traced_the_same_after_a_tracer_function_ran(xray):
    """On AWS each function is its own process: a Tracer function's patch of botocore does not reach another
    function. In the sandbox the patch is process-wide, so a function whose code does not use the SDK keeps
    it off, and its SDK calls are recorded by the sandbox as before, once, whichever function ran first."""
    _orders_table()
    make_function("orders-pt", POWERTOOLS, TracingConfig={"Mode": "Active"})
    make_function("orders", ORDERS, TracingConfig={"Mode": "Active"})
    with freeze_time(T) as clock:
        assert invoke("orders-pt", {"order": "A-1"}) == {"saved": "A-1"}  # patches botocore in this process
        for second in (1, 2):  # a cold and a warm invocation of the plain function
            clock.move_to(T + timedelta(seconds=second))
            invoke("orders")
    plain = sorted((f for f in by_origin(segments(), "AWS::Lambda::Function") if f["name"] == "orders"),
                   key=lambda d: d["start_time"])
    assert len(plain) == 2
    for function in plain:
        names = [s["name"] for s in _walk(function)]
        assert names.count("DynamoDB") == 1 and "dynamodb" not in names and "## handler" not in names
