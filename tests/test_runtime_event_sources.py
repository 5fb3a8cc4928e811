"""Event sources run the handler: SQS mappings, SNS, S3, DynamoDB Streams, Kinesis, Step Functions, rotation."""

from __future__ import annotations

import json
import time

import boto3
from runtime_helpers import log_messages, make_function

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


def _counts(url: str) -> tuple[int, int]:
    """(visible, in flight) messages of the queue."""
    a = boto3.client("sqs").get_queue_attributes(
        QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])


def _bodies_seen(function: str) -> list[str]:
    """Bodies the handler printed, one per record it was given (from its CloudWatch log group)."""
    try:
        lines = log_messages(f"/aws/lambda/{function}")
    except boto3.client("logs").exceptions.ResourceNotFoundException:
        return []
    return [json.loads(line)["body"] for line in lines if line.startswith("{")]


def test_sqs_partial_batch_failures_come_back_after_the_visibility_timeout(aws):
    from freezegun import freeze_time

    from course_utils import runtime

    make_function("partial", PARTIAL)
    url, arn = _queue("mixed")
    sqs = boto3.client("sqs")
    with freeze_time("2026-01-05 09:00:00") as clock:
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "good-1"}, {"Id": "2", "MessageBody": "bad-2"},
                                                      {"Id": "3", "MessageBody": "good-3"}, {"Id": "4", "MessageBody": "bad-4"}])
        boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="partial", BatchSize=10,
                                                           FunctionResponseTypes=["ReportBatchItemFailures"])
        assert _counts(url) == (0, 2)  # the two bad ones are back on the queue, invisible for 30 s
        assert len(runtime.invocations("partial")) == 1
        clock.tick(29)
        assert _counts(url) == (0, 2) and len(runtime.invocations("partial")) == 1
        clock.tick(2)  # past the visibility timeout: the poller receives them again
        assert _counts(url) == (0, 2)
        assert len(runtime.invocations("partial")) == 2


def test_sqs_without_report_batch_item_failures_error_keeps_batch(aws):
    from freezegun import freeze_time

    make_function("fails", "def handler(e, c):\n    raise RuntimeError('x')\n")
    url, arn = _queue("kept")
    sqs = boto3.client("sqs")
    with freeze_time("2026-01-05 09:00:00"):
        sqs.send_message_batch(QueueUrl=url, Entries=[{"Id": str(i), "MessageBody": f"m{i}"} for i in range(3)])
        boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="fails", BatchSize=10)
        assert _counts(url) == (0, 3)


def test_sqs_partial_response_ignored_without_setting(aws):
    make_function("partial2", PARTIAL)
    url, arn = _queue("ignored")
    sqs = boto3.client("sqs")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="partial2", BatchSize=10)
    sqs.send_message(QueueUrl=url, MessageBody="bad-1")
    assert sqs.receive_message(QueueUrl=url).get("Messages") is None
    assert _counts(url) == (0, 0)


ONE_BAD = """
import json
def handler(event, context):
    for r in event["Records"]:
        print(json.dumps({"body": r["body"]}))
    return {"batchItemFailures": [{"itemIdentifier": r["messageId"]} for r in event["Records"] if r["body"] == "bad"]}
"""


def _call_with_deadline(fn, seconds: float = 60.0):
    """Run ``fn`` in a thread; fail (instead of hanging the suite) if it has not returned in time."""
    import threading

    out: dict = {}

    def target() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            out["error"] = exc

    t = threading.Thread(target=target, daemon=True)
    t.start()
    t.join(seconds)
    assert not t.is_alive(), f"the call did not return within {seconds} s"
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_visibility_zero_with_a_failing_item_returns(aws):
    """The reported hang: visibility 0, partial batch response, one item that always fails."""
    from course_utils.runtime.event_sources import MAX_ROUNDS

    make_function("one-bad", ONE_BAD)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="zero", Attributes={"VisibilityTimeout": "0"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="one-bad", BatchSize=10,
                                                       FunctionResponseTypes=["ReportBatchItemFailures"])
    _call_with_deadline(lambda: sqs.send_message_batch(
        QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "ok"}, {"Id": "2", "MessageBody": "bad"}]))
    seen = _bodies_seen("one-bad")
    assert seen.count("ok") == 1
    assert 1 <= seen.count("bad") <= MAX_ROUNDS  # retried, but a bounded number of times per call
    before = seen.count("bad")
    _call_with_deadline(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))
    assert before < _bodies_seen("one-bad").count("bad") <= before + MAX_ROUNDS  # the next call retries again


