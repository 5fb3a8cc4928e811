"""CloudFormation stack creations that fail the way AWS's do: stack events, rollback, OnFailure.

AWS (CloudFormation User Guide: "Choose how to handle failures when provisioning resources",
"Understand CloudFormation stack creation events", "DependsOn attribute"; API reference of
CreateStack and DescribeStackEvents):

* CloudFormation creates resources in parallel where their dependencies allow (``Ref``,
  ``Fn::GetAtt``, ``Fn::Sub`` and ``DependsOn`` are dependencies). Each resource writes a
  ``CREATE_IN_PROGRESS`` event when it starts and ``CREATE_COMPLETE`` or ``CREATE_FAILED`` (with
  a ``ResourceStatusReason``) when it ends; ``DescribeStackEvents`` returns the events newest first.
* ``CreateStack`` takes ``OnFailure`` (``ROLLBACK``, the default; ``DO_NOTHING``; ``DELETE``) or
  ``DisableRollback`` (true is the same as ``DO_NOTHING``), "but not both".
* On a failure with rollback, the resources still being created are cancelled, everything created
  is deleted (dependants first) and the stack ends in ``ROLLBACK_COMPLETE``: it can only be
  deleted (``UpdateStack`` is refused, and ``CreateStack`` with its name answers
  ``AlreadyExistsException`` while it exists). With ``DO_NOTHING`` / ``DisableRollback`` the
  resources already created are kept, provisioning goes on along the paths that do not depend on
  the failed resource, and the stack ends in ``CREATE_FAILED``. With ``DELETE`` the stack is
  deleted.

moto 5.2.5 instead lets the error of the failing resource escape from ``CreateStack`` itself
(the stack stays in ``CREATE_IN_PROGRESS``, half created) and writes no resource events at all.

Simulated here: resource events for every stack creation (in the order moto creates the
resources); for a resource whose service answered an AWS error (moto's service errors only, not
moto's own crashes), ``CREATE_FAILED`` with a reason in the form CloudFormation's resource
handlers use (``Resource handler returned message: "..." (..., HandlerErrorCode: ...)``); the
resources whose dependencies were all created when the failure happened count as in progress
and are cancelled (``Resource creation cancelled``); then the rollback, ``DO_NOTHING`` or
``DELETE`` as above. The stack-level reasons (``The following resource(s) failed to create:
[...]``) are worded as CloudFormation shows them. Not simulated: update failures and
``UPDATE_ROLLBACK_FAILED`` (``ContinueUpdateRollback``), ``RollbackStack``, nested stacks' own
events, timeouts, ``RetainExceptOnCreate``, the ``list_stack_resources`` status of a failed
resource (moto lists only created ones), and pre-deployment validation: since June 2026
CreateStack and UpdateStack check property syntax and name conflicts with existing resources
before provisioning anything (User Guide, "Validate stack deployments"), so on AWS a name
conflict no longer gets as far as a resource event; the failures simulated here are the ones only
the resource's service can detect while creating it (a missing code bucket, a permission, a quota).
"""

from __future__ import annotations

import re
import uuid
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any, Callable

from .moto_adapter import cfn_event, cfn_failed_stack, cfn_forget_stack, cfn_validation_error, service_error_parts

__all__ = [
    "ON_FAILURE", "CANCELLED", "dependencies", "handler_error_code", "failure_reason",
    "wrap_response_create_stack", "wrap_backend_create_stack", "wrap_parse_and_create_resource",
]

#: CreateStack's OnFailure values (API reference).
ON_FAILURE = ("DO_NOTHING", "ROLLBACK", "DELETE")
#: The reason CloudFormation gives a resource it stopped creating because another one failed.
CANCELLED = "Resource creation cancelled"

_on_failure: ContextVar[str] = ContextVar("course_cfn_on_failure", default="ROLLBACK")
_recorder: ContextVar["_Recorder | None"] = ContextVar("course_cfn_recorder", default=None)

