"""sim.buildspec: validation messages and CodeBuild's phase order and failure rules."""

import pytest

from course_utils.sim import buildspec


def test_validate_names_bad_keys_and_suggests():
    problems = {p.path: p.message for p in buildspec.validate(
        "version: 0.2\nphases:\n  biuld:\n    commands: [ls]\n  install:\n    on-failure: STOP\n    command: [x]\nartifact: {}\n")}
    assert "did you mean 'build'" in problems["phases.biuld"]
    assert "must be ABORT, CONTINUE, RETRY, RETRY-count, RETRY-regex or RETRY-count-regex" in problems["phases.install.on-failure"]
    assert "got 'STOP'" in problems["phases.install.on-failure"]
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


@pytest.mark.parametrize("value, count, regex", [
    ("ABORT", 0, ".*"),
    ("CONTINUE", 0, ".*"),
    ("RETRY", 3, ".*"),  # "up to 3 times" with the regex .*
    ("RETRY-4", 4, ".*"),
    ("RETRY-0", 0, ".*"),
    ("RETRY-100", 100, ".*"),
    ("RETRY-invalid+", 3, "invalid+"),
    ("Retry-.*Error: Unable to connect to database.*", 3, ".*Error: Unable to connect to database.*"),  # AWS's example
    ("RETRY-3-.*connection timed out.*", 3, ".*connection timed out.*"),
    ("RETRY-8-invalid+", 8, "invalid+"),
])
def test_on_failure_values_of_the_buildspec_reference_are_accepted(value, count, regex):
    spec = {"version": 0.2, "phases": {"build": {"on-failure": value, "commands": ["true"]}}}
    assert buildspec.validate(spec) == []
    parsed = buildspec.parse_on_failure(value)
    assert (parsed.count, parsed.regex) == (count, regex)
    assert parsed.mode == (value if value in ("ABORT", "CONTINUE") else "RETRY")


@pytest.mark.parametrize("value, message", [
    ("STOP", "got 'STOP'"),
    ("abort", "got 'abort'"),
    ("RETRY-", "got 'RETRY-'"),
    ("RETRYING", "got 'RETRYING'"),
    (3, "got 3"),
    (None, "got None"),
    ("RETRY-101", "retry count must be between 0 and 100, got 101"),
    ("RETRY-3-", "needs a regex after the count"),
    ("RETRY-(", "is not a valid regular expression"),
])
def test_on_failure_unknown_values_are_rejected_with_the_reason(value, message):
    spec = {"version": 0.2, "phases": {"pre_build": {"on-failure": value, "commands": ["true"]}}}
    problems = buildspec.validate(spec)
    assert [p.path for p in problems] == ["phases.pre_build.on-failure"]
    assert message in problems[0].message
    with pytest.raises(ValueError, match="phases.pre_build.on-failure"):
        buildspec.check(spec)


FLAKY = "n=$(cat tries 2>/dev/null || echo 0); echo $((n+1)) > tries; echo attempt $n; test $n -ge 2"  # passes on the 3rd run


def test_retry_reruns_the_failed_phase_until_it_passes():
    spec = {"version": 0.2, "phases": {
        "build": {"on-failure": "RETRY", "commands": [FLAKY, "echo built > out.txt"], "finally": ["echo f"]},
        "post_build": {"commands": ['echo "$CODEBUILD_BUILD_SUCCEEDING" > post.txt']}}}
    r = buildspec.run_local(spec)
    build = r.phase("build")
    assert build.status == "SUCCEEDED" and build.attempts == 3 and "retry 2" in build.reason
    assert build.commands == [(FLAKY, 0), ("echo built > out.txt", 0)]  # the last attempt
    assert build.finally_commands == [("echo f", 0)]
    assert build.output.count("retry ") == 2 and "attempt 0" in build.output and "attempt 2" in build.output
    assert open(f"{r.workdir}/post.txt").read().strip() == "1" and r.status == "SUCCEEDED"


def test_retry_count_is_a_limit_then_the_default_transitions_apply():
    spec = {"version": 0.2, "phases": {
        "install": {"on-failure": "RETRY-1", "commands": [FLAKY]},
        "build": {"commands": ["true"]}}}
    r = buildspec.run_local(spec)
    install = r.phase("install")
    assert install.status == "FAILED" and install.attempts == 2  # one retry, still failing
    assert "after 1 of 1 retries" in install.reason
    assert r.phase("build").status == "NOT_RUN" and r.status == "FAILED"  # a failed install stops the build
    spec["phases"]["install"]["on-failure"] = "RETRY-0"
    assert buildspec.run_local(spec).phase("install").attempts == 1


def test_retry_regex_must_match_the_error():
    spec = {"version": 0.2, "phases": {"build": {"on-failure": "RETRY-5-connection timed out", "commands": [FLAKY]},
                                       "post_build": {"commands": ["true"]}}}
    r = buildspec.run_local(spec)
    assert r.phase("build").attempts == 1 and "does not match" in r.phase("build").reason
    assert r.phase("post_build").status == "SUCCEEDED"  # a failed build still runs post_build
    # The regex sees the command's output and a CodeBuild-style error line with the exit status.
    spec["phases"]["build"]["on-failure"] = "RETRY-5-attempt [01]"
    assert buildspec.run_local(spec).phase("build").attempts == 3
    spec["phases"]["build"]["on-failure"] = "RETRY-exit status 1"
    assert buildspec.run_local(spec).phase("build").status == "SUCCEEDED"


def test_parameter_store_and_secrets_from_sandbox(aws):
    import json

    import boto3

    boto3.client("ssm").put_parameter(Name="/p", Value="pv", Type="String")
    boto3.client("secretsmanager").create_secret(Name="s", SecretString=json.dumps({"k": "sv"}))
    spec = {"version": 0.2, "env": {"parameter-store": {"P": "/p"}, "secrets-manager": {"S": "s:k"}},
            "phases": {"build": {"commands": ['echo "$P $S"']}}}
    r = buildspec.run_local(spec, ssm=boto3.client("ssm"), secretsmanager=boto3.client("secretsmanager"))
    assert r.phase("build").output.strip() == "pv sv"