def _worker_with_dlq(function: str, queue: str, *, visibility: int, max_receive: int) -> tuple[str, str]:
    """The ONE_BAD handler on a queue with a redrive policy; returns (queue url, DLQ url)."""
    make_function(function, ONE_BAD)
    sqs = boto3.client("sqs")
    dlq = sqs.create_queue(QueueName=f"{queue}-dlq")["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=queue, Attributes={
        "VisibilityTimeout": str(visibility),
        "RedrivePolicy": json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receive})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName=function, BatchSize=10,
                                                       FunctionResponseTypes=["ReportBatchItemFailures"])
    return url, dlq


def test_visibility_zero_poison_message_reaches_the_dlq_in_one_call(aws):
    url, dlq = _worker_with_dlq("one-bad-dlq", "poison", visibility=0, max_receive=3)
    sqs = boto3.client("sqs")
    _call_with_deadline(lambda: sqs.send_message(QueueUrl=url, MessageBody="bad"))
    assert _bodies_seen("one-bad-dlq") == ["bad"] * 3  # received maxReceiveCount times, then moved
    moved = sqs.receive_message(QueueUrl=dlq, AttributeNames=["ApproximateReceiveCount"])["Messages"]
    assert [m["Body"] for m in moved] == ["bad"]
    assert _counts(url) == (0, 0)


def test_redrive_after_the_visibility_timeout_with_time_travel(aws):
    from freezegun import freeze_time

    url, dlq = _worker_with_dlq("one-bad-slow", "slow", visibility=60, max_receive=2)
    sqs = boto3.client("sqs")
    with freeze_time("2026-01-05 09:00:00") as clock:
        sqs.send_message(QueueUrl=url, MessageBody="bad")
        assert _bodies_seen("one-bad-slow") == ["bad"]
        clock.tick(61)
        assert _counts(url) == (0, 1) and _bodies_seen("one-bad-slow") == ["bad"] * 2
        clock.tick(61)
        assert _counts(url) == (0, 0) and _bodies_seen("one-bad-slow") == ["bad"] * 2
        assert [m["Body"] for m in sqs.receive_message(QueueUrl=dlq)["Messages"]] == ["bad"]


def test_redelivery_of_a_message_older_than_12_hours(aws):
    """moto refuses ChangeMessageVisibility 12 h after the send; the poller's redelivery still works."""
    from freezegun import freeze_time

    url, _ = _worker_with_dlq("old-bad", "old", visibility=30, max_receive=5)
    with freeze_time("2026-01-05 09:00:00") as clock:
        boto3.client("sqs").send_message(QueueUrl=url, MessageBody="bad")
        clock.tick(13 * 3600)
        assert _counts(url) == (0, 1)  # received again, failed again, back in flight: no error
    assert _bodies_seen("old-bad") == ["bad", "bad"]


def test_fifo_failed_message_holds_back_its_group(aws):
    from freezegun import freeze_time

    make_function("fifo-worker", ONE_BAD)
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="orders.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="fifo-worker", BatchSize=1,
                                                       FunctionResponseTypes=["ReportBatchItemFailures"])
    with freeze_time("2026-01-05 09:00:00"):
        for body, group in (("bad", "A"), ("a2", "A"), ("b1", "B")):
            sqs.send_message(QueueUrl=url, MessageBody=body, MessageGroupId=group)
        seen = _bodies_seen("fifo-worker")
    assert "b1" in seen and "a2" not in seen  # group A waits behind its failed message; B goes on
    assert seen.count("bad") == 1


def test_fifo_failed_batch_comes_back_in_order(aws):
    """A failed FIFO batch comes back in its groups' order: no later message of a group overtakes."""
    from freezegun import freeze_time

    make_function("fifo-order", """
import json
def handler(event, context):
    print(json.dumps({"body": ",".join(r["body"] for r in event["Records"])}))
    if any(r["body"] == "b1" for r in event["Records"]):
        raise ValueError("the whole batch fails")
""")
    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="ordered.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "0"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="fifo-order", BatchSize=3)
    with freeze_time("2026-01-05 09:00:00") as clock:
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": b, "MessageGroupId": g, "MessageDeduplicationId": b}
            for i, (b, g) in enumerate((("a1", "A"), ("b1", "B"), ("a2", "A")))])
        for _ in range(3):
            clock.tick(1)  # past the visibility timeout (0 s) in frozen time
            _call_with_deadline(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))
    seen = _bodies_seen("fifo-order")
    assert seen and all("a2" not in b.split(",") or "a1" in b.split(",") for b in seen), seen


