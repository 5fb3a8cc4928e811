"""The internals X-Ray active tracing wraps, calls or reads: a table, data only.

Traced Lambda invocations and REST API stages send segments (:mod:`.xray_tracing`). Appended to
:data:`course_utils.runtime.patches.REPLACED` and ``USED``; see that module for the kinds.

The two ``wrap`` entries are seams of the course's own runtime, not moto: every invocation passes
through ``lambda_runtime.run`` and every REST API request through ``apigateway.handle``, so wrapping
them adds tracing without touching those modules (and keeps the patch installed, checked and undone
like the others). ``course_utils.runtime.apigateway`` is patched when it is first imported
(:data:`course_utils.runtime.moto_adapter.LAZY_MODULES`), as moto's API Gateway modules are.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["XRAY", "XRAY_USED"]

XRAY: tuple[PatchPoint, ...] = (
    PatchPoint("course_utils.runtime.lambda_runtime:run", "wrap",
               ("fn", "event", "invoked_arn", "invocation_type", "check_throttle", "request_id"),
               "Active tracing: follow or make the sampling decision, set _X_AMZN_TRACE_ID for the handler, "
               "record the AWS::Lambda and AWS::Lambda::Function segments (the SDK-call hooks are registered "
               "with it)", "xray_tracing:wrap_run_and_hook"),
    PatchPoint("course_utils.runtime.apigateway:handle", "wrap", ("api", "request", "match"),
               "REST API stages: add X-Amzn-Trace-Id, record the AWS::ApiGateway::Stage segment when "
               "tracingEnabled, pass the header to the Lambda integration", "xray_tracing:wrap_handle"),
    PatchPoint("moto.awslambda.responses:LambdaResponse.update_function_configuration", "wrap", ("self",),
               "moto drops TracingConfig from UpdateFunctionConfiguration: keep it, so tracing can be turned on "
               "or off after CreateFunction", "xray_tracing:wrap_update_function_configuration"),
)

#: Internals only called or read; appended to :data:`course_utils.runtime.patches.USED`.
XRAY_USED: tuple[PatchPoint, ...] = (
    PatchPoint("moto.xray.models:xray_backends", "use", None, "the X-Ray backend traced calls write to"),
    PatchPoint("moto.xray.models:XRayBackend.process_segment", "use", ("self", "doc"),
               "store one segment document as PutTraceSegments does"),
    PatchPoint("moto.awslambda.models:LambdaFunction.tracing_config", "read", (),
               "the function's TracingConfig (Active or PassThrough)", set_in=("__init__",)),
    PatchPoint("moto.apigateway.models:Stage.tracing_enabled", "read", (), "the stage's X-Ray tracing setting",
               set_in=("__init__", "apply_operations")),
    PatchPoint("moto.awslambda.responses:LambdaResponse.json_body", "read", (),
               "the UpdateFunctionConfiguration request's TracingConfig"),
    PatchPoint("moto.apigateway.models:RestAPI.name", "read", (), "the stage segment's name ({api}/{stage})",
               set_in=("__init__",)),
)

# --- The X-Ray SDK / Powertools Tracer inside handlers (xray_sdk_bridge.py) ------------------------------
# Seams of the course's own runtime, as above: every execution environment is entered and left around each
# invocation and initialised once; the bridge swaps the SDK's and Tracer's process-wide switches per
# environment there and points the SDK's recorder at the sandbox (no UDP, no daemon).
XRAY_SDK: tuple[PatchPoint, ...] = (
    PatchPoint("course_utils.runtime.environments:ExecutionEnvironment.enter", "wrap", ("self",),
               "X-Ray SDK/Powertools Tracer: this environment's process-wide switches (SDK enabled, Tracer config), "
               "fresh for a new environment; configure the SDK's recorder", "xray_sdk_bridge:wrap_enter"),
    PatchPoint("course_utils.runtime.environments:ExecutionEnvironment.leave", "wrap", ("self",),
               "X-Ray SDK/Powertools Tracer: keep this environment's switches, restore the caller's",
               "xray_sdk_bridge:wrap_leave"),
    PatchPoint("course_utils.runtime.environments:ExecutionEnvironment.initialise", "wrap", ("self",),
               "X-Ray SDK: configure the recorder (sandbox emitter and Lambda context) once the handler module "
               "imported it", "xray_sdk_bridge:wrap_initialise"),
)
XRAY = XRAY + XRAY_SDK
__all__ += ["XRAY_SDK"]

# --- GetTraceSummaries with a FilterExpression (xray_filters.py, rules/xray_filter.py) --------------------
# moto answers any FilterExpression with a 500 "Not implemented yet" and leaves Annotations/Http empty.
# moto.xray.models is patched when first imported (moto_adapter.LAZY_MODULES).
XRAY_FILTERS: tuple[PatchPoint, ...] = (
    PatchPoint("moto.xray.models:XRayBackend.get_trace_summary", "wrap",
               ("self", "start_time", "end_time", "filter_expression"),
               "evaluate FilterExpression (a documented subset; InvalidRequestException for a malformed or "
               "unsupported one, not a 500) and fill each summary's Annotations, Duration, ResponseTime and Http",
               "xray_filters:wrap_get_trace_summary"),
)
XRAY_FILTERS_USED: tuple[PatchPoint, ...] = (
    PatchPoint("moto.xray.models:XRayBackend._segment_collection", "read", (), "the stored traces",
               set_in=("__init__",)),
    PatchPoint("moto.xray.models:SegmentCollection._traces", "read", (),
               "trace id -> {'segments': [TraceSegment, ...], ...}", set_in=("__init__",)),
    PatchPoint("moto.xray.models:TraceSegment.raw", "read", (), "the segment document as sent (JSON text)",
               set_in=("__init__",)),
)
XRAY = XRAY + XRAY_FILTERS
XRAY_USED = XRAY_USED + XRAY_FILTERS_USED
__all__ += ["XRAY_FILTERS", "XRAY_FILTERS_USED"]
