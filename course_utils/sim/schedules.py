"""Fire a sandbox EventBridge schedule; parsing and fire times: :mod:`course_utils.rules.schedules`."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from ..rules import schedules as _engine
from ..rules.schedules import *  # noqa: F401,F403 (re-export for the notebooks)
from ..rules.schedules import fire_times_between, scheduled_event

__all__ = [*_engine.__all__, "fire_rule"]


def fire_rule(rule_name: str, start: datetime, end: datetime, *, event_bus_name: str = "default",
              created: datetime | None = None, events_client: Any = None) -> list[datetime]:
    """Deliver a scheduled rule's event to its targets for every fire time in ``(start, end]``.

    Reads the rule's ScheduleExpression and targets from the sandbox (moto), then, with the
    clock frozen at each fire time, sends the Scheduled Event (or the target's ``Input``) to SQS
    queues, SNS topics and Lambda functions (Lambda is invoked asynchronously, as EventBridge
    does). Disabled rules fire nothing. Returns the fire times used.
    """
    import boto3
    from freezegun import freeze_time

    events = events_client or boto3.client("events")
    rule = events.describe_rule(Name=rule_name, EventBusName=event_bus_name)
    expression = rule.get("ScheduleExpression")
    if not expression:
        raise ValueError(f"rule {rule_name!r} has no ScheduleExpression (it is an event-pattern rule)")
    if rule.get("State") != "ENABLED":
        return []
    targets = events.list_targets_by_rule(Rule=rule_name, EventBusName=event_bus_name)["Targets"]
    times = fire_times_between(expression, start, end, created=created)
    region = events.meta.region_name
    account = rule["Arn"].split(":")[4]
    for when in times:
        with freeze_time(when):
            event = scheduled_event(rule["Arn"], when, account=account, region=region)
            for target in targets:
                payload = target.get("Input") or json.dumps(event)
                _deliver(target["Arn"], payload, region)
    return times


def _deliver(arn: str, payload: str, region: str) -> None:
    import boto3

    service = arn.split(":")[2]
    if service == "sqs":
        name, account = arn.split(":")[5], arn.split(":")[4]
        sqs = boto3.client("sqs", region_name=region)
        url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"]
        sqs.send_message(QueueUrl=url, MessageBody=payload)
    elif service == "sns":
        boto3.client("sns", region_name=region).publish(TopicArn=arn, Message=payload)
    elif service == "lambda":
        boto3.client("lambda", region_name=region).invoke(
            FunctionName=arn, InvocationType="Event", Payload=payload.encode())
    else:
        raise ValueError(f"target {arn}: only SQS, SNS and Lambda targets are simulated")
