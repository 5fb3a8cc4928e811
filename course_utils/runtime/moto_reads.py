"""The moto and botocore internals the course calls or reads, besides those :mod:`.patches` lists.

Data only: :mod:`.moto_adapter` checks every entry when the sandbox starts (or when moto first
imports the entry's module) and is the only module that touches them. A ``read`` entry is an
attribute of moto's model objects: it must be a class attribute or property, or be assigned
(``self.<name> = ...``) in one of the methods named in ``set_in``; a name in ``set_in`` that is a
list on the class (``BASE_ATTRIBUTES``) means moto sets the attribute from that list of
CamelCase names. Targets are ``module:Class.attribute``. Importing this module imports nothing.
"""

from __future__ import annotations

from .patches import PatchPoint

__all__ = ["READ", "CALLED"]


def _reads(owner: str, names: str, why: str, set_in: tuple[str, ...] = ("__init__",)) -> tuple[PatchPoint, ...]:
    return tuple(PatchPoint(f"{owner}.{name}", "read", (), why, set_in=set_in) for name in names.split())


def _props(owner: str, names: str, why: str) -> tuple[PatchPoint, ...]:
    """Class-level attributes (properties, methods, constants): checked on the class itself."""
    return _reads(owner, names, why, set_in=())


_L = "moto.awslambda.models:"
_S = "moto.sqs.models:"
_A = "moto.apigateway.models:"
_V2 = "moto.apigatewayv2.models:"
_I = "moto.iam.models:"

#: Functions and objects called through the adapter (``params``: parameter names, None: any object).
CALLED: tuple[PatchPoint, ...] = (
    PatchPoint("moto.sqs.models:sqs_backends", "use", None, "the SQS backend of a queue"),
    PatchPoint(f"{_S}SQSBackend.get_queue", "use", ("self", "queue_name"), "the queue a batch was sent to"),
    PatchPoint(f"{_L}LambdaBackend.list_event_source_mappings", "use", ("self", "event_source_arn", "function_name"),
               "the mappings of a stream (event_sources.py)"),
    PatchPoint(f"{_L}EventSourceMapping.get_configuration", "use", ("self",), "a mapping's destinations (event_sources.py)"),
    PatchPoint("moto.core.utils:unix_time", "use", ("dt",), "DynamoDB stream records' ApproximateCreationDateTime"),
    PatchPoint("moto.core.models:DEFAULT_ACCOUNT_ID", "use", None, "the account execute-api URLs belong to"),
    PatchPoint("moto.core.exceptions:JsonRESTError.__init__", "use", ("self", "error_type", "message", "_", "kwargs"),
               "base of the Invoke API errors the runtime raises (TooManyRequestsException, ...)"),
    PatchPoint("moto.apigateway.models:apigateway_backends", "use", None, "REST APIs, API keys, usage plans"),
    PatchPoint(f"{_A}APIGatewayBackend.get_rest_api", "use", ("self", "function_id"), "canary deployments"),
    PatchPoint(f"{_A}APIGatewayBackend.get_integration", "use", ("self", "function_id", "resource_id", "method_type"),
               "keep cacheKeyParameters"),
    PatchPoint(f"{_A}Integration.to_json", "use", ("self",), "answer PutIntegration with the kept cacheKeyParameters"),
    PatchPoint("moto.apigatewayv2.models:apigatewayv2_backends", "use", None, "HTTP APIs"),
    PatchPoint(f"{_I}IAMBackend.get_user", "use", ("self", "name"), "an IAM user's policies (AWS_IAM methods)"),
    PatchPoint("moto.cognitoidp.models:cognitoidp_backends", "use", None, "user pools of Cognito authorizers"),
    PatchPoint("moto.dynamodb.models:dynamodb_backends", "use", None, "the stream shard of a table (TTL deletes)"),
    PatchPoint("moto.dynamodb.models:DynamoDBBackend.get_table", "use", ("self", "table_name"), "a table by name"),
    PatchPoint("moto.dynamodb.models.table:StreamShard.add", "use", ("self", "old", "new"),
               "tag the REMOVE records the TTL sweeper writes with the service identity"),
    PatchPoint("botocore.handlers:BUILTIN_HANDLERS", "use", None,
               "the grading judge answers every AWS call through the student's sandbox (grade/judge.py)"),
    PatchPoint("botocore.awsrequest:HeadersDict.__init__", "use", ("self", "args", "kwargs"),
               "headers of a response forwarded to the grading judge"),
    PatchPoint("moto.core.models:botocore_stubber", "use", None,
               "answer an AWS request the grading judge forwards from its own process (grade/agent.py)"),
    PatchPoint("moto.core.botocore_stubber:BotocoreStubber.__call__", "use", ("self", "event_name", "request", "kwargs"),
               "answer an AWS request the grading judge forwards from its own process (grade/agent.py)"),
    PatchPoint("botocore.awsrequest:AWSPreparedRequest.__init__", "use",
               ("self", "method", "url", "headers", "body", "stream_output", "context"),
               "rebuild a request the grading judge forwards (grade/agent.py)"),
    PatchPoint("moto.core.botocore_stubber:MockRawResponse.__init__", "use", ("self", "response_input"),
               "the body of an injected error response (sim.retry)"),
    PatchPoint("botocore.awsrequest:AWSResponse.__init__", "use", ("self", "url", "status_code", "headers", "raw"),
               "an injected error response (sim.retry)"),
    PatchPoint("botocore.endpoint:time", "use", None, "the clock botocore's retry handler sleeps on (sim.retry)"),
    PatchPoint("botocore.awsrequest:AWSRequest.__init__", "use",
               ("self", "method", "url", "headers", "data", "params", "auth_path", "stream_output"),
               "recompute a SigV4 signature (AWS_IAM methods)"),
    PatchPoint("botocore.credentials:Credentials.__init__", "use",
               ("self", "access_key", "secret_key", "token", "method", "account_id"), "recompute a SigV4 signature"),
    PatchPoint("botocore.auth:SigV4Auth.__init__", "use", ("self", "credentials", "service_name", "region_name"),
               "recompute a SigV4 signature"),
    PatchPoint("botocore.auth:SigV4Auth.canonical_request", "use", ("self", "request"), "recompute a SigV4 signature"),
    PatchPoint("botocore.auth:SigV4Auth.string_to_sign", "use", ("self", "request", "canonical_request"),
               "recompute a SigV4 signature"),
    PatchPoint("botocore.auth:SigV4Auth.signature", "use", ("self", "string_to_sign", "request"),
               "recompute a SigV4 signature"),
)

