"""Reading deployment failures: stack events, CodeBuild phases, CodeDeploy lifecycle events (pure data)."""

from __future__ import annotations

import pytest

from course_utils.rules import deploy_logs
from course_utils.rules.buildspec import BuildReport, PhaseResult

STACK = "orders"


def ev(logical: str, status: str, reason: str = "", kind: str = "AWS::SQS::Queue") -> dict:
    if logical == STACK:
        kind = "AWS::CloudFormation::Stack"
    return {"StackName": STACK, "LogicalResourceId": logical, "ResourceType": kind, "ResourceStatus": status,
            "ResourceStatusReason": reason}


NO_BUCKET = 'Resource handler returned message: "Error occurred while GetObject. S3 Error Code: NoSuchBucket."'

#: A failed creation, oldest first: the table was cancelled while the function failed on its own.
FAILED_CREATE = [
    ev(STACK, "CREATE_IN_PROGRESS", "User Initiated"),
    ev("Role", "CREATE_IN_PROGRESS", kind="AWS::IAM::Role"), ev("Role", "CREATE_COMPLETE", kind="AWS::IAM::Role"),
    ev("Table", "CREATE_IN_PROGRESS", kind="AWS::DynamoDB::Table"),
    ev("Fn", "CREATE_IN_PROGRESS", kind="AWS::Lambda::Function"),
    ev("Fn", "CREATE_FAILED", NO_BUCKET, kind="AWS::Lambda::Function"),
    ev("Table", "CREATE_FAILED", "Resource creation cancelled", kind="AWS::DynamoDB::Table"),
    ev(STACK, "ROLLBACK_IN_PROGRESS", "The following resource(s) failed to create: [Fn, Table]. Rollback requested by user."),
    ev("Role", "DELETE_COMPLETE", kind="AWS::IAM::Role"),
    ev(STACK, "ROLLBACK_COMPLETE"),
]


def newest_first(events: list[dict]) -> list[dict]:
    return list(reversed(events))


def test_the_root_cause_is_the_first_failure_that_is_not_a_cancellation():
    failure = deploy_logs.stack_root_cause(newest_first(FAILED_CREATE))
    assert (failure.logical_id, failure.resource_type, failure.status) == ("Fn", "AWS::Lambda::Function", "CREATE_FAILED")
    assert failure.reason == NO_BUCKET
    assert failure.cancelled == ("Table",)
    assert failure.stack_status == "ROLLBACK_COMPLETE"
    assert not failure.nested
    assert "cascade, not causes: Table" in failure.summary()


def test_a_cancellation_logged_first_does_not_hide_the_cause():
    events = FAILED_CREATE[:5] + [FAILED_CREATE[6], FAILED_CREATE[5]] + FAILED_CREATE[7:]
    assert deploy_logs.stack_root_cause(events, newest_first=False).logical_id == "Fn"


def test_only_the_latest_operation_counts():
    later = [ev(STACK, "DELETE_IN_PROGRESS", "User Initiated"), ev(STACK, "DELETE_COMPLETE"),
             ev(STACK, "CREATE_IN_PROGRESS", "User Initiated"), ev("Queue", "CREATE_COMPLETE"), ev(STACK, "CREATE_COMPLETE")]
    assert deploy_logs.stack_root_cause(newest_first(FAILED_CREATE + later)) is None


def test_a_failed_nested_stack_points_to_its_own_events():
    events = [ev(STACK, "UPDATE_IN_PROGRESS", "User Initiated"),
              ev("Network", "UPDATE_FAILED", "Embedded stack arn:... was not successfully updated.", kind="AWS::CloudFormation::Stack"),
              ev(STACK, "UPDATE_ROLLBACK_COMPLETE")]
    failure = deploy_logs.stack_root_cause(events, newest_first=False)
    assert failure.logical_id == "Network" and failure.nested and failure.stack_status == "UPDATE_ROLLBACK_COMPLETE"


def test_the_timeline_is_oldest_first_and_cuts_long_reasons():
    lines = deploy_logs.stack_timeline(newest_first(FAILED_CREATE), width=30).splitlines()
    assert lines[0].split() == [STACK, "CREATE_IN_PROGRESS", "User", "Initiated"]
    assert lines[-1].split() == [STACK, "ROLLBACK_COMPLETE"]
    assert lines[5].endswith("...") and len(lines[5].split("CREATE_FAILED")[1].strip()) == 30


