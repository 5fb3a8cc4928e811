"""Bedrock control plane in the sandbox: the foundation-model catalogue and guardrails with versions."""

from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import ClientError

GUARD = dict(blockedInputMessaging="Sorry, I can't answer that.", blockedOutputsMessaging="Sorry, blocked.",
             wordPolicyConfig={"wordsConfig": [{"text": "banana"}]})


@pytest.fixture
def bedrock(aws):
    return boto3.client("bedrock", region_name="us-east-1")


def test_catalogue_and_filters(bedrock):
    ids = {m["modelId"] for m in bedrock.list_foundation_models()["modelSummaries"]}
    assert {"amazon.nova-micro-v1:0", "amazon.nova-lite-v1:0", "amazon.nova-pro-v1:0", "amazon.titan-embed-text-v2:0",
            "anthropic.claude-3-haiku-20240307-v1:0", "meta.llama3-8b-instruct-v1:0"} <= ids
    emb = bedrock.list_foundation_models(byOutputModality="EMBEDDING")["modelSummaries"]
    assert [m["modelId"] for m in emb] == ["amazon.titan-embed-text-v2:0"]
    assert {m["providerName"] for m in bedrock.list_foundation_models(byProvider="anthropic")["modelSummaries"]} == {"Anthropic"}
    prov = bedrock.list_foundation_models(byInferenceType="PROVISIONED")["modelSummaries"]
    assert [m["modelId"] for m in prov] == ["amazon.titan-embed-text-v2:0"]


def test_get_foundation_model(bedrock):
    d = bedrock.get_foundation_model(modelIdentifier="amazon.nova-lite-v1:0")["modelDetails"]
    assert d["modelArn"] == "arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-lite-v1:0"
    assert d["providerName"] == "Amazon" and d["responseStreamingSupported"] is True
    assert d["modelLifecycle"] == {"status": "ACTIVE"}
    with pytest.raises(ClientError) as e:
        bedrock.get_foundation_model(modelIdentifier="amazon.nope-v1:0")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_guardrail_crud_and_versions(bedrock):
    g = bedrock.create_guardrail(name="demo", **GUARD)
    gid = g["guardrailId"]
    assert len(gid) == 12 and gid.isalnum() and gid == gid.lower()
    assert g["guardrailArn"].startswith("arn:aws:bedrock:us-east-1:") and g["guardrailArn"].endswith(f":guardrail/{gid}")
    assert g["version"] == "DRAFT" and g["ResponseMetadata"]["HTTPStatusCode"] == 202
    draft = bedrock.get_guardrail(guardrailIdentifier=g["guardrailArn"])
    assert draft["status"] == "READY" and draft["version"] == "DRAFT" and draft["wordPolicy"] == {"words": [{"text": "banana"}]}
    assert bedrock.create_guardrail_version(guardrailIdentifier=gid)["version"] == "1"
    bedrock.update_guardrail(guardrailIdentifier=gid, name="demo", blockedInputMessaging="no", blockedOutputsMessaging="no",
                             wordPolicyConfig={"wordsConfig": [{"text": "cherry"}]})
    assert bedrock.get_guardrail(guardrailIdentifier=gid)["wordPolicy"]["words"] == [{"text": "cherry"}]
    v1 = bedrock.get_guardrail(guardrailIdentifier=gid, guardrailVersion="1")
    assert v1["wordPolicy"]["words"] == [{"text": "banana"}] and v1["blockedInputMessaging"] == GUARD["blockedInputMessaging"]
    assert bedrock.create_guardrail_version(guardrailIdentifier=gid)["version"] == "2"
    listed = bedrock.list_guardrails(guardrailIdentifier=gid)["guardrails"]
    assert [x["version"] for x in listed] == ["DRAFT", "1", "2"]
    assert [x["id"] for x in bedrock.list_guardrails()["guardrails"]] == [gid]
    bedrock.delete_guardrail(guardrailIdentifier=gid, guardrailVersion="1")
    assert [x["version"] for x in bedrock.list_guardrails(guardrailIdentifier=gid)["guardrails"]] == ["DRAFT", "2"]
    bedrock.delete_guardrail(guardrailIdentifier=gid)
    assert bedrock.list_guardrails()["guardrails"] == []


def test_guardrail_errors(bedrock):
    gid = bedrock.create_guardrail(name="dup", **GUARD)["guardrailId"]
    with pytest.raises(ClientError) as e:
        bedrock.create_guardrail(name="dup", **GUARD)
    assert e.value.response["Error"]["Code"] == "ConflictException"
    with pytest.raises(ClientError) as e:
        bedrock.get_guardrail(guardrailIdentifier=gid, guardrailVersion="7")
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as e:
        bedrock.get_guardrail(guardrailIdentifier="abcdefabcdef")
    assert e.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(ClientError) as e:
        bedrock.create_guardrail(name="badfilter", **{**GUARD, "contentPolicyConfig": {"filtersConfig": [
            {"type": "PROMPT_ATTACK", "inputStrength": "HIGH", "outputStrength": "HIGH"}]}})
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert "PROMPT ATTACK" in e.value.response["Error"]["Message"]


def test_guardrails_are_wiped_with_the_sandbox(aws, bedrock):
    bedrock.create_guardrail(name="temp", **GUARD)
    aws.reset()
    assert bedrock.list_guardrails()["guardrails"] == []