READ: tuple[PatchPoint, ...] = (
    *_reads(f"{_L}LambdaFunction",
            "function_name version memory_size logs_group_name account_id region reserved_concurrency "
            "environment_vars run_time handler function_arn timeout logs_backend layers role event_invoke_config "
            "code_or_config_updated", "run a handler with its configuration, context, logs and limits"),
    *_reads(f"{_L}LambdaFunction", "code_bytes code_sha_256", "unpack the function's zip; a new zip is a new environment",
            set_in=("_set_function_code",)),
    *_reads(f"{_L}LayerVersion", "code_bytes", "unpack a layer's zip"),
    *_reads(f"{_L}LambdaAlias", "function_version routing_config", "weighted alias routing"),
    *_reads(f"{_L}EventInvokeConfig", "config", "retries and destinations of async invocations"),
    *_reads(f"{_L}EventSourceMapping", "function_arn enabled uuid function_response_types",
            "SQS mappings: batch size, ReportBatchItemFailures, enabled"),
    *_reads(f"{_L}EventSourceMapping", "function_name destination_config", "a mapping's function and destinations"),
    *_props(f"{_L}EventSourceMapping", "batch_size event_source_arn", "SQS mappings"),
    *_props(f"{_S}Queue", "approximate_number_of_messages", "the queue's message count"),
    *_reads(f"{_L}LambdaBackend", "account_id region_name", "the account and Region of an event source"),
    *_reads("moto.awslambda.responses:LambdaResponse", "path querystring headers body",
            "the Invoke request (function name, Qualifier, invocation type, payload)", set_in=("setup_class",)),
    *_props("moto.awslambda.responses:LambdaResponse", "backend", "the Lambda backend of the request"),
    *_reads(f"{_S}Queue", "account_id region fifo_queue queue_arn lambda_event_source_mappings",
            "poll a queue for its Lambda mappings"),
    *_props(f"{_S}Queue", "name", "poll a queue for its Lambda mappings"),
    *_reads(f"{_S}Queue", "visibility_timeout", "the queue's visibility timeout (set from its attribute list)",
            set_in=("BASE_ATTRIBUTES",)),
    *_reads(f"{_S}Queue", "redrive_policy", "dead-letter queue of a queue", set_in=("_setup_dlq",)),
    *_reads(f"{_S}Message",
            "id receipt_handle body approximate_receive_count sent_timestamp sender_id "
            "approximate_first_receive_timestamp group_id deduplication_id sequence_number message_attributes",
            "the SQS record of a Lambda event"),
    *_props(f"{_S}Message", "body_md5", "the SQS record of a Lambda event"),
    *_props(f"{_S}Message", "visible", "release FIFO messages that are visible again (release_visible_pending)"),
    *_props(f"{_S}Message", "had_receipt_handle change_visibility", "put a failed message back (return_to_queue)"),
    *_reads(f"{_S}Queue", "_messages", "put a failed message back (return_to_queue)"),
    *_props(f"{_S}Queue", "pending_messages", "release FIFO messages that are visible again (release_visible_pending)"),
    *_reads(f"{_S}SQSBackend", "queues", "poll every queue when a mapping changes"),
    *_reads("moto.sns.models:Subscription", "arn topic", "the SNS record of a Lambda event"),
    *_reads("moto.sns.models:Topic", "arn", "the SNS record of a Lambda event"),
    *_reads(f"{_I}IAMBackend", "users groups", "find an access key's user and the user's groups"),
    *_reads(f"{_I}User", "access_keys id name policies managed_policies", "AWS_IAM method authorization"),
    *_props(f"{_I}User", "arn", "AWS_IAM method authorization"),
    *_reads(f"{_I}AccessKey", "access_key_id secret_access_key status", "check a SigV4 signature"),
    *_reads(f"{_I}Group", "users policies managed_policies", "a user's group policies"),
    *_reads(f"{_I}ManagedPolicy", "versions default_version_id", "the default version of an attached policy"),
    *_reads(f"{_I}PolicyVersion", "version_id document", "the default version of an attached policy"),
    *_reads("moto.cognitoidp.models:CognitoIdpBackend", "user_pools", "Cognito authorizers"),
    *_reads("moto.cognitoidp.models:CognitoIdpUserPool", "clients", "Cognito authorizers: the token's app client"),
    *_reads("moto.dynamodb.models.table:Table", "stream_shard", "TTL deletes on the table's stream"),
    *_reads("moto.dynamodb.models.table:StreamShard", "items", "TTL deletes on the table's stream"),
    *_reads("moto.dynamodb.models.table:StreamRecord", "record", "TTL deletes carry the service identity"),
    # API Gateway (REST): the data plane serves moto's resources, methods and integrations.
    *_reads(f"{_A}RestAPI", "id account_id region_name stages resources deployments authorizers", "REST API data plane"),
    *_reads(f"{_A}Resource", "id resource_methods", "REST API routing"),
    *_props(f"{_A}Resource", "get_path", "REST API routing"),
    *_reads(f"{_A}Method",
            "method_integration authorization_type authorizer_id api_key_required authorization_scopes",
            "REST API method settings"),
    *_reads(f"{_A}Integration",
            "integration_type uri request_templates integration_responses http_method passthrough_behaviour "
            "cache_key_parameters", "REST API integrations"),
    *_reads(f"{_A}IntegrationResponse", "status_code response_parameters response_templates",
            "REST API integration responses"),
    *_reads(f"{_A}Stage", "name variables deployment_id method_settings cache_cluster_enabled",
            "stages, canaries and the stage cache"),
    *_reads(f"{_A}Authorizer", "type identity_source provider_arns authorizer_uri", "REST API authorizers"),
    *_reads(f"{_A}ApiKey", "id value enabled", "API keys"),
    *_reads(f"{_A}UsagePlan", "id api_stages quota throttle", "usage plans"),
    *_reads(f"{_A}APIGatewayBackend", "apis keys usage_plans usage_plan_keys", "REST APIs, keys and usage plans"),
    *_props("moto.apigateway.responses:APIGatewayResponse", "backend _get_param", "canary and cache settings"),
    *_reads("moto.apigateway.responses:APIGatewayResponse", "path", "canary and cache settings",
            set_in=("setup_class",)),
    # API Gateway v2 (HTTP APIs)
    *_reads(f"{_V2}Api", "api_id routes stages authorizers integrations", "HTTP API data plane"),
    *_reads(f"{_V2}Route", "route_key authorization_type authorizer_id authorization_scopes target", "HTTP API routes"),
    *_reads(f"{_V2}Integration", "integration_type integration_uri payload_format_version", "HTTP API integrations"),
    *_reads(f"{_V2}Stage", "name stage_variables", "HTTP API stages"),
    *_reads(f"{_V2}Authorizer", "jwt_config", "HTTP API JWT authorizers"),
    *_reads(f"{_V2}ApiGatewayV2Backend", "apis", "HTTP APIs"),
)
