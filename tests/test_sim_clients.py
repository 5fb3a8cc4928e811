"""course_utils.sim.clients: one client per default session and service."""

from __future__ import annotations

import boto3

from course_utils.sim.clients import default_client


def test_a_client_is_reused_until_the_default_session_changes(aws):
    first = default_client("sqs")
    assert default_client("sqs") is first
    assert default_client("sns") is not first
    boto3.setup_default_session(region_name="us-east-1")
    assert default_client("sqs") is not first
