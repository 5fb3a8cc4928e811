"""Event sources run the handler: SQS mappings, SNS, S3, DynamoDB Streams, Kinesis, Step Functions, rotation."""

from __future__ import annotations

import json
import time

import boto3
from runtime_helpers import make_function

RECORDER = """
import json, boto3
def handler(event, context):
    boto3.client("s3").put_object(Bucket="seen", Key=context.aws_request_id, Body=json.dumps(event))
    return {"n": len(event.get("Records", []))}
"""


def _seen() -> list[dict]:
    s3 = boto3.client("s3")
    out = []
    for obj in s3.list_objects_v2(Bucket="seen").get("Contents", []):
        out.append(json.loads(s3.get_object(Bucket="seen", Key=obj["Key"])["Body"].read()))
    return out


def _queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def test_sqs_mapping_delivers_batches_and_deletes(aws):
    boto3.client("s3").create_bucket(Bucket="seen")
    make_function("consumer", RECORDER)
    url, arn = _queue("work")
    sqs = boto3.client("sqs")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(5)])
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="consumer", BatchSize=2)
    events = _seen()
    sizes = sorted(len(e["Records"]) for e in events)
    assert sizes == [1, 2, 2]
    bodies = sorted(r["body"] for e in events for r in e["Records"])
    assert bodies == [f"m{i}" for i in range(5)]
    rec = events[0]["Records"][0]
    assert rec["eventSource"] == "aws:sqs" and rec["eventSourceARN"] == arn and rec["receiptHandle"]
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None  # all deleted
    sqs.send_message(QueueUrl=url, MessageBody="later")
    assert any(r["body"] == "later" for e in _seen() for r in e["Records"])


PARTIAL = """
def handler(event, context):
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"].startswith("bad")]}
"""


def test_sqs_partial_batch_failures(aws):
    make_function("partial", PARTIAL)
    url, arn = _queue("mixed")
    sqs = boto3.client("sqs")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "good-1"}, {"Id": "2", "MessageBody": "bad-2"},
                                                  {"Id": "3", "MessageBody": "good-3"}, {"Id": "4", "MessageBody": "bad-4"}])
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="partial", BatchSize=10,
                                                       FunctionResponseTypes=["ReportBatchItemFailures"])
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in left) == ["bad-2", "bad-4"]


def test_sqs_without_report_batch_item_failures_error_keeps_batch(aws):
    make_function("fails", "def handler(e, c):\n    raise RuntimeError('x')\n")
    url, arn = _queue("kept")
    sqs = boto3.client("sqs")
    sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="fails", BatchSize=10)
    left = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert sorted(m["Body"] for m in left) == ["m0", "m1", "m2"]


def test_sqs_partial_response_ignored_without_setting(aws):
    make_function("partial2", PARTIAL)
    url, arn = _queue("ignored")
    sqs = boto3.client("sqs")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="partial2", BatchSize=10)
    sqs.send_message(QueueUrl=url, MessageBody="bad-1")
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None


def test_sns_subscription_invokes_lambda(aws):
    boto3.client("s3").create_bucket(Bucket="seen")
    arn = make_function("sub", RECORDER)["FunctionArn"]
    sns = boto3.client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="hello", Subject="greeting",
                MessageAttributes={"kind": {"DataType": "String", "StringValue": "test"}})
    (event,) = _seen()
    rec = event["Records"][0]
    assert rec["EventSource"] == "aws:sns"
    assert rec["Sns"]["Message"] == "hello" and rec["Sns"]["Subject"] == "greeting"
    assert rec["Sns"]["TopicArn"] == topic
    assert rec["Sns"]["MessageAttributes"]["kind"] == {"Type": "String", "Value": "test"}


