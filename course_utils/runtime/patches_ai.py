"""The moto internals replaced or added for Amazon Bedrock (control plane and runtime): a table, data only.

Amazon Bedrock (control plane and runtime): operations moto 5.2.5 lacks or answers with a stub. Appended to :data:`course_utils.runtime.patches.REPLACED`; see that module for the kinds.
Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint

__all__ = ["BEDROCK", "BEDROCK_USED"]

_B = "moto.bedrock.responses.BedrockResponse"
_R = "moto.bedrockruntime.responses.BedrockRuntimeResponse"


def _added(owner: str, operation: str, module: str, why: str) -> PatchPoint:
    return PatchPoint(f"{owner}.{operation}", "add", None, why, f"{module}:{operation}")


BEDROCK: tuple[PatchPoint, ...] = (
    _added(_B, "list_foundation_models", "bedrock", "moto lacks ListFoundationModels: a small verified catalogue"),
    _added(_B, "get_foundation_model", "bedrock", "moto lacks GetFoundationModel"),
    _added(_B, "create_guardrail", "bedrock", "moto 5.2.5 has no guardrail APIs"),
    _added(_B, "get_guardrail", "bedrock", "moto 5.2.5 has no guardrail APIs"),
    _added(_B, "list_guardrails", "bedrock", "moto 5.2.5 has no guardrail APIs"),
    _added(_B, "update_guardrail", "bedrock", "moto 5.2.5 has no guardrail APIs"),
    _added(_B, "create_guardrail_version", "bedrock", "moto 5.2.5 has no guardrail APIs"),
    _added(_B, "delete_guardrail", "bedrock", "moto 5.2.5 has no guardrail APIs"),
    PatchPoint(f"{_R}.invoke_model", "replace", ("self",),
               "moto answers {}: the stand-in model in each provider's native body format, guardrails, IAM, "
               "invocation logging", "bedrock_runtime:invoke_model"),
    _added(_R, "converse", "bedrock_runtime", "moto lacks Converse"),
    _added(_R, "apply_guardrail", "bedrock_runtime", "moto lacks ApplyGuardrail"),
    _added(_R, "converse_stream", "bedrock_runtime",
           "moto lacks ConverseStream: the stand-in's answer as an event stream (messageStart ... metadata)"),
    _added(_R, "invoke_model_with_response_stream", "bedrock_runtime",
           "moto lacks InvokeModelWithResponseStream: each provider's native streaming chunks in an event stream"),
    PatchPoint(f"{_R}.call_action", "wrap", ("self",),
               "moto replaces every response's x-amzn-RequestId with a random one: keep the id the runtime logged "
               "in the invocation record", "bedrock_runtime:keep_request_id"),
)

#: Internals only called ("use") or read ("read"); appended to :data:`course_utils.runtime.patches.USED`.
BEDROCK_USED: tuple[PatchPoint, ...] = (
    PatchPoint("moto.bedrock.models:bedrock_backends", "use", None, "guardrails are kept on the Bedrock backend"),
    PatchPoint("moto.bedrock.models:BedrockBackend.get_model_invocation_logging_configuration", "use", ("self",),
               "model invocation logging destinations"),
    PatchPoint("moto.bedrockruntime.exceptions:BedrockRuntimeError.__init__", "use", ("self", "args", "kwargs"),
               "Bedrock errors serialized from the service model (status of the error shape)"),
    PatchPoint("moto.core.responses:ActionResult.__init__", "use", ("self", "result"),
               "responses serialized in AWS's shape"),
    PatchPoint("moto.logs.models:logs_backends", "use", None, "model invocation log events"),
    PatchPoint("moto.sts.models:sts_backends", "use", None, "temporary credentials of AssumeRole callers"),
    PatchPoint("moto.sts.models:STSBackend.get_assumed_role_from_access_key", "use", ("self", "access_key_id"),
               "resolve an AssumeRole caller to its role"),
    PatchPoint("moto.iam.models:IAMBackend.get_role_by_arn", "use", ("self", "arn"), "an assumed role's policies"),
    PatchPoint("moto.s3.models:s3_backends", "use", None, "invocation logs delivered to an S3 bucket"),
    PatchPoint("moto.s3.models:S3Backend.put_object", "use",
               ("self", "bucket_name", "key_name", "value", "storage", "etag", "multipart", "encryption", "kms_key_id",
                "bucket_key_enabled", "lock_mode", "lock_legal_status", "lock_until", "checksum_value",
                "request_method", "disable_notification"),
               "write one invocation log object"),
    PatchPoint("moto.s3.exceptions:MissingBucket", "use", None, "the logging bucket does not exist"),
)
