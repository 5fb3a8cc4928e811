"""course_utils.deploy: the setup chores notebooks share, seen the way a learner sees them."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest

from course_utils import deploy

HELLO = """
    def handler(event, context):
        return {"hi": event["name"], "function": context.function_name}
"""


def test_role_trusts_the_service_and_is_created_once(aws):
    iam = boto3.client("iam")
    arn = deploy.role()
    assert arn.endswith(f":role/{deploy.LAMBDA_ROLE}")
    statement = iam.get_role(RoleName=deploy.LAMBDA_ROLE)["Role"]["AssumeRolePolicyDocument"]["Statement"][0]
    assert statement["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert statement["Action"] == "sts:AssumeRole"
    assert deploy.role() == arn  # reused, not a second role
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]].count(deploy.LAMBDA_ROLE) == 1
    ecs = deploy.role("task-role", "ecs-tasks.amazonaws.com")
    trust = iam.get_role(RoleName="task-role")["Role"]["AssumeRolePolicyDocument"]
    assert ecs.endswith(":role/task-role") and trust["Statement"][0]["Principal"] == {"Service": "ecs-tasks.amazonaws.com"}


def test_trust_policy_refuses_a_name_that_is_not_a_service_principal():
    with pytest.raises(ValueError, match="service principal"):
        deploy.trust_policy("lambda")


def test_zip_package_holds_the_files():
    package = zipfile.ZipFile(io.BytesIO(deploy.zip_package({"app.py": "x = 1\n", "lib/util.py": b"y = 2\n"})))
    assert sorted(package.namelist()) == ["app.py", "lib/util.py"]
    assert package.read("lib/util.py") == b"y = 2\n"
    assert zipfile.ZipFile(io.BytesIO(deploy.zip_package("x = 1\n"))).namelist() == ["app.py"]
    with pytest.raises(ValueError, match="at least one file"):
        deploy.zip_package({})


def test_function_runs_its_handler(aws):
    created = deploy.function("hello", HELLO, Timeout=5, MemorySize=256)
    assert created["Runtime"] == deploy.RUNTIME and created["Handler"] == "app.handler"
    assert created["Timeout"] == 5 and created["MemorySize"] == 256
    assert created["Role"].endswith(f":role/{deploy.LAMBDA_ROLE}")
    response, result = deploy.invoke("hello", {"name": "Ana"})
    assert response["StatusCode"] == 200 and "FunctionError" not in response
    assert result == {"hi": "Ana", "function": "hello"}


def test_function_again_replaces_the_code_and_starts_cold(aws):
    from course_utils import runtime

    deploy.function("counter", "calls = 0\ndef handler(event, context):\n    global calls\n    calls += 1\n    return calls\n")
    assert [deploy.invoke("counter")[1] for _ in range(2)] == [1, 2]
    deploy.function("counter", "calls = 0\ndef handler(event, context):\n    global calls\n    calls += 1\n    return calls\n")
    assert deploy.invoke("counter")[1] == 1  # a new build: a new environment, module state starts over
    assert runtime.invocations("counter")[-1].cold
    assert len(boto3.client("lambda").list_functions()["Functions"]) == 1


def test_invoke_reports_a_handler_error(aws):
    deploy.function("boom", "def handler(event, context):\n    raise ValueError('no stock')\n")
    response, result = deploy.invoke("boom")
    assert response["FunctionError"] == "Unhandled"
    assert result["errorType"] == "ValueError" and result["errorMessage"] == "no stock"


def test_function_with_its_own_role_and_event_sources_removed(aws):
    lam = boto3.client("lambda")
    role_arn = deploy.role("worker-role")
    deploy.function("worker", "def handler(event, context):\n    return len(event['Records'])\n", role_arn=role_arn)
    _, queue_arn = deploy.fresh_queue("jobs")
    lam.create_event_source_mapping(FunctionName="worker", EventSourceArn=queue_arn, BatchSize=1)
    kept = deploy.function("worker", "def handler(event, context):\n    return 0\n", role_arn=role_arn)
    assert kept["Role"] == role_arn
    assert len(lam.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"]) == 1  # AWS keeps them
    deploy.function("worker", "def handler(event, context):\n    return 0\n", role_arn=role_arn, remove_event_sources=True)
    assert lam.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"] == []


def test_function_refuses_empty_source(aws):
    with pytest.raises(ValueError, match="non-empty string"):
        deploy.function("empty", "  ")


def test_fresh_queue_replaces_an_old_one(aws):
    sqs = boto3.client("sqs")
    url, arn = deploy.fresh_queue("orders", VisibilityTimeout=60)
    assert arn.endswith(":orders")
    sqs.send_message(QueueUrl=url, MessageBody="left over")
    url, _ = deploy.fresh_queue("orders", VisibilityTimeout=30)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "30"
    assert "Messages" not in sqs.receive_message(QueueUrl=url)


def test_drain_queue_counts_what_it_deletes(aws):
    sqs = boto3.client("sqs")
    url, _ = deploy.fresh_queue("inbox")
    for i in range(12):  # more than one receive (10 at most) holds
        sqs.send_message(QueueUrl=url, MessageBody=f"m{i}")
    assert deploy.drain_queue(url) == 12
    assert deploy.drain_queue(url) == 0


def test_fresh_table_starts_empty(aws):
    ddb = boto3.client("dynamodb")
    spec = {"BillingMode": "PAY_PER_REQUEST", "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
            "AttributeDefinitions": [{"AttributeName": "id", "AttributeType": "S"}]}
    assert deploy.fresh_table("Orders", **spec)["TableName"] == "Orders"
    ddb.put_item(TableName="Orders", Item={"id": {"S": "1"}})
    deploy.fresh_table("Orders", **spec)
    assert ddb.scan(TableName="Orders")["Count"] == 0


def test_fresh_rest_api_leaves_one_api_of_that_name(aws):
    apigw = boto3.client("apigateway")
    first, _ = deploy.fresh_rest_api("shop")
    second, root = deploy.fresh_rest_api("shop")
    assert first != second
    assert [a["id"] for a in apigw.get_rest_apis()["items"] if a["name"] == "shop"] == [second]
    assert apigw.get_resource(restApiId=second, resourceId=root)["path"] == "/"


def test_fresh_stack_deletes_a_live_stack(aws):
    cfn = boto3.client("cloudformation")
    assert deploy.fresh_stack("audit") is False
    template = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "audit-q"}}}}
    cfn.create_stack(StackName="audit", TemplateBody=json.dumps(template))
    assert deploy.fresh_stack("audit") is True
    assert [s["StackStatus"] for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == "audit"] == ["DELETE_COMPLETE"]
    cfn.create_stack(StackName="audit", TemplateBody=json.dumps(template))  # the name is free again


def test_package_exports_deploy():
    import course_utils

    assert "deploy" in course_utils.__all__
    assert course_utils.deploy is deploy
