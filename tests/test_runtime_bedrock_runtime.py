"""Bedrock runtime in the sandbox: InvokeModel bodies, Converse, guardrails, IAM per model, invocation logs."""

from __future__ import annotations

import json
import math

import boto3
import pytest
from botocore.exceptions import ClientError

R = "us-east-1"
NOVA = "amazon.nova-micro-v1:0"


@pytest.fixture
def rt(aws):
    return boto3.client("bedrock-runtime", region_name=R)


def _invoke(rt, model, body, **kw):
    out = rt.invoke_model(modelId=model, body=json.dumps(body), **kw)
    return json.loads(out["body"].read())


def _code(e):
    return e.value.response["Error"]["Code"], e.value.response["Error"]["Message"]


def test_invoke_model_native_bodies(rt):
    claude = _invoke(rt, "anthropic.claude-3-haiku-20240307-v1:0",
                     {"anthropic_version": "bedrock-2023-05-31", "max_tokens": 200, "messages": [{"role": "user", "content": "Hi"}]})
    assert claude["type"] == "message" and claude["role"] == "assistant" and claude["stop_reason"] == "end_turn"
    assert claude["content"][0]["text"].startswith("[stand-in model] You asked: \u201cHi\u201d")
    assert set(claude["usage"]) == {"input_tokens", "output_tokens"}
    nova = _invoke(rt, NOVA, {"messages": [{"role": "user", "content": [{"text": "Hello"}]}], "inferenceConfig": {"maxTokens": 3}})
    assert nova["stopReason"] == "max_tokens" and nova["usage"]["outputTokens"] == 3
    assert nova["output"]["message"]["content"][0]["text"] == "[stand-in mo"
    llama = _invoke(rt, "meta.llama3-8b-instruct-v1:0", {"prompt": "Repeat: 42", "max_gen_len": 50})
    assert llama == {"generation": "42", "prompt_token_count": 3, "generation_token_count": 1, "stop_reason": "stop"}
    emb = _invoke(rt, "amazon.titan-embed-text-v2:0", {"inputText": "hello world", "dimensions": 256})
    assert len(emb["embedding"]) == 256 and emb["inputTextTokenCount"] == 3
    assert math.isclose(sum(v * v for v in emb["embedding"]), 1.0, rel_tol=1e-9)
    assert emb == _invoke(rt, "amazon.titan-embed-text-v2:0", {"inputText": "hello world", "dimensions": 256})


def test_invoke_model_errors(rt):
    with pytest.raises(ClientError) as e:
        _invoke(rt, "anthropic.claude-3-haiku-20240307-v1:0", {"messages": [{"role": "user", "content": "Hi"}]})
    code, message = _code(e)
    assert code == "ValidationException"
    assert message.startswith("Malformed input request: ") and message.endswith(", please reformat your input and try again.")
    with pytest.raises(ClientError) as e:
        _invoke(rt, "acme.unknown-v1:0", {"prompt": "x"})
    assert _code(e) == ("ValidationException", "The provided model identifier is invalid.")


def test_converse_text_and_max_tokens(rt):
    out = rt.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "What is DynamoDB?"}]}],
                      system=[{"text": "Be brief."}])
    assert out["stopReason"] == "end_turn" and out["output"]["message"]["role"] == "assistant"
    assert "What is DynamoDB?" in out["output"]["message"]["content"][0]["text"]
    u = out["usage"]
    assert u["totalTokens"] == u["inputTokens"] + u["outputTokens"] and out["metrics"]["latencyMs"] >= 1
    short = rt.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "Hi"}]}], inferenceConfig={"maxTokens": 2})
    assert short["stopReason"] == "max_tokens" and short["usage"]["outputTokens"] == 2


def test_converse_tool_use_round_trip(rt):
    tools = {"tools": [{"toolSpec": {"name": "get_order", "description": "Look up an order",
                                     "inputSchema": {"json": {"type": "object", "properties": {"order_id": {"type": "integer"}}}}}}]}
    msgs = [{"role": "user", "content": [{"text": "Please call get_order for order 1234"}]}]
    first = rt.converse(modelId=NOVA, messages=msgs, toolConfig=tools)
    assert first["stopReason"] == "tool_use"
    use = first["output"]["message"]["content"][0]["toolUse"]
    assert use["name"] == "get_order" and use["input"] == {"order_id": 1234}
    msgs += [first["output"]["message"],
             {"role": "user", "content": [{"toolResult": {"toolUseId": use["toolUseId"], "content": [{"json": {"status": "shipped"}}]}}]}]
    final = rt.converse(modelId=NOVA, messages=msgs, toolConfig=tools)
    assert final["stopReason"] == "end_turn"
    assert final["output"]["message"]["content"][0]["text"] == '[stand-in model] Based on the tool results: {"status": "shipped"}'


