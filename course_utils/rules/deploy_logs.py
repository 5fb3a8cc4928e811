"""Why did a deployment fail? Readers for CloudFormation stack events, CodeBuild phases and
CodeDeploy lifecycle events, and the records CodeBuild and CodeDeploy keep for a failed run.

What AWS returns (API references):

* CloudFormation ``DescribeStackEvents``: the stack's events "in reverse chronological order",
  each with ``LogicalResourceId``, ``ResourceType``, ``ResourceStatus`` and
  ``ResourceStatusReason``. When one resource fails, the others still being created fail with
  ``Resource creation cancelled`` and the stack-level events name all of them ("The following
  resource(s) failed to create: [...]"): the root cause is the first failed resource event whose
  reason is not a cancellation. The console's *Detect root cause* button labels it for you.
* CodeBuild ``BatchGetBuilds``: ``phases`` in order (``SUBMITTED``, ``QUEUED``, ``PROVISIONING``,
  ``DOWNLOAD_SOURCE``, ``INSTALL``, ``PRE_BUILD``, ``BUILD``, ``POST_BUILD``,
  ``UPLOAD_ARTIFACTS``, ``FINALIZING``, ``COMPLETED``), each with ``phaseStatus`` (``SUCCEEDED``,
  ``FAILED``, ``FAULT``, ``TIMED_OUT``, ``IN_PROGRESS``, ``STOPPED``) and ``contexts``
  (``statusCode``, ``message``: "might include a command ID and an exit code"); the command output
  is in the build's CloudWatch Logs stream.
* CodeDeploy ``GetDeployment``: ``status`` (``Failed``, ...), ``errorInformation`` (``code``,
  ``message``) and ``rollbackInfo``; ``BatchGetDeploymentTargets`` / ``GetDeploymentInstance``: an
  instance's ``lifecycleEvents``, each with ``status`` (``Pending``, ``InProgress``,
  ``Succeeded``, ``Failed``, ``Skipped``, ``Unknown``) and ``diagnostics`` (``errorCode``:
  ``ScriptMissing``, ``ScriptNotExecutable``, ``ScriptTimedOut``, ``ScriptFailed``,
  ``UnknownError``; ``scriptName``; ``message``; ``logTail``: up to the last 4 KB of the script's
  log). A deployment group with automatic rollback redeploys the last good revision as a new
  deployment with a new deployment ID.

What this module does: :func:`stack_root_cause`, :func:`build_root_cause` and
:func:`hook_root_cause` read those shapes (plain dicts, as boto3 returns them) and name the
root cause. :func:`codebuild_phases` turns a local buildspec run
(:func:`course_utils.sim.buildspec.run_local`) into the ``phases`` list CodeBuild would return,
and :func:`ec2_deployment` runs an EC2 AppSpec's hook scripts through a ``run`` function you pass
(the CodeDeploy agent's job) and returns the records CodeDeploy keeps. Simulated wording: the
diagnostics message ("Script at specified location: ... failed with exit code N") and the
HEALTH_CONSTRAINTS message follow what CodeDeploy shows; on AWS, ``ApplicationStop`` runs the
scripts of the previously deployed revision, which is why :func:`ec2_deployment` takes them
separately. Plain data in, plain data out: nothing here calls AWS or runs a process.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ._spec import load_mapping
from .appspec import check as check_appspec
from .appspec import hook_order
from .buildspec import BuildReport

__all__ = [
    "CASCADE_REASONS", "StackFailure", "stack_timeline", "stack_root_cause",
    "BuildFailure", "codebuild_phases", "build_root_cause",
    "HookFailure", "Deployment", "ec2_deployment", "hook_root_cause", "LOG_TAIL_BYTES",
]

#: Reasons CloudFormation gives resources that failed only because another one did.
CASCADE_REASONS = ("Resource creation cancelled", "Resource update cancelled")
#: CodeDeploy returns up to the last 4 KB of a script's log as ``logTail``.
LOG_TAIL_BYTES = 4096
_FAILED_PHASE = ("FAILED", "FAULT", "TIMED_OUT", "STOPPED")


# --- CloudFormation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class StackFailure:
    """The root cause of a failed stack operation, and the noise around it."""

    logical_id: str
    resource_type: str
    status: str
    reason: str
    cancelled: tuple[str, ...]  # resources that failed only because of it
    stack_status: str  # the stack's latest status
    nested: bool  # the failed resource is a nested stack: read that stack's events next

    def summary(self) -> str:
        lines = [f"root cause: {self.logical_id} ({self.resource_type}) {self.status}", f"  {self.reason}"]
        if self.cancelled:
            lines.append(f"cascade, not causes: {', '.join(self.cancelled)}")
        if self.nested:
            lines.append("the failed resource is a nested stack: its own events hold the real reason")
        lines.append(f"stack now: {self.stack_status}")
        return "\n".join(lines)


def _oldest_first(events: list[dict[str, Any]], newest_first: bool) -> list[dict[str, Any]]:
    return list(reversed(events)) if newest_first else list(events)


def _last_operation(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The events of the stack's latest operation (from its last ``User Initiated`` event)."""
    start = 0
    for i, event in enumerate(events):
        if event.get("ResourceType") == "AWS::CloudFormation::Stack" and event.get("ResourceStatusReason") == "User Initiated":
            start = i
    return events[start:]


