"""Lambda handlers really run: invoke, context, env, layers, errors, logs, versions, timeouts."""

from __future__ import annotations

import base64
import json
import os
import re

import boto3
import pytest
from botocore.exceptions import ClientError
from runtime_helpers import invoke_json, log_messages, make_function, zip_bytes

ECHO = """
import os
def handler(event, context):
    return {
        "event": event,
        "request_id": context.aws_request_id,
        "function_name": context.function_name,
        "function_version": context.function_version,
        "memory": context.memory_limit_in_mb,
        "arn": context.invoked_function_arn,
        "group": context.log_group_name,
        "stream": context.log_stream_name,
        "remaining": context.get_remaining_time_in_millis(),
        "stage": os.environ.get("STAGE"),
    }
"""


def test_invoke_runs_handler_with_context_and_env(aws):
    make_function("echo", ECHO, MemorySize=256, Timeout=5, Environment={"Variables": {"STAGE": "dev"}})
    resp, body = invoke_json("echo", {"k": "v"})
    assert resp["StatusCode"] == 200 and "FunctionError" not in resp
    assert resp["ExecutedVersion"] == "$LATEST"
    assert body["event"] == {"k": "v"}
    assert body["function_name"] == "echo" and body["function_version"] == "$LATEST"
    assert body["memory"] == 256
    assert body["arn"] == "arn:aws:lambda:us-east-1:123456789012:function:echo"
    assert body["group"] == "/aws/lambda/echo"
    assert re.fullmatch(r"\d{4}/\d{2}/\d{2}/\[\$LATEST\][0-9a-f]{32}", body["stream"])
    assert 4000 < body["remaining"] <= 5000
    assert re.fullmatch(r"[0-9a-f-]{36}", body["request_id"])
    assert body["stage"] == "dev"
    assert os.environ.get("STAGE") is None  # restored after the invocation


def test_handler_boto3_calls_share_sandbox_state(aws):
    make_function("maker", """
import boto3
def handler(event, context):
    boto3.client("s3").create_bucket(Bucket=event["bucket"])
    return [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
""")
    _, body = invoke_json("maker", {"bucket": "made-by-handler"})
    assert body == ["made-by-handler"]
    assert [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]] == ["made-by-handler"]


def test_layers_python_folder_is_importable(aws):
    lam = boto3.client("lambda")
    layer = lam.publish_layer_version(
        LayerName="helpers", Content={"ZipFile": zip_bytes({"python/greet.py": "def hi(n):\n    return 'hi ' + n\n"})}
    )
    make_function("uses-layer", "import greet\ndef handler(e, c):\n    return greet.hi(e['n'])\n", Layers=[layer["LayerVersionArn"]])
    _, body = invoke_json("uses-layer", {"n": "ana"})
    assert body == "hi ana"


def test_two_functions_with_same_module_name_are_isolated(aws):
    make_function("a", "def handler(e, c):\n    return 'A'\n")
    make_function("b", "def handler(e, c):\n    return 'B'\n")
    assert invoke_json("a")[1] == "A"
    assert invoke_json("b")[1] == "B"
    assert invoke_json("a")[1] == "A"


def test_unhandled_error_payload_and_log(aws):
    make_function("boom", "def handler(e, c):\n    raise ValueError('bad input')\n")
    resp, body = invoke_json("boom", {}, LogType="Tail")
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError" and body["errorMessage"] == "bad input"
    assert any("raise ValueError" in line for line in body["stackTrace"])
    tail = base64.b64decode(resp["LogResult"]).decode()
    assert "[ERROR] ValueError: bad input" in tail


def test_import_error_is_runtime_import_module_error(aws):
    make_function("broken", "import not_a_module\ndef handler(e, c):\n    return 1\n")
    resp, body = invoke_json("broken")
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert "Unable to import module 'app'" in body["errorMessage"]


def test_log_tail_prints_logging_and_cloudwatch(aws):
    make_function("talk", """
import logging
logger = logging.getLogger()
logger.setLevel(logging.INFO)
def handler(event, context):
    print("printed", event["n"])
    logger.info("logged %s", event["n"])
    return "ok"
""")
    resp, _ = invoke_json("talk", {"n": 1}, LogType="Tail")
    tail = base64.b64decode(resp["LogResult"]).decode()
    lines = tail.splitlines()
    assert lines[0].startswith("START RequestId: ") and lines[0].endswith("Version: $LATEST")
    assert "printed 1" in lines
    assert any(re.match(r"\[INFO\]\t\d{4}-\d\d-\d\dT[\d:.]+Z\t[0-9a-f-]{36}\tlogged 1", line) for line in lines)
    assert lines[-2].startswith("END RequestId: ")
    assert re.match(r"REPORT RequestId: \S+\tDuration: [\d.]+ ms\tBilled Duration: \d+ ms\tMemory Size: 128 MB\tMax Memory Used: \d+ MB\tInit Duration: [\d.]+ ms", lines[-1])
    invoke_json("talk", {"n": 2})
    messages = log_messages("/aws/lambda/talk")
    assert "printed 1" in messages and "printed 2" in messages
    reports = [m for m in messages if m.startswith("REPORT")]
    assert len(reports) == 2 and sum("Init Duration" in r for r in reports) == 1
    streams = boto3.client("logs").describe_log_streams(logGroupName="/aws/lambda/talk")["logStreams"]
    assert len(streams) == 1 and re.fullmatch(r"\d{4}/\d\d/\d\d/\[\$LATEST\][0-9a-f]{32}", streams[0]["logStreamName"])


