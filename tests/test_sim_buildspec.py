"""sim.buildspec: validation messages and CodeBuild's phase order and failure rules."""

import pytest

from course_utils.sim import buildspec


def test_validate_names_bad_keys_and_suggests():
    problems = {p.path: p.message for p in buildspec.validate(
        "version: 0.2\nphases:\n  biuld:\n    commands: [ls]\n  install:\n    on-failure: STOP\n    command: [x]\nartifact: {}\n")}
    assert "did you mean 'build'" in problems["phases.biuld"]
    assert "ABORT or CONTINUE" in problems["phases.install.on-failure"]
    assert "did you mean 'commands'" in problems["phases.install.command"]
    assert "did you mean 'artifacts'" in problems["artifact"]


def test_validate_sound_spec_and_reserved_names():
    ok = {"version": 0.2, "env": {"variables": {"A": "1"}}, "phases": {"build": {"commands": ["true"]}}, "artifacts": {"files": ["**/*"]}}
    assert buildspec.validate(ok) == []
    bad = {"version": 0.1, "env": {"variables": {"CODEBUILD_X": "1"}}, "phases": {"build": {"commands": ["true"]}}}
    paths = [p.path for p in buildspec.validate(bad)]
    assert paths == ["version", "env.variables.CODEBUILD_X"]
    with pytest.raises(ValueError, match="phases: is required"):
        buildspec.check({"version": 0.2})


def test_build_failure_still_runs_post_build_and_uploads():
    spec = {"version": 0.2, "phases": {
        "install": {"commands": ["export T=1"]},
        "build": {"commands": ["echo $T > out.txt", "false", "echo never > never.txt"], "finally": ["echo f"]},
        "post_build": {"commands": ['echo "$CODEBUILD_BUILD_SUCCEEDING" > post.txt']}},
        "artifacts": {"files": ["*.txt"]}}
    r = buildspec.run_local(spec)
    assert [p.status for p in r.phases] == ["SUCCEEDED", "NOT_RUN", "FAILED", "SUCCEEDED"]
    assert r.phase("build").commands == [("echo $T > out.txt", 0), ("false", 1)]
    assert r.phase("build").finally_commands == [("echo f", 0)]
    assert open(f"{r.workdir}/post.txt").read().strip() == "0"
    assert r.status == "FAILED" and r.upload_attempted and r.artifacts == ["out.txt", "post.txt"]


def test_install_failure_stops_unless_continue():
    spec = {"version": 0.2, "phases": {"install": {"commands": ["exit 2"]}, "build": {"commands": ["true"]}, "post_build": {"commands": ["true"]}}}
    r = buildspec.run_local(spec)
    assert [p.status for p in r.phases] == ["FAILED", "NOT_RUN", "NOT_RUN", "NOT_RUN"]
    assert not r.upload_attempted
    spec["phases"]["install"]["on-failure"] = "CONTINUE"
    r = buildspec.run_local(spec)
    assert [p.status for p in r.phases] == ["FAILED", "NOT_RUN", "SUCCEEDED", "SUCCEEDED"] and r.status == "FAILED"


def test_abort_on_build_skips_post_build():
    spec = {"version": 0.2, "phases": {"build": {"on-failure": "ABORT", "commands": ["false"]}, "post_build": {"commands": ["true"]}}}
    r = buildspec.run_local(spec)
    assert r.phase("post_build").status == "NOT_RUN" and "ABORT" in r.phase("post_build").reason


def test_parameter_store_and_secrets_from_sandbox(aws):
    import json

    import boto3

    boto3.client("ssm").put_parameter(Name="/p", Value="pv", Type="String")
    boto3.client("secretsmanager").create_secret(Name="s", SecretString=json.dumps({"k": "sv"}))
    spec = {"version": 0.2, "env": {"parameter-store": {"P": "/p"}, "secrets-manager": {"S": "s:k"}},
            "phases": {"build": {"commands": ['echo "$P $S"']}}}
    r = buildspec.run_local(spec, ssm=boto3.client("ssm"), secretsmanager=boto3.client("secretsmanager"))
    assert r.phase("build").output.strip() == "pv sv"
