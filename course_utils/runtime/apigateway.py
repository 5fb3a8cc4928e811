"""REST API (API Gateway v1) data plane: ``requests`` to an execute-api URL reach the integration.

AWS, for ``https://{api}.execute-api.{region}.amazonaws.com/{stage}/{path}``:

1. the stage must exist (else 403 ``{"message":"Forbidden"}``);
2. the path and method select a resource: literal segments beat ``{param}`` segments, which beat
   a greedy ``{proxy+}``; ``ANY`` matches every method. No match: 403
   ``{"message":"Missing Authentication Token"}``;
3. the method's authorizer runs (Cognito user pool, Lambda TOKEN/REQUEST; see
   :mod:`.authorizers`), then the API key and usage plan are checked (see :mod:`.usage_plans`);
4. the integration runs: ``AWS_PROXY`` invokes the Lambda function with the proxy event and maps
   its ``{statusCode, headers, multiValueHeaders, body, isBase64Encoded}`` answer (a handler
   error or malformed answer gives 502 ``{"message": "Internal server error"}``); ``MOCK``
   answers with the integration response whose status code the request template selects;
   ``${stageVariables.x}`` in the integration URI is replaced by the stage's variable.

``AWS_IAM`` methods need a SigV4-signed request whose identity may ``execute-api:Invoke`` the
method (see :mod:`.sigv4`). Non-proxy integrations (``AWS``, ``HTTP``, ``MOCK``) and
``HTTP_PROXY`` run through :mod:`.integrations`, with VTL mapping templates (:mod:`.vtl`).
A stage serves its deployment's snapshot, may route a share of requests to a canary and may
cache responses (see :mod:`.stages`).

Simulated: authorizer results are not cached. The ``x-amzn-RequestId`` header is set on
proxy responses only.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, unquote

from . import authorizers, integrations, sigv4, stages, usage_plans
from .lambda_target import invoke_lambda_for_api, lambda_arn_from_uri

__all__ = ["handle", "match_resource", "lambda_arn_from_uri", "invoke_lambda_for_api"]

JSON = {"Content-Type": "application/json"}


def _error(status: int, message: str, error_type: str, key: str = "message") -> tuple[int, dict[str, str], str]:
    return status, {**JSON, "x-amzn-ErrorType": error_type}, json.dumps({key: message})


def _segments(path: str) -> list[str]:
    return [s for s in path.split("/") if s != ""]


def match_resource(resources: list[tuple[str, Any]], path: str) -> tuple[Any, dict[str, str]] | None:
    """Best resource for ``path`` among ``(template, resource)`` pairs, with path parameters."""
    want = _segments(path)
    best: tuple[tuple[int, ...], Any, dict[str, str]] | None = None
    for template, resource in resources:
        parts = _segments(template)
        params: dict[str, str] = {}
        score: list[int] = []
        ok = True
        for i, part in enumerate(parts):
            if part.startswith("{") and part.endswith("+}"):
                rest = want[i:]
                if not rest:
                    ok = False
                    break
                params[part[1:-2]] = "/".join(unquote(s) for s in rest)
                score.append(0)
                break
            if i >= len(want):
                ok = False
                break
            if part.startswith("{") and part.endswith("}"):
                params[part[1:-1]] = unquote(want[i])
                score.append(1)
            elif part == want[i]:
                score.append(2)
            else:
                ok = False
                break
        else:
            if len(parts) != len(want):
                ok = False
        if not ok:
            continue
        key = tuple(score)
        if best is None or key > best[0]:
            best = (key, resource, params)
    return None if best is None else (best[1], best[2])


def _multi(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None, dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        single[k] = v
        multi.setdefault(k, []).append(v)
    return single, multi


def _body(request: Any) -> tuple[str | None, bool]:
    raw = request.body
    if raw is None or raw == b"" or raw == "":
        return None, False
    if isinstance(raw, str):
        return raw, False
    try:
        return raw.decode("utf-8"), False
    except UnicodeDecodeError:
        return base64.b64encode(raw).decode("ascii"), True


def _proxy_response(result: Any, request_id: str) -> tuple[int, dict[str, str], str | bytes]:
    """Map a Lambda proxy answer to the HTTP response, like API Gateway (502 if malformed)."""
    bad = _error(502, "Internal server error", "InternalServerErrorException")
    if result.function_error:
        return bad
    answer = result.payload_json()
    if not isinstance(answer, dict) or "statusCode" not in answer:
        return bad
    allowed = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded", "cookies"}
    if set(answer) - allowed:
        return bad
    try:
        status = int(answer["statusCode"])
    except (TypeError, ValueError):
        return bad
    headers: dict[str, str] = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    for k, values in (answer.get("multiValueHeaders") or {}).items():
        headers[k] = ", ".join(str(v) for v in values)
    for k, v in (answer.get("headers") or {}).items():
        headers[k] = str(v)
    body = answer.get("body")
    if body is None:
        return status, headers, ""
    if not isinstance(body, str):
        return bad
    if answer.get("isBase64Encoded"):
        return status, headers, base64.b64decode(body)
    return status, headers, body


def handle(api: Any, request: Any, match: re.Match[str]) -> tuple[int, dict[str, str], str | bytes]:
    """Serve one request to a REST API."""
    path = match.group("path") or "/"
    query = match.group("query") or ""
    segments = _segments(path)
    if not segments or segments[0] not in api.stages:
        return _error(403, "Forbidden", "ForbiddenException")
    stage = api.stages[segments[0]]
    rest_path = "/" + "/".join(segments[1:])
    deployment_id, stage_variables, _is_canary = stages.pick_deployment(stage)
    live = stages.resources_for(api, deployment_id)
    resources = [(r.get_path(), r) for r in live.values()]
    found = match_resource(resources, rest_path)
    method_name = str(request.method).upper()
    if found is None:
        return _error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
    resource, path_params = found
    method = resource.resource_methods.get(method_name) or resource.resource_methods.get("ANY")
    if method is None:
        return _error(403, "Missing Authentication Token", "MissingAuthenticationTokenException")
    integration = method.method_integration
    if integration is None:
        return _error(500, "Internal server error", "InternalServerErrorException")

    request_id = str(uuid.uuid4())
    headers_pairs = [(k, v) for k, v in request.headers.items()]
    headers, multi_headers = _multi(headers_pairs)
    qs, multi_qs = _multi(parse_qsl(query, keep_blank_values=True))
    body, is_b64 = _body(request)
    source_ip = "127.0.0.1"
    now = datetime.now(timezone.utc)
    request_context: dict[str, Any] = {
        "accountId": api.account_id,
        "apiId": api.id,
        "domainName": f"{api.id}.execute-api.{match.group('region')}.amazonaws.com",
        "domainPrefix": api.id,
        "extendedRequestId": request_id,
        "httpMethod": method_name,
        "path": path,
        "protocol": "HTTP/1.1",
        "requestId": request_id,
        "requestTime": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": int(time.time() * 1000),
        "resourceId": resource.id,
        "resourcePath": resource.get_path(),
        "stage": stage.name,
        "identity": {
            "sourceIp": source_ip,
            "userAgent": (headers or {}).get("User-Agent"),
            "apiKey": None,
            "apiKeyId": None,
            "accountId": None,
            "caller": None,
            "user": None,
            "userArn": None,
            "cognitoIdentityId": None,
            "cognitoIdentityPoolId": None,
            "cognitoAuthenticationType": None,
            "cognitoAuthenticationProvider": None,
            "accessKey": None,
            "principalOrgId": None,
        },
    }
    event: dict[str, Any] = {
        "resource": resource.get_path(),
        "path": rest_path,
        "httpMethod": method_name,
        "headers": headers,
        "multiValueHeaders": multi_headers,
        "queryStringParameters": qs,
        "multiValueQueryStringParameters": multi_qs,
        "pathParameters": path_params or None,
        "stageVariables": stage_variables or None,
        "requestContext": request_context,
        "body": body,
        "isBase64Encoded": is_b64,
    }

    # 1. authorizer
    region = match.group("region")
    method_arn = f"arn:aws:execute-api:{region}:{request_context['accountId']}:{api.id}/{stage.name}/{method_name}{rest_path}"
    if (method.authorization_type or "NONE").upper() == "AWS_IAM":
        denied = sigv4.authorize_iam(request, method_arn, request_context["accountId"], request_context["identity"])
    else:
        denied = authorizers.authorize_rest(api, method, event, method_arn)
    if denied is not None:
        return denied

    # 2. API key + usage plan
    if method.api_key_required:
        key_value = (headers or {}).get("x-api-key") or next(
            (v for k, v in (headers or {}).items() if k.lower() == "x-api-key"), None
        )
        outcome = usage_plans.check(api, stage.name, key_value)
        if outcome is not None:
            return outcome
        request_context["identity"]["apiKey"] = key_value
        request_context["identity"]["apiKeyId"] = usage_plans.key_id(key_value)

    # 3. stage cache
    policy = stages.cache_policy(stage, resource.get_path(), method_name)
    key = None
    if policy is not None:
        key = stages.cache_key(api, stage, deployment_id, method_name, rest_path, integration, event)
        wants_refresh = "max-age=0" in str(next((v for k, v in (headers or {}).items() if k.lower() == "cache-control"), ""))
        if wants_refresh and policy["require_auth"] and policy["strategy"] == "FAIL_WITH_403":
            return _error(403, "Forbidden", "ForbiddenException")
        cached = None if (wants_refresh and not policy["require_auth"]) else stages.cache_lookup(key)
        if cached is not None:
            return cached

    # 4. integration
    response = _integration_response(integration, event, stage_variables, request_id)
    if key is not None and policy is not None:
        stages.cache_store(key, policy["ttl"], response)
    return response


def _integration_response(integration: Any, event: dict[str, Any], stage_variables: dict[str, str], request_id: str) -> tuple[int, dict[str, str], str | bytes]:
    if integration.integration_type == "AWS_PROXY":
        function_arn = lambda_arn_from_uri(integration.uri or "", stage_variables)
        try:
            result = invoke_lambda_for_api(function_arn, event)
        except Exception:
            return _error(502, "Internal server error", "InternalServerErrorException")
        return _proxy_response(result, request_id)
    return integrations.run(integration, event)