#: Service error code -> CloudFormation handler error code (the codes of the CloudFormation CLI's
#: resource type contract: AlreadyExists, NotFound, AccessDenied, InvalidRequest, ...).
_HANDLER_CODES: dict[str, str] = {
    "BucketAlreadyExists": "AlreadyExists", "BucketAlreadyOwnedByYou": "AlreadyExists",
    "QueueAlreadyExists": "AlreadyExists", "ResourceConflictException": "AlreadyExists",
    "EntityAlreadyExists": "AlreadyExists", "ResourceInUseException": "AlreadyExists",
    "AlreadyExistsException": "AlreadyExists",
    "NoSuchBucket": "NotFound", "NoSuchKey": "NotFound", "NoSuchEntity": "NotFound",
    "ResourceNotFoundException": "NotFound", "NotFoundException": "NotFound",
    "AccessDenied": "AccessDenied", "AccessDeniedException": "AccessDenied",
    "LimitExceeded": "ServiceLimitExceeded", "LimitExceededException": "ServiceLimitExceeded",
    "ThrottlingException": "Throttling", "Throttling": "Throttling",
}
#: HTTP status of service errors moto raises without one (S3's are 409 and 404 on AWS).
_STATUS = {"BucketAlreadyExists": 409, "BucketAlreadyOwnedByYou": 409, "NoSuchBucket": 404, "NoSuchKey": 404,
           "AccessDenied": 403}
_SERVICE_NAMES = {"SQS": "Sqs", "S3": "S3", "Lambda": "Lambda", "DynamoDB": "DynamoDb", "IAM": "Iam", "SNS": "Sns"}


@dataclass
class _Recorder:
    """What happened while moto created one stack's resources."""

    created: list[tuple[str, str, str, bool]] = field(default_factory=list)  # (logical id, type, physical id, ready)
    failed: tuple[str, str, Exception] | None = None  # (logical id, type, the service error) of the last failure
    failures: list[tuple[str, str, Exception]] = field(default_factory=list)  # every failure, in order


# --- pure helpers -------------------------------------------------------------------------------------


