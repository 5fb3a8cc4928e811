"""The moto 5.2.5 internals the runtime replaces, wraps or calls: a table, data only.

``REPLACED`` lists the attributes :func:`course_utils.runtime.moto_adapter.apply` swaps out
(``replace``: our function instead of moto's; ``wrap``: moto's function still runs, with
something before/after it; ``add``: an operation moto 5.2.5 does not implement, added to its
response class, and checked to be still missing so an upgrade that implements it is noticed).
The AI services' entries live in :mod:`.patches_ai` (Bedrock) and :mod:`.patches_privacy`
(Comprehend PII) and :mod:`.patches_logs` (CloudWatch Logs data protection) and are appended here. ``USED`` lists internals the runtime only calls; the model
attributes it reads are in :mod:`.moto_reads`. :mod:`.moto_adapter` checks every entry when the
sandbox starts (target present, parameters as recorded here), so a moto upgrade that moves or
renames one fails loudly, naming it, instead of silently turning the simulation off. moto is
pinned to 5.2.5 in requirements.txt for this reason.

Importing this module imports nothing and changes nothing.
"""

from __future__ import annotations

from .patch_point import PatchPoint
from .patches_ai import BEDROCK, BEDROCK_USED
from .patches_appconfig import APPCONFIG, APPCONFIG_USED
from .patches_logs import LOGS, LOGS_USED
from .patches_kms import KMS, KMS_USED
from .patches_privacy import PRIVACY, PRIVACY_USED
from .patches_cfn import CFN, CFN_USED
from .patches_s3 import S3, S3_USED

__all__ = ["PatchPoint", "REPLACED", "USED"]


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
        "moto.sqs.models.SQSBackend.receive_message", "wrap",
        ("self", "queue_name", "count", "wait_seconds_timeout", "visibility_timeout", "message_attribute_names"),
        "let the queue's mappings poll first (redelivery after the visibility timeout, DLQ moves), "
        "so time travel then ReceiveMessage shows what the poller did", "event_sources:wrap_receive_message",
    ),
    PatchPoint(
        "moto.sqs.models.SQSBackend.get_queue_attributes", "wrap", ("self", "queue_name", "attribute_names"),
        "let the queue's mappings poll first, so message counts include the poller's work",
        "event_sources:wrap_get_queue_attributes",
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
    PatchPoint(
        "moto.apigateway.models.APIGatewayBackend.put_integration", "wrap",
        ("self", "function_id", "resource_id", "method_type", "integration_type", "uri", "integration_method",
         "credentials", "request_templates", "passthrough_behavior", "tls_config", "cache_namespace",
         "timeout_in_millis", "request_parameters", "content_handling", "connection_type"),
        "moto accepts any timeoutInMillis and returns none by default: refuse values outside 50-29,000 ms "
        "(BadRequestException) and store the 29,000 ms default", "apigw_limits:wrap_put_integration",
    ),
    # --- speed-ups (speedups.py): the same results without work repeated for nothing ----------------
    PatchPoint(
        "moto.core.utils.create_loader", "wrap", (),
        "moto parses a request's service model through a new botocore Loader each time (every first use "
        "of a service lists ~400 data directories again): one shared loader", "speedups:shared_loader",
    ),
    PatchPoint(
        "moto.core.base_backend.AccountSpecificBackend.get_session", "replace", None,  # a cached classmethod: no signature
        "each backend builds a private boto3 Session (parsing the model and endpoints again) to list "
        "regions: ask boto3's default session, same data, same answer", "speedups:get_session",
    ),
    PatchPoint(
        "botocore.session.Session._register_data_loader", "replace", ("self",),
        "each new boto3.Session() parses AWS's JSON data files again (0.1-0.3 s per client): one "
        "shared data loader for sessions with the default data_path", "speedups:register_data_loader",
    ),
    PatchPoint(
        "freezegun.api._get_module_attributes", "wrap", ("module",),
        "freeze_time's first scan reads dir() of every module, importing what lazy modules (IPython, "
        "course_utils.quiz) export: scan what they hold instead", "speedups:lazy_module_attributes",
    ),
) + BEDROCK + PRIVACY + LOGS + APPCONFIG + KMS + CFN + S3

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
    PatchPoint("moto.iam.models.iam_backends", "use", (),
               "AWS_IAM method authorization: IAM users' access keys and policies (sigv4.py)"),
    PatchPoint("moto.core.models.responses_mock", "use", (),
               "register the execute-api data plane with moto's `responses` mock (re-done after reset)"),
) + BEDROCK_USED + PRIVACY_USED + LOGS_USED + APPCONFIG_USED + KMS_USED + CFN_USED + S3_USED

# S3 Object Ownership (new buckets: Bucket owner enforced; object ACLs refused): patches_s3_ownership.py
from .patches_s3_ownership import S3_OWNERSHIP, S3_OWNERSHIP_USED  # noqa: E402

REPLACED = REPLACED + S3_OWNERSHIP
USED = USED + S3_OWNERSHIP_USED
# S3 presigned URLs (signature, expiry, credentials checked as on AWS): patches_sign.py
from .patches_sign import SIGN, SIGN_USED  # noqa: E402

REPLACED = REPLACED + SIGN
USED = USED + SIGN_USED
# speed-up (speedups.py): AWS's model files parsed once per machine, not twice per kernel
REPLACED = REPLACED + (
    PatchPoint(
        "botocore.loaders.JSONFileLoader._load_file", "wrap", ("self", "full_path", "open_method"),
        "botocore parses each service model with an OrderedDict hook, twice per service in the sandbox "
        "(boto3's loader and moto's): read the same OrderedDict tree from a pickle cache", "speedups:cached_json_file",
    ),
    PatchPoint(
        "freezegun.api._get_module_attributes_hash", "wrap", ("module",),
        "every freeze_time sorts dir() of every loaded module to see whether its names changed: the same "
        "hash from a plain module's __dict__ keys", "speedups:plain_module_hash",
    ),
)
# X-Ray active tracing (Lambda Active, REST stages with tracingEnabled, SDK subsegments): patches_xray.py
from .patches_xray import XRAY, XRAY_USED  # noqa: E402

REPLACED = REPLACED + XRAY
USED = USED + XRAY_USED
