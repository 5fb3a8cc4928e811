"""Drift detection on a sandbox stack; template rules: :mod:`course_utils.rules.drift`."""

from __future__ import annotations

from typing import Any

from ..rules import drift as _engine
from ..rules.drift import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.drift import PropertyDiff, ResourceDrift, StackDrift, _compare, _resolve, load_template

__all__ = [*_engine.__all__, "detect_stack_drift"]


class _Gone(Exception):
    pass


def _live(rtype: str, physical_id: str, session: Any) -> dict[str, Any] | None:
    """Actual properties in template terms, or None when the type is not checked."""
    from botocore.exceptions import ClientError

    try:
        if rtype == "AWS::SSM::Parameter":
            p = session.client("ssm").get_parameter(Name=physical_id)["Parameter"]
            return {"Name": p["Name"], "Type": p["Type"], "Value": p["Value"]}
        if rtype == "AWS::SQS::Queue":
            attrs = session.client("sqs").get_queue_attributes(QueueUrl=physical_id, AttributeNames=["All"])["Attributes"]
            keys = ("VisibilityTimeout", "MessageRetentionPeriod", "DelaySeconds", "MaximumMessageSize", "ReceiveMessageWaitTimeSeconds")
            return {k: attrs.get(k) for k in keys}
        if rtype == "AWS::SNS::Topic":
            attrs = session.client("sns").get_topic_attributes(TopicArn=physical_id)["Attributes"]
            return {"DisplayName": attrs.get("DisplayName", "")}
        if rtype == "AWS::DynamoDB::Table":
            t = session.client("dynamodb").describe_table(TableName=physical_id)["Table"]
            out: dict[str, Any] = {"TableName": t["TableName"], "BillingMode": (t.get("BillingModeSummary") or {}).get("BillingMode", "PROVISIONED")}
            pt = t.get("ProvisionedThroughput") or {}
            out["ProvisionedThroughput"] = {"ReadCapacityUnits": pt.get("ReadCapacityUnits"), "WriteCapacityUnits": pt.get("WriteCapacityUnits")}
            return out
        if rtype == "AWS::Lambda::Function":
            c = session.client("lambda").get_function_configuration(FunctionName=physical_id)
            return {"Timeout": c.get("Timeout"), "MemorySize": c.get("MemorySize"), "Handler": c.get("Handler"), "Runtime": c.get("Runtime"),
                    "Environment": {"Variables": (c.get("Environment") or {}).get("Variables", {})}}  # fmt: skip
        if rtype == "AWS::S3::Bucket":
            session.client("s3").head_bucket(Bucket=physical_id)
            return {}
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        if code in ("ParameterNotFound", "ResourceNotFoundException", "NotFound", "404", "NoSuchBucket",
                    "AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist", "NotFoundException"):  # fmt: skip
            raise _Gone from None
        raise
    return None


def detect_stack_drift(stack_name: str, *, session: Any = None) -> StackDrift:
    """Compare every resource of a sandbox stack with its template-declared properties."""
    import boto3

    session = session or boto3.session.Session()
    cfn = session.client("cloudformation")
    stack = cfn.describe_stacks(StackName=stack_name)["Stacks"][0]
    params = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
    template = load_template(cfn.get_template(StackName=stack_name)["TemplateBody"])
    summaries = cfn.list_stack_resources(StackName=stack_name)["StackResourceSummaries"]
    physical = {s["LogicalResourceId"]: s["PhysicalResourceId"] for s in summaries}
    drifts: list[ResourceDrift] = []
    for logical, resource in (template.get("Resources") or {}).items():
        rtype = resource.get("Type", "")
        if logical not in physical:
            continue  # not created (its Condition was false): nothing to compare
        pid = physical[logical]
        declared = _resolve(resource.get("Properties") or {}, params, physical)
        try:
            live = _live(rtype, pid, session)
        except _Gone:
            drifts.append(ResourceDrift(logical, rtype, pid, "DELETED"))
            continue
        if live is None:
            drifts.append(ResourceDrift(logical, rtype, pid, "NOT_CHECKED"))
            continue
        diffs: list[PropertyDiff] = []
        for key, value in declared.items():
            if key in live:
                _compare(key, value, live[key], diffs)
        drifts.append(ResourceDrift(logical, rtype, pid, "MODIFIED" if diffs else "IN_SYNC", diffs))
    drifted = any(d.status in ("MODIFIED", "DELETED") for d in drifts)
    return StackDrift(stack_name, "DRIFTED" if drifted else "IN_SYNC", drifts)