def test_s3_notification_invokes_lambda(aws):
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="seen")
    s3.create_bucket(Bucket="uploads")
    arn = make_function("ons3", RECORDER)["FunctionArn"]
    s3.put_bucket_notification_configuration(Bucket="uploads", NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"]}]})
    s3.put_object(Bucket="uploads", Key="photo.jpg", Body=b"x")
    (event,) = _seen()
    rec = event["Records"][0]
    assert rec["eventSource"] == "aws:s3" and rec["s3"]["object"]["key"] == "photo.jpg"


def test_dynamodb_stream_mapping(aws):
    boto3.client("s3").create_bucket(Bucket="seen")
    make_function("ddb", RECORDER)
    ddb = boto3.client("dynamodb")
    table = ddb.create_table(TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                             AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                             StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})["TableDescription"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=table["LatestStreamArn"], FunctionName="ddb", StartingPosition="LATEST")
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}})
    (event,) = _seen()
    rec = event["Records"][0]
    assert rec["eventName"] == "INSERT" and rec["dynamodb"]["NewImage"] == {"pk": {"S": "a"}}


def test_kinesis_mapping(aws):
    import base64

    boto3.client("s3").create_bucket(Bucket="seen")
    make_function("kin", RECORDER)
    k = boto3.client("kinesis")
    k.create_stream(StreamName="s", ShardCount=1)
    arn = k.describe_stream(StreamName="s")["StreamDescription"]["StreamARN"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="kin", StartingPosition="LATEST")
    k.put_record(StreamName="s", Data=b"payload", PartitionKey="p")
    (event,) = _seen()
    rec = event["Records"][0]
    assert rec["eventSource"] == "aws:kinesis" and base64.b64decode(rec["kinesis"]["data"]) == b"payload"


def test_step_functions_lambda_task(aws):
    arn = make_function("double", "def handler(e, c):\n    return {'doubled': e['v'] * 2}\n")["FunctionArn"]
    sfn = boto3.client("stepfunctions")
    from runtime_helpers import role_arn

    definition = {"StartAt": "Double", "States": {"Double": {"Type": "Task", "Resource": arn, "End": True}}}
    sm = sfn.create_state_machine(name="sm", definition=json.dumps(definition), roleArn=role_arn())["stateMachineArn"]
    ex = sfn.start_execution(stateMachineArn=sm, input=json.dumps({"v": 21}))["executionArn"]
    for _ in range(200):
        desc = sfn.describe_execution(executionArn=ex)
        if desc["status"] != "RUNNING":
            break
        time.sleep(0.02)
    assert desc["status"] == "SUCCEEDED"
    assert json.loads(desc["output"]) == {"doubled": 42}


ROTATOR = """
import boto3
sm = boto3.client("secretsmanager")
STEPS = []
def handler(event, context):
    step, arn, token = event["Step"], event["SecretId"], event["ClientRequestToken"]
    STEPS.append(step)
    if step == "createSecret":
        sm.put_secret_value(SecretId=arn, ClientRequestToken=token, SecretString="rotated-by-lambda", VersionStages=["AWSPENDING"])
    elif step == "finishSecret":
        current = next(v for v, s in sm.describe_secret(SecretId=arn)["VersionIdsToStages"].items() if "AWSCURRENT" in s)
        sm.update_secret_version_stage(SecretId=arn, VersionStage="AWSCURRENT", MoveToVersionId=token, RemoveFromVersionId=current)
        sm.tag_resource(SecretId=arn, Tags=[{"Key": "steps", "Value": ",".join(STEPS)}])
"""


def test_secrets_manager_rotation_runs_four_steps(aws):
    fn_arn = make_function("rotator", ROTATOR)["FunctionArn"]
    sm = boto3.client("secretsmanager")
    sm.create_secret(Name="db", SecretString="orig")
    sm.rotate_secret(SecretId="db", RotationLambdaARN=fn_arn, RotationRules={"AutomaticallyAfterDays": 30})
    assert sm.get_secret_value(SecretId="db")["SecretString"] == "rotated-by-lambda"
    assert sm.get_secret_value(SecretId="db", VersionStage="AWSPREVIOUS")["SecretString"] == "orig"
    tags = {t["Key"]: t["Value"] for t in sm.describe_secret(SecretId="db")["Tags"]}
    assert tags["steps"] == "createSecret,setSecret,testSecret,finishSecret"