def stack_timeline(events: list[dict[str, Any]], *, newest_first: bool = True, width: int = 70) -> str:
    """The events oldest first, one line each: resource, status, reason (cut at ``width``)."""
    rows = _oldest_first(events, newest_first)
    name_width = max([len(str(e.get("LogicalResourceId", ""))) for e in rows] + [8])
    lines = []
    for e in rows:
        reason = str(e.get("ResourceStatusReason") or "")
        reason = reason if len(reason) <= width else reason[: width - 3] + "..."
        lines.append(f"{e.get('LogicalResourceId', ''):<{name_width}}  {e.get('ResourceStatus', ''):<20}  {reason}".rstrip())
    return "\n".join(lines)


def stack_root_cause(events: list[dict[str, Any]], *, newest_first: bool = True) -> StackFailure | None:
    """The first resource of the latest operation that failed for a reason of its own (None: nothing failed).

    ``events`` as ``DescribeStackEvents`` returns them (newest first), or oldest first with
    ``newest_first=False``.
    """
    ordered = _last_operation(_oldest_first(events, newest_first))
    failed = [e for e in ordered if str(e.get("ResourceStatus", "")).endswith("_FAILED")
              and e.get("ResourceType") != "AWS::CloudFormation::Stack"]
    failed += [e for e in ordered if str(e.get("ResourceStatus", "")).endswith("_FAILED")
               and e.get("ResourceType") == "AWS::CloudFormation::Stack" and e.get("LogicalResourceId") != e.get("StackName")]
    if not failed:
        return None
    cascade = [e for e in failed if str(e.get("ResourceStatusReason", "")) in CASCADE_REASONS]
    real = [e for e in ordered if e in failed and e not in cascade]
    root = real[0] if real else failed[0]
    stack_events = [e for e in ordered if e.get("ResourceType") == "AWS::CloudFormation::Stack"
                     and e.get("LogicalResourceId") == e.get("StackName", e.get("LogicalResourceId"))]
    return StackFailure(
        logical_id=str(root.get("LogicalResourceId", "")),
        resource_type=str(root.get("ResourceType", "")),
        status=str(root.get("ResourceStatus", "")),
        reason=str(root.get("ResourceStatusReason", "")),
        cancelled=tuple(str(e.get("LogicalResourceId", "")) for e in cascade),
        stack_status=str(stack_events[-1].get("ResourceStatus", "")) if stack_events else "",
        nested=root.get("ResourceType") == "AWS::CloudFormation::Stack",
    )


# --- CodeBuild --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildFailure:
    """The phase that failed a build, CodeBuild's context for it and the end of its output."""

    phase: str
    phase_status: str
    status_code: str
    message: str
    exit_code: int | None
    log_tail: tuple[str, ...]

    def summary(self) -> str:
        lines = [f"{self.phase} {self.phase_status}: {self.status_code}: {self.message}"]
        lines += [f"  | {line}" for line in self.log_tail]
        return "\n".join(lines)


def _context_message(command: str, rc: int) -> str:
    return f"Error while executing command: {command}. Reason: exit status {rc}"


