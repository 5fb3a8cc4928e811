"""AWS managed policies in the sandbox: readable and attachable by ARN, loaded on first use."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

S3_READ = "arn:aws:iam::aws:policy/AmazonS3ReadOnlyAccess"
LAMBDA_LOGS = "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


@pytest.fixture
def iam(aws):
    return boto3.client("iam", region_name="us-east-1")


def test_get_policy_and_its_default_version(iam):
    policy = iam.get_policy(PolicyArn=S3_READ)["Policy"]
    assert policy["Arn"] == S3_READ and policy["PolicyName"] == "AmazonS3ReadOnlyAccess" and policy["Path"] == "/"
    document = iam.get_policy_version(PolicyArn=S3_READ, VersionId=policy["DefaultVersionId"])["PolicyVersion"]["Document"]
    actions = [a for st in document["Statement"] for a in (st["Action"] if isinstance(st["Action"], list) else [st["Action"]])]
    assert "s3:Get*" in actions and "s3:List*" in actions
    assert not any(a.startswith("s3:Put") for a in actions)


def test_a_policy_with_a_path_is_found_by_its_full_arn(iam):
    policy = iam.get_policy(PolicyArn=LAMBDA_LOGS)["Policy"]
    assert policy["Path"] == "/service-role/"
    with pytest.raises(ClientError) as info:  # the same name without its path is another ARN
        iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/AWSLambdaBasicExecutionRole")
    assert info.value.response["Error"]["Code"] == "NoSuchEntity"


def test_attach_to_a_role_user_and_group(iam):
    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)
    iam.attach_role_policy(RoleName="fn", PolicyArn=LAMBDA_LOGS)
    assert iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"] == [
        {"PolicyName": "AWSLambdaBasicExecutionRole", "PolicyArn": LAMBDA_LOGS}]
    iam.create_user(UserName="ana")
    iam.attach_user_policy(UserName="ana", PolicyArn=S3_READ)
    iam.create_group(GroupName="readers")
    iam.attach_group_policy(GroupName="readers", PolicyArn=S3_READ)
    assert [p["PolicyArn"] for p in iam.list_attached_user_policies(UserName="ana")["AttachedPolicies"]] == [S3_READ]
    assert [p["PolicyArn"] for p in iam.list_attached_group_policies(GroupName="readers")["AttachedPolicies"]] == [S3_READ]
    assert iam.get_policy(PolicyArn=S3_READ)["Policy"]["AttachmentCount"] == 2


def test_an_unknown_aws_managed_policy_is_no_such_entity(iam):
    iam.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)
    for call in (lambda: iam.get_policy(PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAnywhere"),
                 lambda: iam.attach_role_policy(RoleName="fn", PolicyArn="arn:aws:iam::aws:policy/NoSuchPolicyAnywhere")):
        with pytest.raises(ClientError) as info:
            call()
        assert info.value.response["Error"]["Code"] == "NoSuchEntity"