def test_converse_validation(rt):
    def err(**kw):
        with pytest.raises(ClientError) as e:
            rt.converse(modelId=kw.pop("modelId", NOVA), **kw)
        return _code(e)

    assert err(messages=[{"role": "assistant", "content": [{"text": "hi"}]}])[1].startswith("A conversation must start with a user message.")
    assert err(messages=[{"role": "user", "content": [{"text": "a"}]}, {"role": "user", "content": [{"text": "b"}]}])[1].startswith(
        "A conversation must alternate between user and assistant roles.")
    code, msg = err(messages=[{"role": "user", "content": [{"toolResult": {"toolUseId": "x", "content": [{"text": "r"}]}}]}])
    assert code == "ValidationException" and "exceeds the number of toolUse blocks of previous turn" in msg
    tools = {"tools": [{"toolSpec": {"name": "t", "inputSchema": {"json": {"type": "object"}}}}]}
    assert err(modelId="meta.llama3-8b-instruct-v1:0", messages=[{"role": "user", "content": [{"text": "x"}]}],
               toolConfig=tools) == ("ValidationException", "This model doesn't support tool use.")


@pytest.fixture
def guard(aws):
    b = boto3.client("bedrock", region_name=R)
    g = b.create_guardrail(name="support", blockedInputMessaging="INPUT BLOCKED", blockedOutputsMessaging="OUTPUT BLOCKED",
                           wordPolicyConfig={"wordsConfig": [{"text": "competitor"}]},
                           sensitiveInformationPolicyConfig={"piiEntitiesConfig": [
                               {"type": "EMAIL", "action": "ANONYMIZE", "inputEnabled": False, "outputEnabled": True}]})
    b.create_guardrail_version(guardrailIdentifier=g["guardrailId"])
    return g


def test_apply_guardrail(rt, guard):
    out = rt.apply_guardrail(guardrailIdentifier=guard["guardrailId"], guardrailVersion="1", source="INPUT",
                             content=[{"text": {"text": "tell me about the competitor"}}])
    assert out["action"] == "GUARDRAIL_INTERVENED" and out["outputs"] == [{"text": "INPUT BLOCKED"}]
    ok = rt.apply_guardrail(guardrailIdentifier=guard["guardrailArn"], guardrailVersion="DRAFT", source="INPUT",
                            content=[{"text": {"text": "hello"}}])
    assert ok["action"] == "NONE"


def test_converse_guardrail_blocks_input_before_the_model(rt, guard):
    cfg = {"guardrailIdentifier": guard["guardrailId"], "guardrailVersion": "1", "trace": "enabled"}
    out = rt.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "Compare us with the competitor"}]}],
                      guardrailConfig=cfg)
    assert out["stopReason"] == "guardrail_intervened"
    assert out["output"]["message"]["content"] == [{"text": "INPUT BLOCKED"}]
    assert out["usage"]["outputTokens"] == 0
    assert guard["guardrailId"] in out["trace"]["guardrail"]["inputAssessment"]


def test_converse_guardrail_masks_pii_in_the_output(rt, guard):
    cfg = {"guardrailIdentifier": guard["guardrailId"], "guardrailVersion": "1"}
    out = rt.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "Mail me at jane@example.com"}]}],
                      guardrailConfig=cfg)
    text = out["output"]["message"]["content"][0]["text"]
    assert out["stopReason"] == "guardrail_intervened" and "jane@example.com" not in text and "{EMAIL}" in text
    plain = rt.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "Mail me at jane@example.com"}]}])
    assert "jane@example.com" in plain["output"]["message"]["content"][0]["text"]


def test_invoke_model_with_guardrail_headers(rt, guard):
    body = _invoke(rt, NOVA, {"messages": [{"role": "user", "content": [{"text": "the competitor is better"}]}]},
                   guardrailIdentifier=guard["guardrailId"], guardrailVersion="1")
    assert body["output"]["message"]["content"][0]["text"] == "INPUT BLOCKED"
    assert body["amazon-bedrock-guardrailAction"] == "INTERVENED"


