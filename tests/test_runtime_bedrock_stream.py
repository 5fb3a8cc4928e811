"""Bedrock streaming in the sandbox: ConverseStream, InvokeModelWithResponseStream, S3 delivery of invocation logs."""

from __future__ import annotations

import gzip
import json
import re

import boto3
from test_runtime_bedrock_runtime import guard  # noqa: F401 (the same guardrail fixture)
import pytest
from botocore.exceptions import ClientError

R = "us-east-1"
NOVA = "amazon.nova-micro-v1:0"
CLAUDE = "anthropic.claude-3-haiku-20240307-v1:0"
ROLE = "arn:aws:iam::123456789012:role/br"


@pytest.fixture
def rt(aws):
    return boto3.client("bedrock-runtime", region_name=R)


def _user(text):
    return [{"role": "user", "content": [{"text": text}]}]


def _events(response):
    return list(response["stream"])


def _chunks(response):
    return [json.loads(event["chunk"]["bytes"]) for event in response["body"]]


def _code(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_converse_stream_events_in_order_and_same_answer_as_converse(rt):
    response = rt.converse_stream(modelId=NOVA, messages=_user("What is DynamoDB?"))
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == "application/vnd.amazon.eventstream"
    events = _events(response)
    kinds = [next(iter(e)) for e in events]
    assert kinds[0] == "messageStart" and events[0]["messageStart"] == {"role": "assistant"}
    assert kinds[-3:] == ["contentBlockStop", "messageStop", "metadata"]
    deltas = [e["contentBlockDelta"] for e in events if "contentBlockDelta" in e]
    assert len(deltas) > 3 and {d["contentBlockIndex"] for d in deltas} == {0}
    plain = rt.converse(modelId=NOVA, messages=_user("What is DynamoDB?"))
    assert "".join(d["delta"]["text"] for d in deltas) == plain["output"]["message"]["content"][0]["text"]
    assert events[-2]["messageStop"] == {"stopReason": "end_turn"}
    metadata = events[-1]["metadata"]
    assert metadata["usage"] == plain["usage"] and metadata["metrics"]["latencyMs"] >= 1


def test_converse_stream_tool_use_input_in_pieces(rt):
    tools = {"tools": [{"toolSpec": {"name": "get_order", "description": "Look up an order",
                                     "inputSchema": {"json": {"type": "object", "properties": {"order_id": {"type": "integer"}}}}}}]}
    events = _events(rt.converse_stream(modelId=NOVA, messages=_user("Please call get_order for order 1234"), toolConfig=tools))
    start = next(e["contentBlockStart"] for e in events if "contentBlockStart" in e)
    assert start["start"]["toolUse"]["name"] == "get_order" and start["start"]["toolUse"]["toolUseId"].startswith("tooluse_")
    pieces = [e["contentBlockDelta"]["delta"]["toolUse"]["input"] for e in events if "contentBlockDelta" in e]
    assert len(pieces) > 1 and json.loads("".join(pieces)) == {"order_id": 1234}
    assert next(e["messageStop"] for e in events if "messageStop" in e) == {"stopReason": "tool_use"}


def test_converse_stream_request_errors_as_converse(rt):
    with pytest.raises(ClientError) as e:
        rt.converse_stream(modelId=NOVA, messages=[{"role": "assistant", "content": [{"text": "hi"}]}])
    assert _code(e)[0] == "ValidationException" and _code(e)[1].startswith("A conversation must start with a user message.")
    with pytest.raises(ClientError) as e:
        rt.converse_stream(modelId="acme.unknown-v1:0", messages=_user("x"))
    assert _code(e) == ("ValidationException", "The provided model identifier is invalid.")


def test_converse_stream_guardrail_blocks_input_and_masks_output(rt, guard):
    cfg = {"guardrailIdentifier": guard["guardrailId"], "guardrailVersion": "1", "trace": "enabled"}
    blocked = _events(rt.converse_stream(modelId=NOVA, messages=_user("Compare us with the competitor"), guardrailConfig=cfg))
    assert "".join(e["contentBlockDelta"]["delta"]["text"] for e in blocked if "contentBlockDelta" in e) == "INPUT BLOCKED"
    assert blocked[-2]["messageStop"]["stopReason"] == "guardrail_intervened"
    assert guard["guardrailId"] in blocked[-1]["metadata"]["trace"]["guardrail"]["inputAssessment"]
    masked = _events(rt.converse_stream(modelId=NOVA, messages=_user("Mail me at jane@example.com"),
                                        guardrailConfig={**cfg, "streamProcessingMode": "async"}))
    text = "".join(e["contentBlockDelta"]["delta"]["text"] for e in masked if "contentBlockDelta" in e)
    assert "jane@example.com" not in text and "{EMAIL}" in text
    assert masked[-2]["messageStop"]["stopReason"] == "guardrail_intervened"


def test_invoke_model_with_response_stream_claude_chunks(rt):
    body = json.dumps({"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200, "messages": [{"role": "user", "content": "Hi"}]})
    response = rt.invoke_model_with_response_stream(modelId=CLAUDE, body=body)
    assert response["contentType"] == "application/json"
    chunks = _chunks(response)
    types = [c["type"] for c in chunks]
    assert types[:2] == ["message_start", "content_block_start"]
    assert types[-3:] == ["content_block_stop", "message_delta", "message_stop"]
    assert chunks[0]["message"]["content"] == [] and chunks[0]["message"]["role"] == "assistant"
    deltas = [c["delta"] for c in chunks if c["type"] == "content_block_delta"]
    assert len(deltas) > 3 and {d["type"] for d in deltas} == {"text_delta"}
    whole = json.loads(rt.invoke_model(modelId=CLAUDE, body=body)["body"].read())
    assert "".join(d["text"] for d in deltas) == whole["content"][0]["text"]
    assert chunks[-2]["delta"]["stop_reason"] == "end_turn" and chunks[-2]["usage"]["output_tokens"] == whole["usage"]["output_tokens"]
    metrics = chunks[-1]["amazon-bedrock-invocationMetrics"]
    assert metrics["inputTokenCount"] == whole["usage"]["input_tokens"] and metrics["outputTokenCount"] == whole["usage"]["output_tokens"]


def test_invoke_model_with_response_stream_nova_chunks(rt):
    body = {"messages": [{"role": "user", "content": [{"text": "Hello there"}]}], "inferenceConfig": {"maxTokens": 4}}
    chunks = _chunks(rt.invoke_model_with_response_stream(modelId=NOVA, body=json.dumps(body)))
    assert [next(iter(c)) for c in chunks[:1] + chunks[-3:]] == ["messageStart", "contentBlockStop", "messageStop", "metadata"]
    text = "".join(c["contentBlockDelta"]["delta"]["text"] for c in chunks if "contentBlockDelta" in c)
    assert text == "[stand-in model]"
    assert chunks[-2] == {"messageStop": {"stopReason": "max_tokens"}}
    assert chunks[-1]["metadata"]["usage"]["outputTokens"] == 4


def test_embedding_model_does_not_stream(rt):
    with pytest.raises(ClientError) as e:
        rt.invoke_model_with_response_stream(modelId="amazon.titan-embed-text-v2:0", body=json.dumps({"inputText": "x"}))
    assert _code(e) == ("ValidationException", "The model is unsupported for streaming.")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def _user_client(name, actions):
    iam = boto3.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": actions, "Resource": f"arn:aws:bedrock:{R}::foundation-model/{NOVA}"}]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("bedrock-runtime", region_name=R, aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"]), iam.get_user(UserName=name)["User"]["Arn"]


def test_streaming_needs_invoke_model_with_response_stream(rt):
    invoker, arn = _user_client("invoker", "bedrock:InvokeModel")
    assert invoker.converse(modelId=NOVA, messages=_user("hi"))["stopReason"] == "end_turn"
    resource = f"arn:aws:bedrock:{R}::foundation-model/{NOVA}"
    for call in (lambda: invoker.converse_stream(modelId=NOVA, messages=_user("hi")),
                 lambda: invoker.invoke_model_with_response_stream(modelId=NOVA, body=json.dumps({"messages": _user("hi")}))):
        with pytest.raises(ClientError) as e:
            call()
        assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        assert _code(e) == ("AccessDeniedException", f"User: {arn} is not authorized to perform: "
                            f"bedrock:InvokeModelWithResponseStream on resource: {resource} because no identity-based "
                            "policy allows the bedrock:InvokeModelWithResponseStream action")
    streamer, _ = _user_client("streamer", "bedrock:InvokeModelWithResponseStream")
    assert _events(streamer.converse_stream(modelId=NOVA, messages=_user("hi")))[-2]["messageStop"]["stopReason"] == "end_turn"


def _logging(cloudwatch=True, s3=None):
    config = {"textDataDeliveryEnabled": True}
    if cloudwatch:
        boto3.client("logs", region_name=R).create_log_group(logGroupName="bedrock-invocations")
        config["cloudWatchConfig"] = {"logGroupName": "bedrock-invocations", "roleArn": ROLE}
    if s3 is not None:
        config["s3Config"] = s3
    boto3.client("bedrock", region_name=R).put_model_invocation_logging_configuration(loggingConfig=config)


def _records():
    events = boto3.client("logs", region_name=R).get_log_events(
        logGroupName="bedrock-invocations", logStreamName="aws/bedrock/modelinvocations")["events"]
    return [json.loads(e["message"]) for e in events]


def test_streams_are_logged_with_the_request_id_the_caller_sees(rt):
    _logging()
    stream = rt.converse_stream(modelId=NOVA, messages=_user("hello"))
    _events(stream)
    chunked = rt.invoke_model_with_response_stream(modelId=CLAUDE, body=json.dumps(
        {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 50, "messages": [{"role": "user", "content": "Hi"}]}))
    sent = _chunks(chunked)
    plain = rt.converse(modelId=NOVA, messages=_user("hello"))
    first, second, third = _records()
    assert first["operation"] == "ConverseStream" and first["requestId"] == stream["ResponseMetadata"]["RequestId"]
    assert first["output"]["outputBodyJson"]["output"]["message"]["content"][0]["text"].startswith("[stand-in model]")
    assert second["operation"] == "InvokeModelWithResponseStream" and second["modelId"] == CLAUDE
    assert second["requestId"] == chunked["ResponseMetadata"]["RequestId"] and second["output"]["outputBodyJson"] == sent
    assert third["operation"] == "Converse" and third["requestId"] == plain["ResponseMetadata"]["RequestId"]


def test_invocation_logs_delivered_to_s3(rt):
    s3 = boto3.client("s3", region_name=R)
    s3.create_bucket(Bucket="model-logs")
    _logging(cloudwatch=False, s3={"bucketName": "model-logs", "keyPrefix": "bedrock"})
    answer = rt.converse(modelId=NOVA, messages=_user("my SSN is 123-45-6789"))
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="model-logs")["Contents"]]
    assert len(keys) == 1
    assert re.fullmatch(rf"bedrock/AWSLogs/123456789012/BedrockModelInvocationLogs/{R}/\d{{4}}/\d\d/\d\d/\d\d/[^/]+\.json\.gz",
                        keys[0])
    lines = gzip.decompress(s3.get_object(Bucket="model-logs", Key=keys[0])["Body"].read()).decode().splitlines()
    record = json.loads(lines[0])
    assert len(lines) == 1 and record["schemaType"] == "ModelInvocationLog" and record["operation"] == "Converse"
    assert record["requestId"] == answer["ResponseMetadata"]["RequestId"]
    assert record["input"]["inputBodyJson"]["messages"][0]["content"][0]["text"] == "my SSN is 123-45-6789"


def test_missing_log_bucket_does_not_break_the_call(rt):
    _logging(cloudwatch=True, s3={"bucketName": "never-created"})
    assert rt.converse(modelId=NOVA, messages=_user("hi"))["stopReason"] == "end_turn"
    assert [r["operation"] for r in _records()] == ["Converse"]