def test_handler_feeding_its_own_queue_is_bounded(aws):
    """A recursive loop (the handler sends to the queue that invokes it) stops within one call."""
    from course_utils import runtime
    from course_utils.runtime.event_sources import MAX_ROUNDS

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="loop")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    make_function("looper", f"""
import boto3
def handler(event, context):
    boto3.client("sqs").send_message(QueueUrl="{url}", MessageBody="again")
""")
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=arn, FunctionName="looper", BatchSize=10)
    _call_with_deadline(lambda: sqs.send_message(QueueUrl=url, MessageBody="start"))
    assert len(runtime.invocations("looper")) == MAX_ROUNDS
    assert _counts(url) == (1, 0)  # the last message waits for the next call


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


def _stream_table(name: str) -> str:
    ddb = boto3.client("dynamodb")
    return ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
                            StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"})["TableDescription"]["LatestStreamArn"]


def _stream_worker(table: str, function: str, **mapping) -> str:
    """A table with a stream, the STREAM_BAD handler and a mapping (``mapping``: its settings)."""
    stream = _stream_table(table)
    make_function(function, STREAM_BAD)
    boto3.client("lambda").create_event_source_mapping(EventSourceArn=stream, FunctionName=function,
                                                       StartingPosition="LATEST", **mapping)
    return stream


STREAM_BAD = """
import json
def handler(event, context):
    keys = [r["dynamodb"]["Keys"]["pk"]["S"] for r in event["Records"]]
    print(json.dumps({"body": ",".join(keys)}))
    if "bad" in keys:
        raise ValueError("bad record")
"""