def report(failing_phase: str | None) -> BuildReport:
    phases = []
    for name in ("install", "pre_build", "build", "post_build"):
        if failing_phase == "install" and name in ("pre_build", "build", "post_build"):
            phases.append(PhaseResult(name, "NOT_RUN"))
        elif name == failing_phase:
            phases.append(PhaseResult(name, "FAILED", commands=[("pip install -r requirements.txt", 0), ("pytest -q", 1),],
                                      output="collected 12 items\nFAILED test_refund.py::test_partial\n1 failed, 11 passed\n"))
        else:
            phases.append(PhaseResult(name, "SUCCEEDED", commands=[("echo ok", 0)], output="ok\n"))
    return BuildReport("FAILED" if failing_phase else "SUCCEEDED", phases, [], failing_phase != "install", "/tmp/x")


def test_codebuild_phases_have_codebuilds_names_statuses_and_contexts():
    phases = deploy_logs.codebuild_phases(report("build"))
    assert [p["phaseType"] for p in phases] == ["SUBMITTED", "QUEUED", "PROVISIONING", "DOWNLOAD_SOURCE", "INSTALL",
                                                "PRE_BUILD", "BUILD", "POST_BUILD", "UPLOAD_ARTIFACTS", "FINALIZING", "COMPLETED"]
    build = phases[6]
    assert build["phaseStatus"] == "FAILED"
    assert build["contexts"] == [{"statusCode": "COMMAND_EXECUTION_ERROR",
                                  "message": "Error while executing command: pytest -q. Reason: exit status 1"}]
    assert "phaseStatus" not in phases[-1]


def test_phases_a_build_never_reached_are_absent():
    types = [p["phaseType"] for p in deploy_logs.codebuild_phases(report("install"))]
    assert "BUILD" not in types and "UPLOAD_ARTIFACTS" not in types and types[-2:] == ["FINALIZING", "COMPLETED"]


def test_the_build_root_cause_names_the_phase_the_exit_code_and_the_tail():
    rep = report("build")
    failure = deploy_logs.build_root_cause(deploy_logs.codebuild_phases(rep), {"BUILD": rep.phase("build").output}, tail=2)
    assert (failure.phase, failure.phase_status, failure.status_code, failure.exit_code) == (
        "BUILD", "FAILED", "COMMAND_EXECUTION_ERROR", 1)
    assert failure.log_tail == ("FAILED test_refund.py::test_partial", "1 failed, 11 passed")
    assert deploy_logs.build_root_cause(deploy_logs.codebuild_phases(report(None))) is None


def test_a_timed_out_phase_is_a_failure_too():
    phases = [{"phaseType": "INSTALL", "phaseStatus": "SUCCEEDED"},
              {"phaseType": "BUILD", "phaseStatus": "TIMED_OUT", "contexts": [{"statusCode": "BUILD_TIMED_OUT", "message": "Build has timed out. "}]}]
    failure = deploy_logs.build_root_cause(phases, "line 1\nline 2\n")
    assert (failure.phase, failure.status_code, failure.exit_code, failure.log_tail) == ("BUILD", "BUILD_TIMED_OUT", None, ("line 1", "line 2"))


APPSPEC = """
version: 0.0
os: linux
hooks:
  ApplicationStop:
    - location: scripts/stop.sh
  BeforeInstall:
    - location: scripts/backup.sh
  ApplicationStart:
    - location: scripts/start.sh
  ValidateService:
    - location: scripts/validate.sh
      runas: webapp
"""


def runner(scripts: dict[str, tuple[int, str]], calls: list[str] | None = None):
    def run(location: str):
        if calls is not None:
            calls.append(location)
        return scripts.get(location)
    return run


GOOD = {s: (0, f"{s} ok\n") for s in ("scripts/stop.sh", "scripts/backup.sh", "scripts/start.sh", "scripts/validate.sh")}


