"""A role's policies read back from the sandbox's IAM and decided: default versions, inline, boundary."""

from __future__ import annotations

import json

import boto3
import pytest

from course_utils.rules import role_policies

TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/orders"


def table_policy(*actions: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": [f"dynamodb:{a}" for a in actions], "Resource": TABLE}]})


@pytest.fixture
def iam(aws):
    client = boto3.client("iam", region_name="us-east-1")
    client.create_role(RoleName="fn", AssumeRolePolicyDocument=TRUST)
    return client


def test_the_default_version_decides_and_a_rollback_restores_it(iam):
    arn = role_policies.reset_policy(iam, "orders-rw", table_policy("GetItem", "PutItem"))
    iam.attach_role_policy(RoleName="fn", PolicyArn=arn)
    iam.create_policy_version(PolicyArn=arn, PolicyDocument=table_policy("GetItem"), SetAsDefault=True)
    broken = role_policies.collect(iam, "fn").evaluate("dynamodb:PutItem", TABLE)
    assert broken.decision.decision == "ImplicitDeny" and broken.by == ()
    iam.set_default_policy_version(PolicyArn=arn, VersionId="v1")
    fixed = role_policies.collect(iam, "fn").evaluate("dynamodb:PutItem", TABLE)
    assert fixed.allowed and fixed.by == ("customer managed orders-rw (v1)",)


def test_aws_managed_and_inline_policies_add_up(iam):
    iam.attach_role_policy(RoleName="fn", PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBReadOnlyAccess")
    iam.put_role_policy(RoleName="fn", PolicyName="send", PolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "arn:aws:sqs:us-east-1:123456789012:q"}]}))
    role = role_policies.collect(iam, "fn")
    assert [p.kind for p in role.identity] == ["AWS managed", "inline"]
    scan = role.evaluate("dynamodb:Scan", TABLE.replace("orders", "payroll"))
    assert scan.allowed and scan.by[0].startswith("AWS managed AmazonDynamoDBReadOnlyAccess")
    assert role.evaluate("sqs:SendMessage", "arn:aws:sqs:us-east-1:123456789012:q").by == ("inline send",)
    assert not role.evaluate("dynamodb:PutItem", TABLE).allowed


def test_a_boundary_caps_administrator_access(iam):
    boundary = role_policies.reset_policy(iam, "cap", table_policy("PutItem"))
    iam.put_role_permissions_boundary(RoleName="fn", PermissionsBoundary=boundary)
    iam.attach_role_policy(RoleName="fn", PolicyArn="arn:aws:iam::aws:policy/AdministratorAccess")
    role = role_policies.collect(iam, "fn")
    assert role.boundary is not None and role.boundary.label == "permissions boundary cap (v1)"
    put = role.evaluate("dynamodb:PutItem", TABLE)
    assert put.allowed and put.by == ("AWS managed AdministratorAccess (v1)", "permissions boundary cap (v1)")
    denied = role.evaluate("iam:CreateUser", "*")
    assert denied.decision.decision == "ImplicitDeny" and "boundary" in denied.decision.reason
    assert "permissions boundary cap (v1)" in str(role)


def test_reset_policy_replaces_an_attached_policy_with_versions(iam):
    first = role_policies.reset_policy(iam, "orders-rw", table_policy("GetItem"))
    iam.attach_role_policy(RoleName="fn", PolicyArn=first)
    iam.create_policy_version(PolicyArn=first, PolicyDocument=table_policy("Query"), SetAsDefault=True)
    again = role_policies.reset_policy(iam, "orders-rw", table_policy("PutItem"))
    assert again == first
    assert [v["VersionId"] for v in iam.list_policy_versions(PolicyArn=again)["Versions"]] == ["v1"]
    assert iam.list_attached_role_policies(RoleName="fn")["AttachedPolicies"] == []
    iam.attach_role_policy(RoleName="fn", PolicyArn=again)
    assert role_policies.collect(iam, "fn").evaluate("dynamodb:PutItem", TABLE).allowed
