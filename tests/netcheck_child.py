"""Child process for tests/test_sandbox.py: records every attempt to reach a non-local address.

Usage: python netcheck_child.py sandbox|control. Prints one JSON line: attempts and results.
The recorder is an audit hook installed before anything else, independent of the sandbox's
own guard (which the sandbox run switches off, so what is measured is what the sandbox would
have sent, not what the guard caught).
"""

import ipaddress
import json
import socket
import sys

attempts: list[str] = []


def _local(host) -> bool:
    if host in (None, "", b""):
        return True
    if isinstance(host, bytes):
        host = host.decode()
    host = str(host).strip("[]").lower()
    if host in {"localhost"}:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _recorder(event, args):
    if event == "socket.connect":
        sock, address = args[0], args[1]
        if sock.family in (socket.AF_INET, socket.AF_INET6) and not _local(address[0]):
            attempts.append(f"connect {address[0]}:{address[1]}")
    elif event == "socket.getaddrinfo" and not _local(args[0]):
        attempts.append(f"getaddrinfo {args[0]}")


sys.addaudithook(_recorder)

mode = sys.argv[1]
results: dict[str, object] = {}

if mode == "control":
    import boto3
    from botocore.config import Config

    cfg = Config(connect_timeout=1, read_timeout=1, retries={"max_attempts": 1})
    try:
        boto3.client("s3", region_name="us-east-1", config=cfg).list_buckets()
        results["control"] = "no error"
    except Exception as exc:  # no network here: the call fails, but it was attempted
        results["control"] = type(exc).__name__
else:
    from course_utils import sandbox

    info = sandbox.start(quiet=True, network_guard=False)
    import boto3

    session = boto3.Session()
    creds = session.get_credentials().get_frozen_credentials()
    results["access_key"] = creds.access_key
    results["region"] = session.region_name
    results["account"] = boto3.client("sts").get_caller_identity()["Account"]
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="netcheck-bucket")
    s3.put_object(Bucket="netcheck-bucket", Key="k", Body=b"v")
    results["s3"] = s3.get_object(Bucket="netcheck-bucket", Key="k")["Body"].read().decode()
    ddb = boto3.client("dynamodb")
    ddb.create_table(
        TableName="t", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}], BillingMode="PAY_PER_REQUEST",
    )  # fmt: skip
    ddb.put_item(TableName="t", Item={"pk": {"S": "a"}})
    results["dynamodb"] = ddb.get_item(TableName="t", Key={"pk": {"S": "a"}})["Item"]["pk"]["S"]
    q = boto3.client("sqs").create_queue(QueueName="q")["QueueUrl"]
    boto3.client("sqs").send_message(QueueUrl=q, MessageBody="m")
    boto3.client("sns").create_topic(Name="topic")
    boto3.client("kms").create_key()
    boto3.client("secretsmanager").create_secret(Name="s", SecretString="x")
    boto3.client("ssm").put_parameter(Name="/p", Value="v", Type="String")
    boto3.client("iam").list_roles()
    boto3.client("lambda").list_functions()
    boto3.client("apigateway").get_rest_apis()
    boto3.client("cognito-idp").list_user_pools(MaxResults=5)
    boto3.client("events").list_rules()
    boto3.client("stepfunctions").list_state_machines()
    boto3.client("logs").describe_log_groups()
    boto3.client("cloudwatch").list_metrics()
    boto3.resource("dynamodb").Table("t").scan()
    from course_utils.awscli_magic import run_aws

    cli = run_aws("s3api list-buckets --query Buckets[].Name --output text")
    results["cli"] = cli.stdout.strip()
    results["cli_rc"] = cli.returncode
    import requests

    presigned = s3.generate_presigned_url("get_object", Params={"Bucket": "netcheck-bucket", "Key": "k"})
    results["presigned"] = requests.get(presigned, timeout=5).text

print(json.dumps({"attempts": attempts, "results": results}))