def test_cold_then_warm_and_update_forces_cold(aws):
    from course_utils import runtime

    make_function("counter", "COUNT = 0\ndef handler(e, c):\n    global COUNT\n    COUNT += 1\n    return COUNT\n")
    assert [invoke_json("counter")[1] for _ in range(3)] == [1, 2, 3]  # module state survives: warm
    boto3.client("lambda").update_function_configuration(FunctionName="counter", Environment={"Variables": {"X": "1"}})
    assert invoke_json("counter")[1] == 1  # config update: new environment
    records = runtime.invocations("counter")
    assert [r.cold for r in records] == [True, False, False, True]
    assert records[0].init_duration_ms is not None and records[1].init_duration_ms is None
    assert all(r.version == "$LATEST" and r.duration_ms > 0 for r in records)


def test_qualifier_selects_version_code_and_config(aws):
    lam = boto3.client("lambda")
    make_function("ver", "import os\ndef handler(e, c):\n    return ['v1', os.environ['STAGE']]\n", Environment={"Variables": {"STAGE": "one"}})
    lam.publish_version(FunctionName="ver")
    lam.update_function_code(FunctionName="ver", ZipFile=zip_bytes({"app.py": "import os\ndef handler(e, c):\n    return ['v2', os.environ['STAGE']]\n"}))
    lam.update_function_configuration(FunctionName="ver", Environment={"Variables": {"STAGE": "two"}})
    lam.publish_version(FunctionName="ver")
    lam.create_alias(FunctionName="ver", Name="live", FunctionVersion="1")
    r1, b1 = invoke_json("ver", Qualifier="1")
    r2, b2 = invoke_json("ver", Qualifier="2")
    rl, bl = invoke_json("ver", Qualifier="live")
    ra, ba = invoke_json("ver:live")
    assert (b1, r1["ExecutedVersion"]) == (["v1", "one"], "1")
    assert (b2, r2["ExecutedVersion"]) == (["v2", "two"], "2")
    assert (bl, rl["ExecutedVersion"]) == (["v1", "one"], "1")
    assert ba == ["v1", "one"]
    assert invoke_json("ver")[1] == ["v2", "two"]


def test_weighted_alias_routes_about_ten_percent(aws):
    lam = boto3.client("lambda")
    make_function("canary", "def handler(e, c):\n    return 1\n")
    lam.publish_version(FunctionName="canary")
    lam.update_function_configuration(FunctionName="canary", Description="v2")
    lam.publish_version(FunctionName="canary")
    lam.create_alias(FunctionName="canary", Name="live", FunctionVersion="1", RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    n = 600
    versions = [lam.invoke(FunctionName="canary", Qualifier="live")["ExecutedVersion"] for _ in range(n)]
    share = versions.count("2") / n
    assert set(versions) == {"1", "2"}
    assert 0.06 <= share <= 0.14, share


def test_timeout_is_enforced(aws):
    make_function("slow", "import time\ndef handler(e, c):\n    time.sleep(1.5)\n    return 'done'\n", Timeout=1)
    resp, body = invoke_json("slow", LogType="Tail")
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Sandbox.Timedout"
    assert body["errorMessage"].endswith("Task timed out after 1.00 seconds")
    tail = base64.b64decode(resp["LogResult"]).decode()
    assert "Task timed out after 1.00 seconds" in tail and "Status: timeout" in tail


def test_invoke_inside_time_travel_runs_to_the_end(aws):
    """A handler that makes AWS calls, invoked while the notebook's clock is frozen, finishes normally:
    the timeout is measured on a clock time travel does not freeze (it used to fire at once)."""
    from freezegun import freeze_time

    make_function("listing", "import boto3\ndef handler(e, c):\n    boto3.client('s3').list_buckets()\n"
                  "    return c.get_remaining_time_in_millis() > 0\n", Timeout=3)
    with freeze_time("2026-01-05 09:00:00"):
        resp, body = invoke_json("listing")
    assert "FunctionError" not in resp, body
    assert body is True


def test_reserved_concurrency_zero_throttles(aws):
    make_function("off", "def handler(e, c):\n    return 1\n")
    lam = boto3.client("lambda")
    lam.put_function_concurrency(FunctionName="off", ReservedConcurrentExecutions=0)
    with pytest.raises(ClientError) as exc:
        lam.invoke(FunctionName="off")
    assert exc.value.response["Error"]["Code"] == "TooManyRequestsException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    lam.delete_function_concurrency(FunctionName="off")
    assert invoke_json("off")[1] == 1


def test_dry_run_does_not_execute(aws):
    make_function("dry", "def handler(e, c):\n    raise RuntimeError('should not run')\n")
    resp = boto3.client("lambda").invoke(FunctionName="dry", InvocationType="DryRun")
    assert resp["StatusCode"] == 204
    from course_utils import runtime

    assert runtime.invocations("dry") == []


def test_marshal_error(aws):
    make_function("unjson", "def handler(e, c):\n    return {1, 2}\n")
    resp, body = invoke_json("unjson")
    assert resp["FunctionError"] == "Unhandled" and body["errorType"] == "Runtime.MarshalError"


def test_unknown_function_is_404(aws):
    with pytest.raises(ClientError) as exc:
        boto3.client("lambda").invoke(FunctionName="nope")
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
