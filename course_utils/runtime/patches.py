"""Every place where the runtime reaches into moto 5.2.5's internals, in one table.

``REPLACED`` lists the attributes :func:`apply` swaps out (``replace``: our function instead of
moto's; ``wrap``: moto's function still runs, with something before/after it). ``USED`` lists
internals the runtime only calls or reads. ``tests/test_runtime_patches.py`` checks that each
target still exists with the parameters recorded here, so a moto upgrade that moves or renames
one fails loudly instead of silently turning the simulation off. moto is pinned to 5.2.5 in
requirements.txt for this reason.

Importing this module imports nothing from moto and changes nothing.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import threading
from dataclasses import dataclass
from typing import Any, Callable

__all__ = ["PatchPoint", "REPLACED", "USED", "apply", "resolve_target", "applied"]


@dataclass(frozen=True)
class PatchPoint:
    """One moto internal: what it is, what we do with it, and why."""

    target: str  # dotted path: module.Class.attribute (or module.attribute)
    kind: str  # "replace", "wrap" or "use"
    params: tuple[str, ...]  # parameter names of moto's original, for the upgrade check
    why: str
    with_: str = ""  # "module:function" (relative to course_utils.runtime) providing the new code


_L = "moto.awslambda.models"
REPLACED: tuple[PatchPoint, ...] = (
    PatchPoint(
        f"moto.awslambda.responses.LambdaResponse.invoke", "replace", ("self",),
        "moto echoes the payload without Docker; we run the handler, honour Qualifier/aliases, "
        "InvocationType, LogType=Tail, ExecutedVersion and throttling",
        "invoke:response_invoke",
    ),
    PatchPoint(
        "moto.awslambda.responses.LambdaResponse.invoke_async", "replace", ("self",),
        "the deprecated InvokeAsync API: run as an Event invocation", "invoke:response_invoke_async",
    ),
    PatchPoint(
        f"{_L}.LambdaBackend.invoke", "replace",
        ("self", "function_name", "qualifier", "body", "headers", "response_headers"),
        "moto services (Secrets Manager rotation, EventBridge targets) call this to invoke a function",
        "invoke:backend_invoke",
    ),
    PatchPoint(
        "moto.awslambda_simple.models.LambdaSimpleBackend.invoke", "replace",
        ("self", "function_name", "qualifier", "body", "headers", "response_headers"),
        "the backend the sandbox uses (use_docker=False) overrides invoke to echo the payload",
        "invoke:backend_invoke",
    ),
    PatchPoint(
        f"{_L}.LambdaFunction.invoke", "replace", ("self", "body", "request_headers", "response_headers"),
        "S3 notifications and CloudWatch Logs subscriptions invoke the function object directly; "
        "both are asynchronous event sources on AWS",
        "invoke:function_invoke",
    ),
    PatchPoint(
        f"{_L}.LambdaFunction.__init__", "wrap", ("self", "account_id", "spec", "region", "version"),
        "moto drops DeadLetterConfig from CreateFunction; keep it", "function_config:wrap_init",
    ),
    PatchPoint(
        f"{_L}.LambdaFunction.update_configuration", "wrap", ("self", "config_updates"),
        "moto drops DeadLetterConfig from UpdateFunctionConfiguration; keep it",
        "function_config:wrap_update_configuration",
    ),
    PatchPoint(
        f"{_L}.LambdaFunction.get_configuration", "wrap", ("self", "on_create"),
        "return the kept DeadLetterConfig like AWS", "function_config:wrap_get_configuration",
    ),
    PatchPoint(
        f"{_L}.LambdaBackend.send_sns_message", "replace",
        ("self", "function_name", "message", "subject", "qualifier"),
        "SNS -> Lambda subscriptions: run the handler as an async (Event) invocation",
        "event_sources:send_sns_message",
    ),
    PatchPoint(
        "moto.sns.models.Subscription.publish", "wrap",
        ("self", "message", "message_id", "subject", "message_attributes", "group_id", "deduplication_id",
         "message_structure"),
        "remember topic/subscription ARN, message id and attributes for the Lambda event (moto "
        "passes only message and subject)", "sns_context:wrap_publish",
    ),
    PatchPoint(
        f"{_L}.LambdaBackend.send_dynamodb_items", "replace", ("self", "function_arn", "items", "source"),
        "DynamoDB Streams mapping: one synchronous invocation per batch; a failed batch stays on the "
        "stream and is retried with the next write", "event_sources:send_dynamodb_items",
    ),
    PatchPoint(
        f"{_L}.LambdaBackend.send_kinesis_message", "replace",
        ("self", "function_name", "kinesis_stream", "kinesis_partition_key", "kinesis_sequence_number",
         "kinesis_data", "kinesis_shard_id"),
        "Kinesis mapping: run the handler synchronously with the record", "event_sources:send_kinesis_message",
    ),
    PatchPoint(
        "moto.sqs.models.Queue.add_message", "wrap", ("self", "message"),
        "moto delivers SQS messages one by one to the mapping and deletes or keeps the whole batch; "
        "we hide the mappings from moto and poll the queue ourselves (batch size, "
        "ReportBatchItemFailures)", "event_sources:wrap_add_message",
    ),
    PatchPoint(
        "moto.sqs.models.SQSBackend.send_message_batch", "wrap", ("self", "queue_name", "entries"),
        "poll once after the whole batch is on the queue, so a mapping sees real batches",
        "event_sources:wrap_send_message_batch",
    ),
    PatchPoint(
        f"{_L}.LambdaBackend.create_event_source_mapping", "wrap", ("self", "spec"),
        "a new SQS mapping polls the messages already waiting on the queue",
        "event_sources:wrap_esm_change",
    ),
    PatchPoint(
        f"{_L}.LambdaBackend.update_event_source_mapping", "wrap", ("self", "uuid", "spec"),
        "re-enabling an SQS mapping polls the messages waiting on the queue",
        "event_sources:wrap_esm_change",
    ),
    PatchPoint(
        "moto.apigateway.models.RestAPI.create_deployment", "wrap", ("self", "name", "description", "stage_variables"),
        "moto serves the live resources; keep a snapshot per deployment so a stage serves what was deployed",
        "stages:wrap_create_deployment",
    ),
    PatchPoint(
        "moto.apigateway.models.RestAPI.update_integration_mocks", "replace", ("self", "stage_name"),
        "moto registers 2 `responses` callbacks per method on every deployment; routes.py serves every "
        "stage, so they only accumulate and slow down matching of every later request",
        "stages:update_integration_mocks",
    ),
    PatchPoint(
        "moto.apigateway.responses.APIGatewayResponse.create_deployment", "wrap", ("self",),
        "moto ignores canarySettings: put the new deployment on the stage's canary instead of replacing the stage",
        "stages:wrap_response_create_deployment",
    ),
    PatchPoint(
        "moto.apigateway.responses.APIGatewayResponse.put_integration", "wrap", ("self",),
        "moto drops the integration's cacheKeyParameters; keep them for the stage cache",
        "stages:wrap_put_integration",
    ),
    PatchPoint(
        "moto.apigateway.models.Stage.apply_operations", "wrap", ("self", "patch_operations"),
        "UpdateStage /canarySettings/... operations and canary promotion (copy), which moto drops",
        "stages:wrap_apply_operations",
    ),
    PatchPoint(
        "moto.apigateway.models.Stage.to_json", "wrap", ("self",),
        "return the kept canarySettings from GetStage/UpdateStage like AWS", "stages:wrap_stage_to_json",
    ),
)

USED: tuple[PatchPoint, ...] = (
    PatchPoint("moto.awslambda.utils.get_backend", "use", ("account_id", "region"),
               "the Lambda backend in use (the simple one under use_docker=False)"),
    PatchPoint(f"{_L}.LambdaBackend.get_function", "use", ("self", "function_name_or_arn", "qualifier"),
               "resolve a function version"),
    PatchPoint(f"{_L}.LambdaBackend.get_alias", "use", ("self", "name", "function_name"),
               "read an alias's version and RoutingConfig"),
    PatchPoint(f"{_L}.LambdaBackend.layers_versions_by_arn", "use", ("self", "layer_version_arn"),
               "read a layer version's zip (LayerVersion.code_bytes)"),
    PatchPoint(f"{_L}.LambdaBackend.get_event_source_mapping", "use", ("self", "uuid"),
               "skip SQS mappings moto deleted but left on the queue"),
    PatchPoint(f"{_L}.LambdaBackend.get_function_by_arn", "use", ("self", "function_arn"),
               "function of an event source mapping"),
    PatchPoint("moto.logs.models.LogsBackend.ensure_log_group", "use", ("self", "log_group_name"),
               "create /aws/lambda/<name> on first invocation"),
    PatchPoint("moto.logs.models.LogsBackend.create_log_stream", "use", ("self", "log_group_name", "log_stream_name"),
               "one stream per execution environment"),
    PatchPoint("moto.logs.models.LogsBackend.put_log_events", "use", ("self", "log_group_name", "log_stream_name", "log_events"),
               "write START/END/REPORT and handler output"),
    PatchPoint("moto.sqs.models.SQSBackend.receive_message", "use",
               ("self", "queue_name", "count", "wait_seconds_timeout", "visibility_timeout",
                "message_attribute_names"),
               "the mapping's poller receives batches"),
    PatchPoint("moto.sqs.models.SQSBackend.delete_message", "use", ("self", "queue_name", "receipt_handle"),
               "delete processed messages"),
    PatchPoint("moto.sqs.models.SQSBackend.change_message_visibility", "use",
               ("self", "queue_name", "receipt_handle", "visibility_timeout"),
               "make failed messages visible again"),
    PatchPoint("moto.iam.models.iam_backends", "use", (),
               "AWS_IAM method authorization: IAM users' access keys and policies (sigv4.py)"),
    PatchPoint("moto.core.models.responses_mock", "use", (),
               "register the execute-api data plane with moto's `responses` mock (re-done after reset)"),
)

_lock = threading.Lock()
_originals: dict[str, Any] = {}


def resolve_target(target: str) -> tuple[Any, str, Any]:
    """Return (owner object, attribute name, current value) for a dotted target."""
    parts = target.split(".")
    for i in range(len(parts) - 1, 0, -1):
        try:
            owner: Any = importlib.import_module(".".join(parts[:i]))
        except ModuleNotFoundError:
            continue
        for name in parts[i:-1]:
            owner = getattr(owner, name)
        return owner, parts[-1], getattr(owner, parts[-1])
    raise ImportError(target)


def _provider(spec: str) -> Callable[..., Any]:
    module, _, name = spec.partition(":")
    return getattr(importlib.import_module(f"{__package__}.{module}"), name)


def applied() -> bool:
    return bool(_originals) or bool(_hook.pending)


#: Modules patched only when something first imports them: importing moto.apigateway.models
#: pulls in openapi_spec_validator/jsonschema (about 1.3 s), a cost a notebook without API
#: Gateway should not pay when the sandbox starts.
LAZY_MODULES: tuple[str, ...] = ("moto.apigateway.models", "moto.apigateway.responses")


def _lazy_module(target: str) -> str | None:
    """The lazily patched module that holds ``target``, if any."""
    return next((m for m in LAZY_MODULES if target.startswith(m + ".")), None)


def _install(point: PatchPoint) -> None:
    owner, attr, original = resolve_target(point.target)
    provider = _provider(point.with_)
    new = provider(original) if point.kind == "wrap" else provider
    _originals[point.target] = (owner, attr, owner.__dict__.get(attr, original))
    setattr(owner, attr, new)


class _PostImportHook(importlib.abc.MetaPathFinder):
    """Runs the pending patches of a module right after the module is first executed."""

    def __init__(self) -> None:
        self.pending: dict[str, list[PatchPoint]] = {}

    def find_spec(self, fullname: str, path: Any, target: Any = None) -> Any:
        if fullname not in self.pending:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        points = self.pending.pop(fullname)
        original_exec = loader.exec_module

        def exec_module(module: Any) -> None:
            original_exec(module)
            with _lock:
                for point in points:
                    if point.target not in _originals:
                        _install(point)

        loader.exec_module = exec_module  # this loader instance serves only this module
        return spec


_hook = _PostImportHook()


def apply() -> None:
    """Install every replacement once (idempotent); patches of :data:`LAZY_MODULES` are installed
    when those modules are first imported."""
    with _lock:
        if _originals or _hook.pending:
            return
        for point in REPLACED:
            module = _lazy_module(point.target)
            if module is not None and module not in sys.modules:
                _hook.pending.setdefault(module, []).append(point)
            else:
                _install(point)
        if _hook.pending and _hook not in sys.meta_path:
            sys.meta_path.insert(0, _hook)


def original(target: str) -> Any:
    """moto's own attribute for ``target`` (before :func:`apply` replaced it)."""
    if target in _originals:
        owner, attr, value = _originals[target]
        return value
    return resolve_target(target)[2]
