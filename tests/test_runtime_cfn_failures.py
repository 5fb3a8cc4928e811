"""CloudFormation stack creations that fail in the sandbox the way they fail on AWS: events, rollback, OnFailure."""

from __future__ import annotations

import json

import boto3
import pytest
from botocore.exceptions import ClientError

from course_utils.rules import deploy_logs
from course_utils.runtime import cfn_failures

REGION = "us-east-1"
CANCELLED = "Resource creation cancelled"


def template(bucket: str = "artifacts-missing", export: bool = True) -> str:
    """A role, a table and a function that needs both; a queue with no dependencies; a topic that needs the function."""
    body = {"Resources": {
        "Role": {"Type": "AWS::IAM::Role", "Properties": {
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}}},
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "Runtime": "python3.12", "Handler": "app.handler", "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"S3Bucket": bucket, "S3Key": "orders/v2.zip"},
            "Environment": {"Variables": {"TABLE": {"Ref": "Table"}}}}},
        "Queue": {"Type": "AWS::SQS::Queue"},
        "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": {"Fn::Sub": "${Fn}-alerts"}}},
    }}
    if export:
        body["Outputs"] = {"FnArn": {"Value": {"Fn::GetAtt": ["Fn", "Arn"]}, "Export": {"Name": "orders-fn-arn"}}}
    return json.dumps(body)


@pytest.fixture
def cfn(aws):
    return boto3.client("cloudformation", region_name=REGION)


def events(cfn, stack: str) -> list[dict]:
    return cfn.describe_stack_events(StackName=stack)["StackEvents"]


def statuses(cfn, stack: str, logical_id: str) -> list[str]:
    return [e["ResourceStatus"] for e in reversed(events(cfn, stack)) if e["LogicalResourceId"] == logical_id]


def error(call) -> dict:
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response


def test_a_service_error_fails_the_resource_and_rolls_the_stack_back(cfn):
    stack_id = cfn.create_stack(StackName="orders", TemplateBody=template())["StackId"]
    stack = cfn.describe_stacks(StackName=stack_id)["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in events(cfn, "orders") if e["ResourceStatus"] == "CREATE_FAILED"]
    fn = next(e for e in failed if e["LogicalResourceId"] == "Fn")
    assert fn["ResourceType"] == "AWS::Lambda::Function"
    assert fn["ResourceStatusReason"].startswith('Resource handler returned message: "Error occurred while GetObject. '
                                                 "S3 Error Code: NoSuchBucket.")
    assert "HandlerErrorCode: InvalidRequest" in fn["ResourceStatusReason"]
    # the queue had no dependency: it was being created in parallel and is cancelled, not a cause
    assert next(e for e in failed if e["LogicalResourceId"] == "Queue")["ResourceStatusReason"] == CANCELLED
    # the topic depends on the function: it never started
    assert statuses(cfn, "orders", "Topic") == []


def test_the_events_come_newest_first_in_aws_order(cfn):
    cfn.create_stack(StackName="orders", TemplateBody=template())
    oldest_first = [(e["LogicalResourceId"], e["ResourceStatus"]) for e in reversed(events(cfn, "orders"))]
    assert oldest_first[0] == ("orders", "CREATE_IN_PROGRESS")
    assert oldest_first[-1] == ("orders", "ROLLBACK_COMPLETE")
    assert statuses(cfn, "orders", "Table") == ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE",
                                                "DELETE_IN_PROGRESS", "DELETE_COMPLETE"]
    rollback = next(e for e in events(cfn, "orders") if e["ResourceStatus"] == "ROLLBACK_IN_PROGRESS")
    assert rollback["ResourceStatusReason"] == ("The following resource(s) failed to create: [Fn, Queue]. "
                                                "Rollback requested by user.")
    first_ok = oldest_first.index(("Role", "CREATE_COMPLETE"))
    assert first_ok < oldest_first.index(("Fn", "CREATE_FAILED")) < oldest_first.index(("Role", "DELETE_COMPLETE"))