def codebuild_phases(report: BuildReport) -> list[dict[str, Any]]:
    """The ``phases`` list ``BatchGetBuilds`` would return for a local run (durations left out).

    The phases before ``INSTALL`` are not run locally and are shown as succeeded; phases the
    build never reached are absent, as on CodeBuild.
    """
    ok = {"phaseStatus": "SUCCEEDED", "contexts": [{"statusCode": "", "message": ""}]}
    phases: list[dict[str, Any]] = [{"phaseType": "SUBMITTED", **ok}, {"phaseType": "QUEUED", **ok},
                                    {"phaseType": "PROVISIONING", **ok}, {"phaseType": "DOWNLOAD_SOURCE", **ok}]
    for phase in report.phases:
        if phase.status == "NOT_RUN":
            continue
        entry: dict[str, Any] = {"phaseType": phase.name.upper(), **ok}
        if phase.status == "FAILED":
            bad = next(((c, rc) for c, rc in phase.commands + phase.finally_commands if rc != 0), ("", 1))
            entry = {"phaseType": phase.name.upper(), "phaseStatus": "FAILED",
                     "contexts": [{"statusCode": "COMMAND_EXECUTION_ERROR", "message": _context_message(*bad)}]}
        phases.append(entry)
    if report.upload_attempted:
        phases.append({"phaseType": "UPLOAD_ARTIFACTS", **ok})
    phases.append({"phaseType": "FINALIZING", **ok})
    phases.append({"phaseType": "COMPLETED"})
    return phases


def build_root_cause(phases: list[dict[str, Any]], log: str | dict[str, str] = "", *, tail: int = 5) -> BuildFailure | None:
    """The first failed phase, with its context and the last ``tail`` lines of its output.

    ``log`` is the build log text, or a dict of phase name (``BUILD``) -> that phase's output.
    """
    for phase in phases:
        if phase.get("phaseStatus") in _FAILED_PHASE:
            context = next((c for c in phase.get("contexts") or [] if c.get("statusCode")), {})
            message = str(context.get("message", ""))
            match = re.search(r"exit status (\d+)", message)
            text = log.get(str(phase["phaseType"]), "") if isinstance(log, dict) else log
            lines = tuple(line for line in str(text).splitlines() if line.strip())[-tail:] if tail else ()
            return BuildFailure(str(phase["phaseType"]), str(phase["phaseStatus"]), str(context.get("statusCode", "")),
                                message, int(match.group(1)) if match else None, lines)
    return None


# --- CodeDeploy -------------------------------------------------------------------------------------


@dataclass
class Deployment:
    """What CodeDeploy keeps for one EC2 deployment to one instance."""

    info: dict[str, Any]  # as GetDeployment's deploymentInfo
    lifecycle_events: list[dict[str, Any]]  # as the instance target's lifecycleEvents
    rollback: "Deployment | None" = None
    outputs: dict[str, str] = field(default_factory=dict)  # event -> full script output (on the instance)


_HEALTH = ("The overall deployment failed because too many individual instances failed deployment, too few "
           "healthy instances are available for deployment, or some instances in your deployment group are "
           "experiencing problems.")


def _hooks(spec: dict[str, Any], event: str) -> list[dict[str, Any]]:
    return [h for h in (spec.get("hooks") or {}).get(event) or [] if isinstance(h, dict)]


_Run = Callable[[str], "tuple[int, str] | None"]


def _run_events(spec: dict[str, Any], run: _Run, on_instance: dict[str, Any] | None, on_instance_run: _Run,
                ) -> tuple[list[dict[str, Any]], dict[str, str], bool]:
    """Lifecycle events of deploying ``spec``; ApplicationStop runs the hooks of the revision
    already on the instance (``on_instance``, None on a first deployment)."""
    events: list[dict[str, Any]] = []
    outputs: dict[str, str] = {}
    failed = False
    for name, _hookable in hook_order("ec2", load_balancer=False):
        if name in ("Start", "End"):
            continue
        if failed:
            events.append({"lifecycleEventName": name, "status": "Skipped"})
            continue
        source, runner = ((on_instance or {}), on_instance_run) if name == "ApplicationStop" else (spec, run)
        event: dict[str, Any] = {"lifecycleEventName": name, "status": "Succeeded"}
        for hook in _hooks(source, name):
            location = str(hook.get("location", ""))
            answer = runner(location)
            if answer is None:
                event = {"lifecycleEventName": name, "status": "Failed", "diagnostics": {
                    "errorCode": "ScriptMissing", "scriptName": location,
                    "message": f"Script does not exist at specified location: {location}", "logTail": ""}}
                failed = True
                break
            rc, output = answer
            outputs[name] = outputs.get(name, "") + output
            if rc != 0:
                tail = output.encode()[-LOG_TAIL_BYTES:].decode(errors="replace")
                event = {"lifecycleEventName": name, "status": "Failed", "diagnostics": {
                    "errorCode": "ScriptFailed", "scriptName": location,
                    "message": f"Script at specified location: {location} run as user {hook.get('runas', 'root')} "
                               f"failed with exit code {rc}",
                    "logTail": tail}}
                failed = True
                break
        events.append(event)
    return events, outputs, failed


