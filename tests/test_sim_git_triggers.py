"""Git pushes against CodePipeline V2 pipelines in the sandbox (course_utils.sim.git_triggers)."""

from __future__ import annotations

import json

import boto3
import pytest

from course_utils.sim import git_triggers

CONNECTION = "arn:aws:codeconnections:us-east-1:123456789012:connection/abc"


def _pipeline(name, push, role):
    source = {"name": "Source", "actionTypeId": {"category": "Source", "owner": "AWS",
                                                 "provider": "CodeStarSourceConnection", "version": "1"},
              "configuration": {"ConnectionArn": CONNECTION, "FullRepositoryId": "acme/shop", "BranchName": "main"},
              "outputArtifacts": [{"name": "Src"}]}
    deploy = {"name": "Deploy", "actionTypeId": {"category": "Build", "owner": "AWS", "provider": "CodeBuild", "version": "1"},
              "configuration": {"ProjectName": name}, "inputArtifacts": [{"name": "Src"}]}
    return {"name": name, "roleArn": role, "pipelineType": "V2", "artifactStore": {"type": "S3", "location": "artifacts"},
            "stages": [{"name": "Source", "actions": [source]}, {"name": "Deploy", "actions": [deploy]}],
            "triggers": [{"providerType": "CodeStarSourceConnection",
                          "gitConfiguration": {"sourceActionName": "Source", "push": push}}]}


@pytest.fixture
def pipelines(aws):
    iam = boto3.client("iam")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"},
                                                      "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="pipeline", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    cp = boto3.client("codepipeline", region_name="us-east-1")
    git_triggers.save_pipeline(_pipeline("staging", [{"branches": {"includes": ["main"]}}], role), cp)
    git_triggers.save_pipeline(_pipeline("production", [{"tags": {"includes": ["v*"]}}], role), cp)
    return cp


def test_the_sandbox_keeps_pipeline_type_and_triggers(pipelines):
    stored = pipelines.get_pipeline(name="production")["pipeline"]
    assert stored["pipelineType"] == "V2"
    assert stored["triggers"][0]["gitConfiguration"]["push"] == [{"tags": {"includes": ["v*"]}}]


def test_a_push_to_main_starts_staging_only(pipelines):
    results = {d.pipeline: execution for d, execution in git_triggers.push(branch="main", files=["app.py"], cp=pipelines)}
    assert results["production"] is None and results["staging"] is not None
    runs = pipelines.list_pipeline_executions(pipelineName="staging")["pipelineExecutionSummaries"]
    assert [r["pipelineExecutionId"] for r in runs] == [results["staging"]]


def test_a_release_tag_starts_production_and_save_is_rerunnable(pipelines):
    results = dict((d.pipeline, d.starts) for d, _ in git_triggers.push(tag="v1.0.0", cp=pipelines))
    assert results == {"staging": False, "production": True}
    stored = git_triggers.pipelines(pipelines)
    git_triggers.save_pipeline({**stored[0], "name": stored[0]["name"]}, pipelines)  # update, no error
    assert pipelines.list_pipeline_executions(pipelineName="staging")["pipelineExecutionSummaries"] == []


def test_invalid_triggers_are_refused_before_the_sandbox(aws):
    bad = _pipeline("bad", [{"tags": {"includes": ["v*"]}, "branches": {"includes": ["main"]}}], "arn:aws:iam::1:role/x")
    with pytest.raises(ValueError, match="not both"):
        git_triggers.save_pipeline(bad, boto3.client("codepipeline", region_name="us-east-1"))


def test_pull_request_into_main(pipelines):
    decisions = git_triggers.pull_request("OPEN", into="main", cp=pipelines)
    assert [d.starts for d, _ in decisions] == [False, False]  # no pullRequest filters