@pytest.mark.parametrize("export", [True, False])
def test_the_stack_starts_with_one_user_initiated_event(cfn, export):
    # with no export, the failure happens after moto wrote its own event: it must not be written twice
    cfn.create_stack(StackName="orders", TemplateBody=template(export=export))
    started = [e for e in events(cfn, "orders") if e.get("ResourceStatusReason") == "User Initiated"]
    assert [(e["LogicalResourceId"], e["ResourceStatus"]) for e in started] == [("orders", "CREATE_IN_PROGRESS")]


def test_the_rollback_deletes_dependants_before_what_they_depend_on(cfn):
    body = json.dumps({"Resources": {
        "Table": {"Type": "AWS::DynamoDB::Table", "Properties": {
            "BillingMode": "PAY_PER_REQUEST", "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}],
            "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}]}},
        "Queue": {"Type": "AWS::SQS::Queue", "DependsOn": "Table"},
        "Fn": {"Type": "AWS::Lambda::Function", "DependsOn": "Queue", "Properties": {
            "Runtime": "python3.12", "Handler": "app.handler", "Role": "arn:aws:iam::123456789012:role/r",
            "Code": {"S3Bucket": "artifacts-missing", "S3Key": "app.zip"}}}}})
    cfn.create_stack(StackName="chain", TemplateBody=body)
    deletes = [e["LogicalResourceId"] for e in reversed(events(cfn, "chain")) if e["ResourceStatus"] == "DELETE_IN_PROGRESS"]
    assert deletes == ["Queue", "Table"]


def test_the_rollback_deletes_what_was_created_and_exports_nothing(cfn):
    cfn.create_stack(StackName="orders", TemplateBody=template())
    assert boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"] == []
    assert boto3.client("iam").list_roles()["Roles"] == []
    assert cfn.list_exports()["Exports"] == []
    assert cfn.list_stack_resources(StackName="orders")["StackResourceSummaries"] == []
    assert "Outputs" not in cfn.describe_stacks(StackName="orders")["Stacks"][0]


def test_a_rolled_back_stack_can_only_be_deleted(cfn):
    stack_id = cfn.create_stack(StackName="orders", TemplateBody=template())["StackId"]
    refused = error(lambda: cfn.update_stack(StackName="orders", TemplateBody=template("artifacts")))
    assert refused["Error"]["Code"] == "ValidationError"
    assert refused["Error"]["Message"] == f"Stack:{stack_id} is in ROLLBACK_COMPLETE state and can not be updated."
    again = error(lambda: cfn.create_stack(StackName="orders", TemplateBody=template("artifacts")))
    assert again["Error"]["Code"] == "AlreadyExistsException"
    cfn.delete_stack(StackName="orders")
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="orders/v2.zip", Body=b"PK\x05\x06" + b"\0" * 18)
    cfn.create_stack(StackName="orders", TemplateBody=template("artifacts"))
    assert cfn.describe_stacks(StackName="orders")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert [e["Name"] for e in cfn.list_exports()["Exports"]] == ["orders-fn-arn"]


def test_a_successful_stack_has_resource_events_too(cfn):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="orders/v2.zip", Body=b"PK\x05\x06" + b"\0" * 18)
    cfn.create_stack(StackName="orders", TemplateBody=template("artifacts"))
    for name in ("Role", "Table", "Fn", "Queue", "Topic"):
        assert statuses(cfn, "orders", name) == ["CREATE_IN_PROGRESS", "CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert statuses(cfn, "orders", "orders") == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert deploy_logs.stack_root_cause(events(cfn, "orders")) is None


def test_do_nothing_keeps_what_was_created_and_goes_on_along_other_paths(cfn):
    cfn.create_stack(StackName="orders", TemplateBody=template(), OnFailure="DO_NOTHING")
    stack = cfn.describe_stacks(StackName="orders")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_FAILED"
    assert stack["StackStatusReason"] == "The following resource(s) failed to create: [Fn]."
    assert stack["DisableRollback"] is True
    assert statuses(cfn, "orders", "Queue")[-1] == "CREATE_COMPLETE"  # not cancelled: it does not need Fn
    assert statuses(cfn, "orders", "Topic") == []  # needs Fn: never started
    kept = {r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="orders")["StackResourceSummaries"]}
    assert kept == {"Role", "Table", "Queue"}
    assert len(boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"]) == 1
    cfn.delete_stack(StackName="orders")
    assert boto3.client("dynamodb", region_name=REGION).list_tables()["TableNames"] == []


def test_disable_rollback_is_do_nothing(cfn):
    cfn.create_stack(StackName="orders", TemplateBody=template(), DisableRollback=True)
    assert cfn.describe_stacks(StackName="orders")["Stacks"][0]["StackStatus"] == "CREATE_FAILED"


def test_on_failure_delete_deletes_the_stack(cfn):
    stack_id = cfn.create_stack(StackName="orders", TemplateBody=template(), OnFailure="DELETE")["StackId"]
    with pytest.raises(ClientError):
        cfn.describe_stacks(StackName="orders")  # a deleted stack is found by its id only
    assert cfn.describe_stacks(StackName=stack_id)["Stacks"][0]["StackStatus"] == "DELETE_COMPLETE"
    assert [e["ResourceStatus"] for e in events(cfn, stack_id)][0] == "DELETE_COMPLETE"
    assert boto3.client("iam").list_roles()["Roles"] == []
    cfn.create_stack(StackName="orders", TemplateBody=template(), OnFailure="DELETE")  # the name is free again


def test_on_failure_and_disable_rollback_together_are_refused(cfn):
    refused = error(lambda: cfn.create_stack(StackName="orders", TemplateBody=template(), OnFailure="ROLLBACK",
                                             DisableRollback=False))
    assert refused["Error"] == {"Type": "Sender", "Code": "ValidationError",
                                "Message": "You can specify either DisableRollback or OnFailure, but not both."}
    assert refused["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert cfn.list_stacks()["StackSummaries"] == []


def test_an_unknown_on_failure_value_is_refused(cfn):
    refused = error(lambda: cfn.create_stack(StackName="orders", TemplateBody=template(), OnFailure="RETRY"))
    assert refused["Error"]["Code"] == "ValidationError"
    assert "Member must satisfy enum value set: [DO_NOTHING, ROLLBACK, DELETE]" in refused["Error"]["Message"]


def test_the_reader_finds_the_root_cause_not_the_cascade(cfn):
    cfn.create_stack(StackName="orders", TemplateBody=template())
    failure = deploy_logs.stack_root_cause(events(cfn, "orders"))
    assert (failure.logical_id, failure.status, failure.cancelled) == ("Fn", "CREATE_FAILED", ("Queue",))
    assert "NoSuchBucket" in failure.reason


def test_moto_crashes_are_not_turned_into_aws_failures(cfn):
    # a template moto cannot resolve (a GetAtt loop) is moto's limit, not a resource's refusal
    body = json.dumps({"Resources": {
        "A": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::GetAtt": ["B", "QueueName"]}}},
        "B": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": {"Fn::GetAtt": ["A", "QueueName"]}}}}})
    with pytest.raises(RecursionError):
        cfn.create_stack(StackName="loop", TemplateBody=body)
    assert all(e["ResourceStatus"] != "CREATE_FAILED" for s in cfn.list_stacks()["StackSummaries"]
               for e in events(cfn, s["StackId"]))


def test_dependencies_follow_ref_getatt_sub_and_depends_on():
    resources = json.loads(template())["Resources"]
    resources["Queue"]["DependsOn"] = "Role"
    graph = cfn_failures.dependencies(resources)
    assert graph == {"Role": set(), "Table": set(), "Fn": {"Role", "Table"}, "Queue": {"Role"}, "Topic": {"Fn"}}


def test_the_reason_names_the_service_status_and_handler_error_code():
    reason = cfn_failures.failure_reason("AWS::S3::Bucket", "BucketAlreadyExists", "shop-assets already exists", 409)
    assert reason.startswith('Resource handler returned message: "shop-assets already exists (Service: S3, Status Code: 409, ')
    assert reason.endswith("HandlerErrorCode: AlreadyExists)")


def test_handler_error_codes():
    assert cfn_failures.handler_error_code("BucketAlreadyExists", 409) == "AlreadyExists"
    assert cfn_failures.handler_error_code("AccessDeniedException", 403) == "AccessDenied"
    assert cfn_failures.handler_error_code("InvalidParameterValueException", 400) == "InvalidRequest"
    assert cfn_failures.handler_error_code("InternalError", 500) == "GeneralServiceException"