def test_stream_retries_exhausted_go_to_the_on_failure_destination(aws):
    sqs = boto3.client("sqs")
    dest = sqs.create_queue(QueueName="stream-failures")["QueueUrl"]
    dest_arn = sqs.get_queue_attributes(QueueUrl=dest, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    stream = _stream_worker("ddb-retry", "stream-bad", BatchSize=10, MaximumRetryAttempts=2,
                            DestinationConfig={"OnFailure": {"Destination": dest_arn}})
    ddb = boto3.client("dynamodb")
    _call_with_deadline(lambda: ddb.put_item(TableName="ddb-retry", Item={"pk": {"S": "bad"}}))
    assert _bodies_seen("stream-bad") == ["bad"] * 3  # the first attempt and 2 retries
    (msg,) = sqs.receive_message(QueueUrl=dest)["Messages"]
    record = json.loads(msg["Body"])
    assert record["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 3
    assert record["DDBStreamBatchInfo"]["batchSize"] == 1 and record["DDBStreamBatchInfo"]["streamArn"] == stream
    ddb.put_item(TableName="ddb-retry", Item={"pk": {"S": "good"}})  # the shard moved on
    assert _bodies_seen("stream-bad")[-1] == "good"


def test_stream_infinite_retries_block_the_shard_but_every_call_returns(aws):
    from course_utils.runtime.stream_poller import MAX_INVOCATIONS

    _stream_worker("ddb-blocked", "stream-blocked", BatchSize=10)
    ddb = boto3.client("dynamodb")
    _call_with_deadline(lambda: ddb.put_item(TableName="ddb-blocked", Item={"pk": {"S": "bad"}}))
    assert len(_bodies_seen("stream-blocked")) == MAX_INVOCATIONS
    _call_with_deadline(lambda: ddb.put_item(TableName="ddb-blocked", Item={"pk": {"S": "later"}}))
    seen = _bodies_seen("stream-blocked")
    assert len(seen) == 2 * MAX_INVOCATIONS and "later" not in ",".join(seen[:MAX_INVOCATIONS])
    assert all(s.startswith("bad") for s in seen)  # the record behind the bad one waits: shard order


def test_stream_bisect_isolates_the_bad_record(aws):
    sqs = boto3.client("sqs")
    dest = sqs.create_queue(QueueName="kinesis-failures")["QueueUrl"]
    dest_arn = sqs.get_queue_attributes(QueueUrl=dest, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    k = boto3.client("kinesis")
    k.create_stream(StreamName="bisect", ShardCount=1)
    arn = k.describe_stream(StreamName="bisect")["StreamDescription"]["StreamARN"]
    make_function("kin-bad", """
import base64, json
def handler(event, context):
    items = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    print(json.dumps({"body": ",".join(items)}))
    if "bad" in items:
        raise ValueError("bad record")
""")
    lam = boto3.client("lambda")
    esm = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="kin-bad", StartingPosition="LATEST", BatchSize=4,
                                          Enabled=False, BisectBatchOnFunctionError=True, MaximumRetryAttempts=0,
                                          DestinationConfig={"OnFailure": {"Destination": dest_arn}})
    for item in ("a", "b", "bad", "c"):
        k.put_record(StreamName="bisect", Data=item.encode(), PartitionKey="p")
    lam.update_event_source_mapping(UUID=esm["UUID"], Enabled=True)
    k.put_record(StreamName="bisect", Data=b"d", PartitionKey="p")
    assert _bodies_seen("kin-bad") == ["a,b,bad,c", "a,b", "bad,c,d", "bad", "c,d"]  # halves until one record fails
    info = json.loads(sqs.receive_message(QueueUrl=dest)["Messages"][0]["Body"])["KinesisBatchInfo"]
    assert info["batchSize"] == 1
    iterator = k.get_shard_iterator(StreamName="bisect", ShardId="shardId-000000000000", ShardIteratorType="AT_SEQUENCE_NUMBER",
                                    StartingSequenceNumber=info["startSequenceNumber"])["ShardIterator"]
    assert k.get_records(ShardIterator=iterator)["Records"][0]["Data"] == b"bad"  # the discarded record, found again


def test_stream_maximum_record_age_with_time_travel(aws):
    from freezegun import freeze_time

    _stream_worker("ddb-age", "stream-age", MaximumRecordAgeInSeconds=60)
    ddb = boto3.client("dynamodb")
    with freeze_time("2026-01-05 09:00:00") as clock:
        ddb.put_item(TableName="ddb-age", Item={"pk": {"S": "bad"}})
        tried = len(_bodies_seen("stream-age"))
        clock.tick(61)
        ddb.put_item(TableName="ddb-age", Item={"pk": {"S": "fresh"}})
    assert _bodies_seen("stream-age")[tried:] == ["fresh"]  # the expired record was discarded first


# --- property: generated SQS mapping configurations ----------------------------------------------

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

WORKER = """
import json, time
BAD = set(json.loads('{bad}'))
def handler(event, context):
    bodies = [r["body"] for r in event["Records"]]
    print(json.dumps({{"bodies": bodies}}))
    bad = [r["messageId"] for r in event["Records"] if r["body"] in BAD]
    if bad and "{mode}" == "timeout":
        time.sleep(5)
    if bad and "{mode}" == "raise":
        raise ValueError("a bad message")
    return {{"batchItemFailures": [{{"itemIdentifier": i}} for i in bad]}}
"""

sqs_configs = st.fixed_dictionaries({
    "n": st.integers(1, 10),  # SendMessageBatch takes at most 10 entries
    "bad": st.sets(st.integers(0, 9), max_size=3),
    "mode": st.sampled_from(["partial", "partial", "raise", "raise", "timeout"]),
    "visibility": st.sampled_from([0, 0, 5, 30]),
    "redrive": st.sampled_from([None, 1, 3]),
    "fifo": st.booleans(),
    "batch_size": st.integers(1, 10),
    "report": st.booleans(),
    "later_calls": st.integers(0, 3),
})


@settings(max_examples=25, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # the same examples every run
@given(cfg=sqs_configs)
def test_any_sqs_mapping_returns_and_loses_nothing(aws, cfg):
    """Every call returns, with a bounded number of invocations; every message is processed once,
    still on the queue, or in the DLQ: none lost, none processed twice."""
    from freezegun import freeze_time

    from course_utils import runtime
    from course_utils.runtime.event_sources import MAX_ROUNDS

    aws.reset()
    if cfg["mode"] == "timeout":  # one slow message at most: each timeout costs a real second
        cfg = {**cfg, "bad": set(list(cfg["bad"])[:1]), "visibility": max(cfg["visibility"], 5)}
    bodies = [f"m{i}" for i in range(cfg["n"])]
    bad = [f"m{i}" for i in cfg["bad"] if i < cfg["n"]]
    make_function("worker", WORKER.format(bad=json.dumps(bad), mode=cfg["mode"]), Timeout=1)
    sqs = boto3.client("sqs")
    suffix = ".fifo" if cfg["fifo"] else ""
    fifo_attrs = {"FifoQueue": "true"} if cfg["fifo"] else {}
    attrs = {"VisibilityTimeout": str(cfg["visibility"]), **fifo_attrs}
    dlq_url = None
    if cfg["redrive"]:
        dlq_url = sqs.create_queue(QueueName="dlq" + suffix, Attributes=fifo_attrs)["QueueUrl"]
        dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        attrs["RedrivePolicy"] = json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": cfg["redrive"]})
    url = sqs.create_queue(QueueName="work" + suffix, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    boto3.client("lambda").create_event_source_mapping(
        EventSourceArn=arn, FunctionName="worker", BatchSize=cfg["batch_size"],
        FunctionResponseTypes=["ReportBatchItemFailures"] if cfg["report"] else [])

    def entry(i: int, body: str) -> dict:
        extra = {"MessageGroupId": f"g{i % 2}", "MessageDeduplicationId": body} if cfg["fifo"] else {}
        return {"Id": str(i), "MessageBody": body, **extra}

    calls = 0

    def bounded(fn):
        nonlocal calls
        calls += 1
        before = len(runtime.invocations("worker"))
        _call_with_deadline(fn, 120)
        assert len(runtime.invocations("worker")) - before <= MAX_ROUNDS * cfg["n"]

    with freeze_time("2026-01-05 09:00:00") as clock:
        bounded(lambda: sqs.send_message_batch(QueueUrl=url, Entries=[entry(i, b) for i, b in enumerate(bodies)]))
        for _ in range(cfg["later_calls"]):
            clock.tick(cfg["visibility"] + 1)
            bounded(lambda: sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]))
        on_queue = sum(_counts(url))  # (this call lets the poller run too: read the logs after it)
        in_dlq = sum(_counts(dlq_url)) if dlq_url else 0
        seen = [json.loads(line) for line in _log_lines("worker") if line.startswith("{")]
    processed: list[str] = []  # what Lambda counts as done, invocation by invocation
    for line in seen:
        hit = [b for b in line["bodies"] if b in bad]
        if not hit:
            processed += line["bodies"]
        elif cfg["mode"] == "partial":
            processed += [b for b in line["bodies"] if b not in hit] if cfg["report"] else line["bodies"]
    assert len(processed) == len(set(processed)), "a message was processed again after it succeeded"
    assert not (cfg["mode"] != "partial" or cfg["report"]) or not set(bad) & set(processed)
    assert len(set(processed)) + on_queue + in_dlq == cfg["n"], (processed, on_queue, in_dlq)


def _log_lines(function: str) -> list[str]:
    try:
        return log_messages(f"/aws/lambda/{function}")
    except boto3.client("logs").exceptions.ResourceNotFoundException:
        return []


def test_sns_loop_through_the_same_function_is_dropped(aws):
    """A handler that publishes to the topic that invokes it: the chain stops, the call returns."""
    from course_utils import runtime
    from course_utils.runtime.async_invoke import MAX_CHAIN

    sns = boto3.client("sns")
    topic = sns.create_topic(Name="echo")["TopicArn"]
    fn = make_function("echo", f"""
import boto3
def handler(event, context):
    boto3.client("sns").publish(TopicArn="{topic}", Message="again")
""", Timeout=30)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn["FunctionArn"])
    _call_with_deadline(lambda: sns.publish(TopicArn=topic, Message="start"))
    assert len(runtime.invocations("echo")) == MAX_CHAIN


def test_fifo_receive_keeps_group_order_after_a_visibility_timeout(aws):
    """Without Lambda: a consumer that did not delete a FIFO batch gets it back in order."""
    from freezegun import freeze_time

    sqs = boto3.client("sqs")
    url = sqs.create_queue(QueueName="plain.fifo", Attributes={"FifoQueue": "true", "VisibilityTimeout": "30"})["QueueUrl"]
    with freeze_time("2026-01-05 09:00:00") as clock:
        for i, (b, g) in enumerate((("a1", "A"), ("b1", "B"), ("a2", "A"))):
            sqs.send_message(QueueUrl=url, MessageBody=b, MessageGroupId=g, MessageDeduplicationId=b)
        first = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
        clock.tick(31)
        again = [m["Body"] for m in sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]]
    assert first == ["a1", "b1", "a2"]
    assert again == ["a1", "b1", "a2"]  # a2 never before a1