def test_a_failing_validate_service_script_fails_the_deployment():
    scripts = dict(GOOD, **{"scripts/validate.sh": (1, "GET /health\n" * 2 + "HTTP 503 from /health\n")})
    deployment = deploy_logs.ec2_deployment(APPSPEC, runner(scripts), deployment_id="d-1")
    assert deployment.info["status"] == "Failed" and deployment.info["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    statuses = {e["lifecycleEventName"]: e["status"] for e in deployment.lifecycle_events}
    assert statuses == {"ApplicationStop": "Succeeded", "DownloadBundle": "Succeeded", "BeforeInstall": "Succeeded",
                        "Install": "Succeeded", "AfterInstall": "Succeeded", "ApplicationStart": "Succeeded",
                        "ValidateService": "Failed"}
    failure = deploy_logs.hook_root_cause(deployment.lifecycle_events, tail=1)
    assert (failure.event, failure.error_code, failure.script, failure.exit_code) == (
        "ValidateService", "ScriptFailed", "scripts/validate.sh", 1)
    assert "run as user webapp" in failure.message
    assert failure.log_tail == ("HTTP 503 from /health",)
    assert "rollbackInfo" not in deployment.info and deployment.rollback is None


def test_later_events_are_skipped_after_a_failure():
    scripts = dict(GOOD, **{"scripts/backup.sh": (2, "disk full\n")})
    calls: list[str] = []
    deployment = deploy_logs.ec2_deployment(APPSPEC, runner(scripts, calls))
    failure = deploy_logs.hook_root_cause(deployment.lifecycle_events)
    assert (failure.event, failure.exit_code) == ("BeforeInstall", 2)
    assert failure.skipped == ("Install", "AfterInstall", "ApplicationStart", "ValidateService")
    assert "scripts/start.sh" not in calls  # nothing after the failure runs


def test_application_stop_runs_the_previous_revisions_script():
    calls: list[str] = []
    previous = APPSPEC.replace("scripts/stop.sh", "old/stop.sh")
    deploy_logs.ec2_deployment(APPSPEC, runner(GOOD, calls), previous_appspec=previous,
                               previous_run=runner({"old/stop.sh": (0, "")}, calls))
    assert calls[0] == "old/stop.sh" and "scripts/stop.sh" not in calls
    first = deploy_logs.ec2_deployment(APPSPEC, runner(GOOD, calls := []))  # first deployment: nothing to stop
    assert calls[0] == "scripts/backup.sh" and first.info["status"] == "Succeeded"


def test_a_missing_script_is_script_missing():
    scripts = {k: v for k, v in GOOD.items() if k != "scripts/start.sh"}
    failure = deploy_logs.hook_root_cause(deploy_logs.ec2_deployment(APPSPEC, runner(scripts)).lifecycle_events)
    assert (failure.event, failure.error_code, failure.exit_code) == ("ApplicationStart", "ScriptMissing", None)


def test_automatic_rollback_is_a_new_deployment_of_the_last_good_revision():
    scripts = dict(GOOD, **{"scripts/validate.sh": (1, "503\n")})
    deployment = deploy_logs.ec2_deployment(APPSPEC, runner(scripts), deployment_id="d-NEW", previous_appspec=APPSPEC,
                                            previous_run=runner(GOOD), auto_rollback=True, rollback_id="d-BACK")
    assert deployment.info["rollbackInfo"] == {"rollbackDeploymentId": "d-BACK"}
    back = deployment.rollback
    assert back.info["deploymentId"] == "d-BACK" and back.info["status"] == "Succeeded"
    assert back.info["rollbackInfo"] == {"rollbackTriggeringDeploymentId": "d-NEW"}


def test_the_log_tail_keeps_the_last_4_kb():
    scripts = dict(GOOD, **{"scripts/validate.sh": (1, "x" * 5000 + "\nlast line\n")})
    events = deploy_logs.ec2_deployment(APPSPEC, runner(scripts)).lifecycle_events
    tail = events[-1]["diagnostics"]["logTail"]
    assert len(tail.encode()) == deploy_logs.LOG_TAIL_BYTES and tail.endswith("last line\n")


def test_an_invalid_appspec_is_refused():
    with pytest.raises(ValueError, match="appspec has problems"):
        deploy_logs.ec2_deployment("version: 0.0\nos: linux\nhooks:\n  Install:\n    - location: x.sh\n", runner(GOOD))
