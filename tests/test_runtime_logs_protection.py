"""CloudWatch Logs data protection policies in the sandbox: masking at ingestion, logs:Unmask."""

from __future__ import annotations

import base64
import gzip
import json
import time

import boto3
import pytest
from botocore.exceptions import ClientError

REGION = "us-east-1"
EMAIL = "arn:aws:dataprotection::aws:data-identifier/EmailAddress"
SECRET = "bob@example.com"
MASKED = "*" * len(SECRET)


def policy(ids=(EMAIL,), custom=None) -> str:
    body = {"Name": "protect", "Version": "2021-06-01", "Statement": [
        {"Sid": "audit", "DataIdentifier": list(ids), "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"Sid": "redact", "DataIdentifier": list(ids), "Operation": {"Deidentify": {"MaskConfig": {}}}},
    ]}
    if custom:
        body["Configuration"] = {"CustomDataIdentifier": custom}
    return json.dumps(body)


def group(logs, name: str = "app") -> None:
    logs.create_log_group(logGroupName=name)
    logs.create_log_stream(logGroupName=name, logStreamName="s")


def put(logs, *messages: str, name: str = "app") -> None:
    now = int(time.time() * 1000)
    logs.put_log_events(logGroupName=name, logStreamName="s",
                        logEvents=[{"timestamp": now + i, "message": m} for i, m in enumerate(messages)])


def read(logs, **kw) -> list[str]:
    return [e["message"] for e in logs.get_log_events(logGroupName="app", logStreamName="s", startFromHead=True,
                                                      **kw)["events"]]


@pytest.fixture
def logs(aws):
    client = boto3.client("logs", region_name=REGION)
    group(client)
    return client


def test_put_get_delete_policy_round_trip(logs):
    arn = logs.describe_log_groups(logGroupNamePrefix="app")["logGroups"][0]["arn"]
    answer = logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=policy())
    assert answer["logGroupIdentifier"] == "app" and answer["policyDocument"] == policy()
    assert isinstance(answer["lastUpdatedTime"], int)
    got = logs.get_data_protection_policy(logGroupIdentifier=arn)  # by ARN too
    assert got["policyDocument"] == policy() and got["lastUpdatedTime"] == answer["lastUpdatedTime"]
    logs.delete_data_protection_policy(logGroupIdentifier="app")
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier="app")


def test_an_invalid_document_is_refused_with_invalid_parameter(logs):
    bad = json.loads(policy())
    bad["Statement"][1]["DataIdentifier"] = ["arn:aws:dataprotection::aws:data-identifier/Ssn-US"]
    with pytest.raises(ClientError) as info:
        logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=json.dumps(bad))
    assert info.value.response["Error"]["Code"] == "InvalidParameterException"
    assert "must match exactly" in info.value.response["Error"]["Message"]
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier="app")


def test_an_unknown_log_group_is_not_found(logs):
    with pytest.raises(ClientError) as info:
        logs.put_data_protection_policy(logGroupIdentifier="missing", policyDocument=policy())
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_only_events_ingested_after_the_policy_are_masked(logs):
    put(logs, f"before {SECRET}")
    logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=policy())
    put(logs, f"after {SECRET}")
    expected = [f"before {SECRET}", f"after {MASKED}"]
    assert read(logs) == expected
    assert [e["message"] for e in logs.filter_log_events(logGroupName="app")["events"]] == expected


def test_deleting_the_policy_does_not_unmask_what_was_masked(logs):
    logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=policy())
    put(logs, f"during {SECRET}")
    logs.delete_data_protection_policy(logGroupIdentifier="app")
    put(logs, f"later {SECRET}")
    assert read(logs) == [f"during {MASKED}", f"later {SECRET}"]


def test_insights_results_show_the_masked_message(logs):
    logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=policy())
    put(logs, f"login {SECRET}")
    query = logs.start_query(logGroupName="app", startTime=0, endTime=int(time.time()) + 60,
                             queryString="fields @timestamp, @message")["queryId"]
    rows = logs.get_query_results(queryId=query)["results"]
    assert [f["value"] for f in rows[0] if f["field"] == "@message"] == [f"login {MASKED}"]