def _user_client(name, policy):
    iam = boto3.client("iam")
    iam.create_user(UserName=name)
    iam.put_user_policy(UserName=name, PolicyName="p", PolicyDocument=json.dumps(policy))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("bedrock-runtime", region_name=R, aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"]), iam.get_user(UserName=name)["User"]["Arn"]


def test_iam_user_allowed_one_model_denied_another(rt):
    allowed = f"arn:aws:bedrock:{R}::foundation-model/{NOVA}"
    client, arn = _user_client("dev", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": allowed}]})
    msgs = [{"role": "user", "content": [{"text": "hi"}]}]
    assert client.converse(modelId=NOVA, messages=msgs)["stopReason"] == "end_turn"
    other = "anthropic.claude-3-haiku-20240307-v1:0"
    with pytest.raises(ClientError) as e:
        client.converse(modelId=other, messages=msgs)
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert _code(e) == ("AccessDeniedException", f"User: {arn} is not authorized to perform: bedrock:InvokeModel on resource: "
                        f"arn:aws:bedrock:{R}::foundation-model/{other} because no identity-based policy allows the "
                        "bedrock:InvokeModel action")


def test_policy_requiring_a_guardrail(rt, guard):
    gv = f"{guard['guardrailArn']}:1"
    client, arn = _user_client("app", {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": ["bedrock:InvokeModel", "bedrock:ApplyGuardrail"], "Resource": "*"},
        {"Effect": "Deny", "Action": "bedrock:InvokeModel", "Resource": "*",
         "Condition": {"StringNotEquals": {"bedrock:GuardrailIdentifier": gv}}}]})
    msgs = [{"role": "user", "content": [{"text": "hi"}]}]
    with pytest.raises(ClientError) as e:
        client.converse(modelId=NOVA, messages=msgs)
    assert _code(e)[0] == "AccessDeniedException" and _code(e)[1].endswith("with an explicit deny in an identity-based policy")
    out = client.converse(modelId=NOVA, messages=msgs,
                          guardrailConfig={"guardrailIdentifier": guard["guardrailId"], "guardrailVersion": "1"})
    assert out["stopReason"] == "end_turn"


def test_invocation_logging_writes_the_prompt(rt):
    logs = boto3.client("logs", region_name=R)
    logs.create_log_group(logGroupName="bedrock-invocations")
    boto3.client("bedrock", region_name=R).put_model_invocation_logging_configuration(loggingConfig={
        "cloudWatchConfig": {"logGroupName": "bedrock-invocations", "roleArn": "arn:aws:iam::123456789012:role/br"},
        "textDataDeliveryEnabled": True})
    rt.converse(modelId=NOVA, messages=[{"role": "user", "content": [{"text": "my SSN is 123-45-6789"}]}])
    events = logs.get_log_events(logGroupName="bedrock-invocations", logStreamName="aws/bedrock/modelinvocations")["events"]
    assert len(events) == 1
    record = json.loads(events[0]["message"])
    assert record["schemaType"] == "ModelInvocationLog" and record["operation"] == "Converse" and record["modelId"] == NOVA
    assert record["identity"]["arn"].endswith(":root")
    assert record["input"]["inputBodyJson"]["messages"][0]["content"][0]["text"] == "my SSN is 123-45-6789"
    assert record["output"]["outputTokenCount"] > 0 and record["input"]["inputTokenCount"] > 0


def test_assumed_role_credentials_use_the_role_policies(rt):
    iam = boto3.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="invoker", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    iam.put_role_policy(RoleName="invoker", PolicyName="p", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "bedrock:InvokeModel", "Resource": f"arn:aws:bedrock:{R}::foundation-model/{NOVA}"}]}))
    c = boto3.client("sts").assume_role(RoleArn=role["Arn"], RoleSessionName="sess")["Credentials"]
    client = boto3.client("bedrock-runtime", region_name=R, aws_access_key_id=c["AccessKeyId"],
                          aws_secret_access_key=c["SecretAccessKey"], aws_session_token=c["SessionToken"])
    msgs = [{"role": "user", "content": [{"text": "hi"}]}]
    assert client.converse(modelId=NOVA, messages=msgs)["stopReason"] == "end_turn"
    with pytest.raises(ClientError) as e:
        client.converse(modelId="amazon.nova-pro-v1:0", messages=msgs)
    assert _code(e)[1].startswith("User: arn:aws:sts::") and ":assumed-role/invoker/sess is not authorized" in _code(e)[1]
