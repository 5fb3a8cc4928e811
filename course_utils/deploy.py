"""The sandbox chores every notebook repeats: package a handler, make a role, (re)deploy a function.

Each helper makes its notebook cell safe to run twice (*Run All* again): a function, queue, table,
REST API or stack left by an earlier run is deleted and created afresh, and a role is created
once and reused. The AWS calls a section teaches stay in its cells; these are the setup around them.

    from course_utils import deploy
    deploy.function("hello", "def handler(event, context):\\n    return {'hi': event['name']}\\n")
    response, result = deploy.invoke("hello", {"name": "Ana"})   # result == {'hi': 'Ana'}

Every helper works against the running sandbox (:func:`course_utils.sandbox.start`) through
boto3's default session.
"""

from __future__ import annotations

import io
import json
import textwrap
import uuid
import zipfile
from collections.abc import Mapping
from typing import Any

__all__ = [
    "LAMBDA_ROLE",
    "RUNTIME",
    "trust_policy",
    "role",
    "zip_package",
    "function",
    "invoke",
    "fresh_queue",
    "drain_queue",
    "fresh_table",
    "fresh_rest_api",
    "fresh_stack",
]

LAMBDA_ROLE = "course-lambda"  #: the execution role :func:`function` uses unless told otherwise
RUNTIME = "python3.12"


def _client(service: str) -> Any:
    """A client of boto3's current default session (made once per session and service)."""
    from .sim.clients import default_client

    return default_client(service)


def trust_policy(service: str = "lambda.amazonaws.com") -> dict[str, Any]:
    """A role trust policy that lets ``service`` (e.g. ``lambda.amazonaws.com``) assume the role."""
    if not service or "." not in service:
        raise ValueError(f"expected a service principal such as 'lambda.amazonaws.com', got {service!r}")
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
    }


def role(name: str = LAMBDA_ROLE, service: str = "lambda.amazonaws.com") -> str:
    """ARN of the IAM role ``name`` that ``service`` may assume; created the first time."""
    iam = _client("iam")
    try:
        return iam.get_role(RoleName=name)["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        document = json.dumps(trust_policy(service))
        return iam.create_role(RoleName=name, AssumeRolePolicyDocument=document)["Role"]["Arn"]


def zip_package(files: Mapping[str, str | bytes] | str) -> bytes:
    """A .zip deployment package built in memory: ``{path in the zip: content}``, or one source
    string, which becomes ``app.py``."""
    if isinstance(files, str):
        files = {"app.py": files}
    if not files:
        raise ValueError("a deployment package needs at least one file")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, content in files.items():
            zf.writestr(path, content)
    return buf.getvalue()


def function(name: str, source: str, *, role_arn: str | None = None, handler: str = "app.handler",
             runtime: str = RUNTIME, remove_event_sources: bool = False, **config: Any) -> dict[str, Any]:
    """(Re)create the Lambda function ``name`` whose ``app.py`` is ``source``; returns ``create_function``'s response.

    ``source`` is dedented. Each call is a new build (a comment with a build id is appended), so
    the first invocation after it is a cold start, as after a real deployment. ``config`` goes to
    ``create_function`` (``Timeout``, ``MemorySize``, ``Environment``, ``Layers`` ...). The role is
    ``role_arn``, or :data:`LAMBDA_ROLE` (created if needed). ``remove_event_sources`` also deletes
    the function's event source mappings first (AWS keeps them when a function is deleted).
    """
    if not isinstance(source, str) or not source.strip():
        raise ValueError(f"source must be the Python code of app.py as a non-empty string, got {source!r:.60}")
    lam = _client("lambda")
    if remove_event_sources:
        for mapping in lam.list_event_source_mappings(FunctionName=name)["EventSourceMappings"]:
            lam.delete_event_source_mapping(UUID=mapping["UUID"])
    try:
        lam.delete_function(FunctionName=name)
    except lam.exceptions.ResourceNotFoundException:
        pass
    code = textwrap.dedent(source).rstrip("\n") + f"\n\n# build {uuid.uuid4().hex}\n"
    return lam.create_function(FunctionName=name, Runtime=runtime, Role=role_arn or role(), Handler=handler,
                               Code={"ZipFile": zip_package(code)}, **config)


def invoke(name: str, payload: Any = None, **kwargs: Any) -> tuple[dict[str, Any], Any]:
    """Invoke ``name`` with ``payload`` (JSON-encoded); returns (the response, the decoded result or None)."""
    response = _client("lambda").invoke(FunctionName=name, Payload=json.dumps({} if payload is None else payload), **kwargs)
    body = response["Payload"].read()
    return response, (json.loads(body) if body else None)


def drain_queue(url: str) -> int:
    """Receive and delete every visible message of the queue at ``url``; returns how many."""
    sqs = _client("sqs")
    count = 0
    while messages := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        for message in messages:
            sqs.delete_message(QueueUrl=url, ReceiptHandle=message["ReceiptHandle"])
        count += len(messages)
    return count


def fresh_queue(name: str, **attributes: Any) -> tuple[str, str]:
    """Create the SQS queue ``name`` with ``attributes``, replacing one left by an earlier run; returns (url, ARN)."""
    sqs = _client("sqs")
    try:
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except sqs.exceptions.QueueDoesNotExist:
        pass
    url = sqs.create_queue(QueueName=name, Attributes={k: str(v) for k, v in attributes.items()})["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]


def fresh_table(name: str, **spec: Any) -> dict[str, Any]:
    """Create the DynamoDB table ``name`` (``spec`` as for ``create_table``), replacing one left by an
    earlier run; returns its ``TableDescription``."""
    ddb = _client("dynamodb")
    try:
        ddb.delete_table(TableName=name)
    except ddb.exceptions.ResourceNotFoundException:
        pass
    return ddb.create_table(TableName=name, **spec)["TableDescription"]


def fresh_rest_api(name: str) -> tuple[str, str]:
    """Create the REST API ``name``, deleting any of that name; returns (API id, root resource id)."""
    apigw = _client("apigateway")
    for item in apigw.get_rest_apis(limit=500)["items"]:
        if item["name"] == name:
            apigw.delete_rest_api(restApiId=item["id"])
    api_id = apigw.create_rest_api(name=name)["id"]
    return api_id, apigw.get_resources(restApiId=api_id)["items"][0]["id"]


def fresh_stack(name: str) -> bool:
    """Delete the CloudFormation stack ``name`` left by an earlier run, if any; True if one was deleted."""
    cfn = _client("cloudformation")
    live = [s for s in cfn.list_stacks()["StackSummaries"] if s["StackName"] == name and s["StackStatus"] != "DELETE_COMPLETE"]
    if live:
        cfn.delete_stack(StackName=name)
    return bool(live)
