"""The policy playground driven like a learner would: type into the boxes, click Evaluate, read."""

from __future__ import annotations

import json

from course_utils.sim.policy_playground import playground

POLICY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ReadReports", "Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::example-bucket/reports/*"}]}  # fmt: skip


def test_first_render_shows_a_decision():
    pg = playground(identity_policy=POLICY)
    assert pg.last.decision == "Allow"
    assert "Allow: s3:GetObject" in pg.text() and "ReadReports" in pg.text()
    assert "ReadReports" in pg.output.outputs[0]["data"]["text/html"]


def test_change_action_then_add_a_deny_and_click():
    pg = playground(identity_policy=POLICY)
    pg.action.value = "s3:PutObject"
    pg.button.click()
    assert pg.last.decision == "ImplicitDeny" and "ImplicitDeny" in pg.text()
    pg.action.value = "s3:GetObject"
    pg.resource_policy.value = json.dumps({"Statement": [
        {"Sid": "NoAna", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::123456789012:user/ana"},
         "Action": "s3:*", "Resource": "arn:aws:s3:::example-bucket/*"}]})  # fmt: skip
    pg.button.click()
    assert pg.last.decision == "ExplicitDeny"
    assert "decided by: Deny in resource policy (Sid 'NoAna')" in pg.text()


def test_context_drives_conditions():
    cond = {"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*",
                           "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}}]}  # fmt: skip
    pg = playground(identity_policy=cond, context={"aws:SourceIp": "198.51.100.4"})
    assert pg.last.decision == "ImplicitDeny"
    pg.context.value = '{"aws:SourceIp": "203.0.113.4"}'
    pg.button.click()
    assert pg.last.decision == "Allow"


def test_boundary_box():
    pg = playground(identity_policy={"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})
    pg.boundary.value = '{"Statement": [{"Effect": "Allow", "Action": "dynamodb:*", "Resource": "*"}]}'
    pg.button.click()
    assert pg.last.decision == "ImplicitDeny" and "boundary" in pg.text()


def test_malformed_json_gets_a_clear_message():
    pg = playground(identity_policy=POLICY)
    pg.identity.value = '{"Statement": [ {"Effect": "Allow",, } ]}'
    pg.button.click()
    assert pg.last is None
    assert pg.text().startswith("Cannot evaluate: Identity policy: malformed JSON")
    assert "line 1, column" in pg.text()
    pg.identity.value = json.dumps(POLICY)
    pg.context.value = "[1, 2]"
    pg.button.click()
    assert "Context: expected a JSON object" in pg.text()


def test_malformed_policy_and_action_messages():
    pg = playground(identity_policy={"Statement": [{"Effect": "Alow", "Action": "s3:*", "Resource": "*"}]})
    assert "'Effect' must be" in pg.text() and "identity policy 1, statement 1" in pg.text()
    pg.identity.value = json.dumps(POLICY)
    pg.action.value = "GetObject"
    pg.button.click()
    assert "service:Operation" in pg.text()