def ec2_deployment(appspec: str | dict[str, Any], run: _Run, *, deployment_id: str = "d-EXAMPLE01",
                   previous_appspec: str | dict[str, Any] | None = None, previous_run: _Run | None = None,
                   auto_rollback: bool = False, rollback_id: str = "d-EXAMPLE02") -> Deployment:
    """Deploy a revision to one EC2 instance in place (no load balancer) and keep CodeDeploy's records.

    ``run(location)`` runs one hook script and returns ``(exit code, output)``, or None when the
    script is not in the bundle. ``previous_appspec`` is the revision already on the instance
    (its ApplicationStop scripts run first, with ``previous_run``). A failed script fails its
    lifecycle event; the later events are Skipped and the deployment is Failed. With
    ``auto_rollback`` and a ``previous_appspec``, CodeDeploy redeploys that revision as deployment
    ``rollback_id``.
    """
    spec = check_appspec(appspec, "ec2")
    previous = load_mapping(previous_appspec, "appspec") if previous_appspec is not None else None
    events, outputs, failed = _run_events(spec, run, previous, previous_run or run)
    info: dict[str, Any] = {"deploymentId": deployment_id, "status": "Failed" if failed else "Succeeded",
                            "deploymentOverview": {"Succeeded": 0 if failed else 1, "Failed": 1 if failed else 0}}
    deployment = Deployment(info, events, outputs=outputs)
    if not failed:
        return deployment
    info["errorInformation"] = {"code": "HEALTH_CONSTRAINTS", "message": _HEALTH}
    if auto_rollback and previous is not None:
        back_events, back_outputs, back_failed = _run_events(previous, previous_run or run, spec, run)
        back_info = {"deploymentId": rollback_id, "status": "Failed" if back_failed else "Succeeded",
                     "rollbackInfo": {"rollbackTriggeringDeploymentId": deployment_id},
                     "deploymentOverview": {"Succeeded": 0 if back_failed else 1, "Failed": 1 if back_failed else 0}}
        info["rollbackInfo"] = {"rollbackDeploymentId": rollback_id}
        deployment.rollback = Deployment(back_info, back_events, outputs=back_outputs)
    return deployment


@dataclass(frozen=True)
class HookFailure:
    """The lifecycle event that failed a deployment on an instance, and what its script said."""

    event: str
    error_code: str
    script: str
    exit_code: int | None
    message: str
    log_tail: tuple[str, ...]
    skipped: tuple[str, ...]

    def summary(self) -> str:
        lines = [f"{self.event} failed: {self.error_code} in {self.script} (exit code {self.exit_code})",
                 f"  {self.message}"]
        lines += [f"  | {line}" for line in self.log_tail]
        if self.skipped:
            lines.append(f"skipped after it: {', '.join(self.skipped)}")
        return "\n".join(lines)


def hook_root_cause(lifecycle_events: list[dict[str, Any]], *, tail: int = 5) -> HookFailure | None:
    """The first Failed lifecycle event: its script, exit code and the last ``tail`` lines of its log."""
    for i, event in enumerate(lifecycle_events):
        if event.get("status") != "Failed":
            continue
        diagnostics = event.get("diagnostics") or {}
        message = str(diagnostics.get("message", ""))
        match = re.search(r"exit code (\d+)", message)
        lines = tuple(line for line in str(diagnostics.get("logTail", "")).splitlines() if line.strip())
        skipped = tuple(str(e.get("lifecycleEventName")) for e in lifecycle_events[i + 1:] if e.get("status") == "Skipped")
        return HookFailure(str(event.get("lifecycleEventName", "")), str(diagnostics.get("errorCode", "")),
                           str(diagnostics.get("scriptName", "")), int(match.group(1)) if match else None, message,
                           lines[-tail:] if tail else (), skipped)
    return None