def test_custom_identifiers_are_masked(logs):
    doc = policy(ids=("EmployeeId",), custom=[{"Name": "EmployeeId", "Regex": r"EmployeeID-\d{9}"}])
    logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=doc)
    put(logs, f"EmployeeID-123456789 {SECRET}")
    assert read(logs) == ["*" * 20 + f" {SECRET}"]


def test_subscription_filters_receive_the_masked_text(logs):
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="audit", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="audit")["StreamDescription"]["StreamARN"]
    logs.put_subscription_filter(logGroupName="app", filterName="all", filterPattern="", destinationArn=arn,
                                 roleArn="arn:aws:iam::123456789012:role/cwl")
    logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=policy())
    put(logs, f"login {SECRET}")
    shard = kinesis.describe_stream(StreamName="audit")["StreamDescription"]["Shards"][0]["ShardId"]
    it = kinesis.get_shard_iterator(StreamName="audit", ShardId=shard, ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    records = kinesis.get_records(ShardIterator=it)["Records"]
    data = records[0]["Data"]
    try:
        payload = json.loads(gzip.decompress(data))
    except OSError:
        payload = json.loads(gzip.decompress(base64.b64decode(data)))
    assert [e["message"] for e in payload["logEvents"]] == [f"login {MASKED}"]


def test_the_account_root_may_unmask(logs):
    logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=policy())
    put(logs, f"login {SECRET}")
    assert read(logs, unmask=True) == [f"login {SECRET}"]
    assert [e["message"] for e in logs.filter_log_events(logGroupName="app", unmask=True)["events"]] == [f"login {SECRET}"]


def user_logs(name: str, statement: dict | None) -> tuple[object, str]:
    iam = boto3.client("iam")
    user = iam.create_user(UserName=name)["User"]["Arn"]
    if statement:
        iam.put_user_policy(UserName=name, PolicyName="logs",
                            PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [statement]}))
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return boto3.client("logs", region_name=REGION, aws_access_key_id=key["AccessKeyId"],
                        aws_secret_access_key=key["SecretAccessKey"]), user


def test_an_iam_user_allowed_logs_unmask_sees_the_original(logs):
    logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=policy())
    put(logs, f"login {SECRET}")
    reader, _ = user_logs("auditor", {"Effect": "Allow", "Action": ["logs:Unmask", "logs:GetLogEvents"],
                                      "Resource": "arn:aws:logs:*:*:log-group:app:*"})
    assert [e["message"] for e in reader.get_log_events(logGroupName="app", logStreamName="s", unmask=True)["events"]] \
        == [f"login {SECRET}"]
    assert [e["message"] for e in reader.get_log_events(logGroupName="app", logStreamName="s")["events"]] \
        == [f"login {MASKED}"]


def test_an_iam_user_without_logs_unmask_is_denied(logs):
    logs.put_data_protection_policy(logGroupIdentifier="app", policyDocument=policy())
    put(logs, f"login {SECRET}")
    reader, user = user_logs("developer", {"Effect": "Allow", "Action": "logs:Get*", "Resource": "*"})
    assert [e["message"] for e in reader.get_log_events(logGroupName="app", logStreamName="s")["events"]] \
        == [f"login {MASKED}"]
    for call in (lambda: reader.get_log_events(logGroupName="app", logStreamName="s", unmask=True),
                 lambda: reader.filter_log_events(logGroupName="app", unmask=True)):
        with pytest.raises(ClientError) as info:
            call()
        error = info.value.response["Error"]
        assert error["Code"] == "AccessDeniedException"
        assert error["Message"].startswith(f"User: {user} is not authorized to perform: logs:Unmask on resource: "
                                           "arn:aws:logs:us-east-1:")
        assert error["Message"].endswith("because no identity-based policy allows the logs:Unmask action")


def test_an_explicit_deny_wins_over_an_allow(logs):
    put(logs, "nothing to hide")
    iam = boto3.client("iam")
    reader, _ = user_logs("mixed", {"Effect": "Allow", "Action": "logs:*", "Resource": "*"})
    iam.put_user_policy(UserName="mixed", PolicyName="deny", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "logs:Unmask", "Resource": "*"}]}))
    with pytest.raises(ClientError) as info:
        reader.get_log_events(logGroupName="app", logStreamName="s", unmask=True)
    assert info.value.response["Error"]["Message"].endswith("with an explicit deny in an identity-based policy")