def _refs(value: Any, names: set[str], out: set[str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str) and inner in names:
                out.add(inner)
            elif key == "Fn::GetAtt":
                target = inner.split(".")[0] if isinstance(inner, str) else inner[0] if inner else None
                target = getattr(target, "value", target)
                if isinstance(target, str) and target in names:
                    out.add(target)
            elif key == "Fn::Sub":
                text, local = (inner, {}) if isinstance(inner, str) else (inner[0], inner[1] if len(inner) > 1 else {})
                for ref in re.findall(r"\$\{([A-Za-z0-9]+)(?:\.[A-Za-z0-9.]+)?\}", str(text)):
                    if ref in names and ref not in local:
                        out.add(ref)
                _refs(local, names, out)
            else:
                _refs(inner, names, out)
    elif isinstance(value, list):
        for item in value:
            _refs(item, names, out)


def dependencies(resources: dict[str, Any]) -> dict[str, set[str]]:
    """Logical id -> the logical ids it depends on (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``, ``DependsOn``)."""
    names = set(resources)
    graph: dict[str, set[str]] = {}
    for name, body in resources.items():
        deps: set[str] = set()
        body = body if isinstance(body, dict) else {}
        _refs(body.get("Properties", {}), names, deps)
        depends_on = body.get("DependsOn", [])
        for dep in [depends_on] if isinstance(depends_on, str) else list(depends_on or []):
            if dep in names:
                deps.add(dep)
        deps.discard(name)
        graph[name] = deps
    return graph


def handler_error_code(error_code: str, status: int) -> str:
    """The CloudFormation handler error code for a service error."""
    if error_code in _HANDLER_CODES:
        return _HANDLER_CODES[error_code]
    return "InvalidRequest" if 400 <= status < 500 else "GeneralServiceException"


def failure_reason(resource_type: str, error_code: str, message: str, status: int) -> str:
    """``ResourceStatusReason`` of a resource whose service refused the request."""
    service = resource_type.split("::")[1] if resource_type.count("::") >= 2 else "CloudFormation"
    return (f'Resource handler returned message: "{message} (Service: {_SERVICE_NAMES.get(service, service)}, '
            f'Status Code: {status}, Request ID: {uuid.uuid4()})" (RequestToken: {uuid.uuid4()}, '
            f"HandlerErrorCode: {handler_error_code(error_code, status)})")


def _dependants(graph: dict[str, set[str]], roots: set[str]) -> set[str]:
    """Every resource that depends, directly or not, on one of ``roots``."""
    out: set[str] = set()
    changed = True
    while changed:
        changed = False
        for name, deps in graph.items():
            if name not in out and deps & (roots | out):
                out.add(name)
                changed = True
    return out


# --- CreateStack: OnFailure and DisableRollback -----------------------------------------------------------


def wrap_response_create_stack(original: Callable[..., Any]) -> Callable[..., Any]:
    """``CloudFormationResponse.create_stack``: check ``OnFailure``/``DisableRollback``, remember the choice."""

    def create_stack(self: Any) -> Any:
        on_failure = self._get_param("OnFailure")
        disable = self._get_param("DisableRollback")
        if on_failure is not None and disable is not None:
            raise cfn_validation_error("You can specify either DisableRollback or OnFailure, but not both.")
        if on_failure is not None and on_failure not in ON_FAILURE:
            raise cfn_validation_error(
                f"1 validation error detected: Value '{on_failure}' at 'onFailure' failed to satisfy constraint: "
                f"Member must satisfy enum value set: [{', '.join(ON_FAILURE)}]")
        if on_failure is None:
            on_failure = "DO_NOTHING" if str(disable).lower() == "true" else "ROLLBACK"
        token = _on_failure.set(on_failure)
        try:
            return original(self)
        finally:
            _on_failure.reset(token)

    create_stack.__wrapped__ = original  # type: ignore[attr-defined]
    return create_stack


# --- resource creation: record what moto creates and which service refused -------------------------------


def wrap_parse_and_create_resource(original: Callable[..., Any]) -> Callable[..., Any]:
    """``parsing.parse_and_create_resource``: record each resource created, and the first service error."""

    def parse_and_create_resource(logical_id: str, resource_json: dict[str, Any], resources_map: Any,
                                  account_id: str, region_name: str) -> Any:
        recorder = _recorder.get()
        if recorder is None:
            return original(logical_id, resource_json, resources_map, account_id, region_name)
        kind = str(resource_json.get("Type", ""))
        try:
            resource = original(logical_id, resource_json, resources_map, account_id, region_name)
        except Exception as exc:
            if recorder.failed is None and service_error_parts(exc) is not None:
                recorder.failed = (logical_id, kind, exc)
            raise
        if resource is not None:
            ready = bool(getattr(resource, "is_created", lambda: True)())
            recorder.created.append((logical_id, kind, str(getattr(resource, "physical_resource_id", "") or ""), ready))
        return resource

    parse_and_create_resource.__wrapped__ = original  # type: ignore[attr-defined]
    return parse_and_create_resource


def _event(stack: Any, logical_id: str, physical_id: str, kind: str, status: str, reason: str | None = None) -> Any:
    return cfn_event(stack, logical_id, physical_id, kind, status, reason)


def _resource_events(stack: Any, created: list[tuple[str, str, str, bool]]) -> list[Any]:
    events = []
    for logical_id, kind, physical, ready in created:
        events.append(_event(stack, logical_id, "", kind, "CREATE_IN_PROGRESS"))
        events.append(_event(stack, logical_id, physical, kind, "CREATE_IN_PROGRESS", "Resource creation Initiated"))
        if ready:
            events.append(_event(stack, logical_id, physical, kind, "CREATE_COMPLETE"))
    return events


def _stack_named(backend: Any, name: str) -> Any:
    return next((st for st in backend.stacks.values() if st.name == name), None)


def _started(stack: Any) -> bool:
    """Whether moto wrote the stack's ``CREATE_IN_PROGRESS`` (User Initiated) event before the failure."""
    return any(e.logical_resource_id == stack.name and e.resource_status == "CREATE_IN_PROGRESS" for e in stack.events)


def _after_user_initiated(stack: Any) -> int:
    """Where the resource events go: after the stack's first CREATE_IN_PROGRESS event."""
    for i, event in enumerate(stack.events):
        if event.logical_resource_id == stack.name and event.resource_status == "CREATE_IN_PROGRESS":
            return i + 1
    return len(stack.events)


def wrap_backend_create_stack(original: Callable[..., Any]) -> Callable[..., Any]:
    """``CloudFormationBackend.create_stack``: resource events, and AWS's failure handling instead of
    moto's error (moto creates resources both for the outputs' exports and in ``create_resources``)."""

    def create_stack(self: Any, name: str, template: str, parameters: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        recorder = _Recorder()
        token = _recorder.set(recorder)
        try:
            try:
                stack = original(self, name, template, parameters, *args, **kwargs)
            except Exception as exc:
                stack = _stack_named(self, name)
                if recorder.failed is None or recorder.failed[2] is not exc or stack is None:
                    raise  # not a service's refusal: moto's own error stays visible
                if not _started(stack):
                    stack.events.append(_event(stack, stack.name, stack.stack_id, "AWS::CloudFormation::Stack",
                                               "CREATE_IN_PROGRESS", "User Initiated"))
                _fail(stack, recorder, _on_failure.get())
                return stack
        finally:
            _recorder.reset(token)
        at = _after_user_initiated(stack)
        stack.events[at:at] = _resource_events(stack, recorder.created)
        return stack

    create_stack.__wrapped__ = original  # type: ignore[attr-defined]
    return create_stack


def _continue_other_paths(stack: Any, recorder: _Recorder, graph: dict[str, set[str]], failed: set[str]) -> None:
    """DO_NOTHING: go on creating the resources that do not depend on a failed one."""
    blocked = failed | _dependants(graph, failed)
    for logical_id in list(graph):
        done = {c[0] for c in recorder.created}
        if logical_id in done or logical_id in blocked:
            continue
        recorder.failed = None
        try:
            stack.resource_map[logical_id]
        except Exception as exc:
            if recorder.failed is None or recorder.failed[2] is not exc:
                raise
            failed.add(recorder.failed[0])
            recorder.failures.append(recorder.failed)
            blocked = failed | _dependants(graph, failed)


def _fail(stack: Any, recorder: _Recorder, mode: str) -> None:
    """Write the events and the end state AWS shows after a resource failed to create."""
    assert recorder.failed is not None
    graph = dependencies(stack.template_dict.get("Resources", {}) or {})
    recorder.failures = [recorder.failed]
    failed = {recorder.failed[0]}
    if mode == "DO_NOTHING":
        _continue_other_paths(stack, recorder, graph, failed)
        in_flight: list[str] = []
    else:
        done = {c[0] for c in recorder.created}
        in_flight = [name for name, deps in graph.items()
                     if name not in done and name not in failed and deps <= done]
    events = _resource_events(stack, recorder.created)
    for logical_id, kind, exc in recorder.failures:
        events.append(_event(stack, logical_id, "", kind, "CREATE_IN_PROGRESS"))
    for name in in_flight:
        events.append(_event(stack, name, "", _type_of(stack, name), "CREATE_IN_PROGRESS"))
    for logical_id, kind, exc in recorder.failures:
        code, message, status = service_error_parts(exc)  # type: ignore[misc]
        status = _STATUS.get(code, status)
        events.append(_event(stack, logical_id, "", kind, "CREATE_FAILED", failure_reason(kind, code, message, status)))
    for name in in_flight:
        events.append(_event(stack, name, "", _type_of(stack, name), "CREATE_FAILED", CANCELLED))
    listed = sorted({f[0] for f in recorder.failures} | set(in_flight))
    stack.events.extend(events)
    if mode == "DO_NOTHING":
        reason = f"The following resource(s) failed to create: [{', '.join(listed)}]."
        stack.events.append(_event(stack, stack.name, stack.stack_id, "AWS::CloudFormation::Stack", "CREATE_FAILED", reason))
        stack.status = "CREATE_FAILED"
        stack.stack_status_reason = reason
        stack.disable_rollback = True
        cfn_failed_stack(stack, [c[0] for c in recorder.created])
        return
    start, end = ("ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE") if mode == "ROLLBACK" else ("DELETE_IN_PROGRESS", "DELETE_COMPLETE")
    words = "Rollback requested by user." if mode == "ROLLBACK" else "Delete requested by user."
    reason = f"The following resource(s) failed to create: [{', '.join(listed)}]. {words}"
    stack.events.append(_event(stack, stack.name, stack.stack_id, "AWS::CloudFormation::Stack", start, reason))
    stack.status = start
    _roll_back(stack, recorder, listed)
    stack.events.append(_event(stack, stack.name, stack.stack_id, "AWS::CloudFormation::Stack", end))
    stack.status = end
    if mode == "DELETE":
        cfn_forget_stack(stack)


def _type_of(stack: Any, name: str) -> str:
    body = (stack.template_dict.get("Resources", {}) or {}).get(name, {})
    return str(body.get("Type", "")) if isinstance(body, dict) else ""


def _roll_back(stack: Any, recorder: _Recorder, failed: list[str]) -> None:
    """Delete what was created, newest first (dependants before what they depend on)."""
    resources = stack.template_dict.get("Resources", {}) or {}
    for name in failed:
        stack.events.append(_event(stack, name, "", _type_of(stack, name), "DELETE_COMPLETE"))
    for logical_id, kind, physical, _ready in reversed(recorder.created):
        retain = isinstance(resources.get(logical_id), dict) and resources[logical_id].get("DeletionPolicy") == "Retain"
        if retain:
            stack.events.append(_event(stack, logical_id, physical, kind, "DELETE_SKIPPED"))
            continue
        stack.events.append(_event(stack, logical_id, physical, kind, "DELETE_IN_PROGRESS"))
        stack.events.append(_event(stack, logical_id, physical, kind, "DELETE_COMPLETE"))
    stack.resource_map.delete()
    cfn_failed_stack(stack, [])
