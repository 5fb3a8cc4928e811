"""HTTP API (API Gateway v2) data plane: routes, Lambda proxy payload 2.0, JWT authorizers.

AWS: ``https://{api}.execute-api.{region}.amazonaws.com/{path}`` reaches the ``$default`` stage
(``/{stage}/{path}`` a named stage). The most specific route wins (``GET /items/{id}`` before
``ANY /items/{id}`` before ``/{proxy+}``), ``$default`` catches the rest, and no match gives 404
``{"message":"Not Found"}``. ``AWS_PROXY`` integrations with payload format 2.0 get
``{version, routeKey, rawPath, rawQueryString, cookies, headers, queryStringParameters,
pathParameters, stageVariables, requestContext{http{method, path, protocol, sourceIp,
userAgent}, ...}, body, isBase64Encoded}``. The answer may be a full ``{statusCode, headers,
body, isBase64Encoded, cookies}`` object, or any other JSON value, which then becomes a 200
``application/json`` response whose body is that value. A failing function gives 500
``{"message":"Internal Server Error"}``. A JWT authorizer rejects a missing or invalid bearer
token with 401 ``{"message":"Unauthorized"}``.

Simulated: only Lambda (``AWS_PROXY``) integrations run; payload format 1.0 gets the REST proxy
event shape. Headers are lower-cased as AWS does; multiple values are joined with commas.
"""

from __future__ import annotations

import base64
import json
import re
import time
import uuid
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

from .apigateway import _segments, match_resource
from .lambda_target import invoke_lambda_for_api, lambda_arn_from_uri
from .authorizers import JwtError, validate_jwt

__all__ = ["handle"]


def _json(status: int, message: str) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json"}, json.dumps({"message": message})


def _pick_route(api: Any, method: str, path: str) -> tuple[Any, dict[str, str]] | None:
    candidates: list[tuple[str, Any]] = []
    default = None
    for route in api.routes.values():
        key = route.route_key
        if key == "$default":
            default = route
            continue
        verb, _, template = key.partition(" ")
        if verb in (method, "ANY"):
            candidates.append((template, route))
    exact = [(t, r) for t, r in candidates if r.route_key.startswith(method + " ")]
    found = match_resource(exact, path) or match_resource(candidates, path)
    if found is None and default is not None:
        return default, {}
    return found


def _result_response(result: Any) -> tuple[int, dict[str, str], str | bytes]:
    if result.function_error:
        return _json(500, "Internal Server Error")
    answer = result.payload_json()
    if isinstance(answer, dict) and "statusCode" in answer:
        headers = {"Content-Type": "application/json"}
        headers.update({k: str(v) for k, v in (answer.get("headers") or {}).items()})
        if answer.get("cookies"):
            headers["Set-Cookie"] = ", ".join(answer["cookies"])
        body = answer.get("body", "")
        if body is None:
            body = ""
        if not isinstance(body, str):
            body = json.dumps(body)
        if answer.get("isBase64Encoded"):
            return int(answer["statusCode"]), headers, base64.b64decode(body)
        return int(answer["statusCode"]), headers, body
    return 200, {"Content-Type": "application/json"}, result.payload


def handle(api: Any, request: Any, match: re.Match[str]) -> tuple[int, dict[str, str], str | bytes]:
    """Serve one request to an HTTP API."""
    raw_path = match.group("path") or "/"
    raw_query = match.group("query") or ""
    segments = _segments(raw_path)
    named = [s for s in api.stages if s != "$default"]
    if segments and segments[0] in named:
        stage = api.stages[segments[0]]
        path = "/" + "/".join(segments[1:])
    elif "$default" in api.stages:
        stage = api.stages["$default"]
        path = raw_path
    else:
        return _json(404, "Not Found")
    method = str(request.method).upper()
    found = _pick_route(api, method, path)
    if found is None:
        return _json(404, "Not Found")
    route, path_params = found

    headers: dict[str, str] = {}
    cookies: list[str] = []
    for k, v in request.headers.items():
        if k.lower() == "cookie":
            cookies.extend(c.strip() for c in v.split(";") if c.strip())
            continue
        headers[k.lower()] = v if k.lower() not in headers else headers[k.lower()] + "," + v
    query: dict[str, str] = {}
    for k, v in parse_qsl(raw_query, keep_blank_values=True):
        query[k] = v if k not in query else query[k] + "," + v
    raw_body = request.body
    is_b64 = False
    body: str | None = None
    if raw_body not in (None, b"", ""):
        if isinstance(raw_body, bytes):
            try:
                body = raw_body.decode("utf-8")
            except UnicodeDecodeError:
                body, is_b64 = base64.b64encode(raw_body).decode("ascii"), True
        else:
            body = raw_body
    request_id = str(uuid.uuid4())
    now = datetime.now(timezone.utc)
    request_context: dict[str, Any] = {
        "accountId": "123456789012",
        "apiId": api.api_id,
        "domainName": f"{api.api_id}.execute-api.{match.group('region')}.amazonaws.com",
        "domainPrefix": api.api_id,
        "http": {
            "method": method,
            "path": raw_path,
            "protocol": "HTTP/1.1",
            "sourceIp": "127.0.0.1",
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route.route_key,
        "stage": stage.name,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(time.time() * 1000),
    }

    if (route.authorization_type or "NONE").upper() == "JWT":
        authorizer = api.authorizers.get(route.authorizer_id)
        if authorizer is None:
            return _json(500, "Internal Server Error")
        config = authorizer.jwt_config or {}
        token = headers.get("authorization")
        if not token:
            return _json(401, "Unauthorized")
        try:
            issuer = config.get("Issuer") or config.get("issuer") or ""
            audience = config.get("Audience") or config.get("audience") or []
            claims = validate_jwt(token, issuers=[issuer], audiences=list(audience))
        except JwtError:
            return _json(401, "Unauthorized")
        scopes = route.authorization_scopes or []
        granted = str(claims.get("scope", "")).split()
        if scopes and not set(scopes) & set(granted):
            return _json(403, "Forbidden")
        request_context["authorizer"] = {"jwt": {"claims": {k: str(v) for k, v in claims.items()}, "scopes": granted or None}}

    target = route.target or ""
    integration = api.integrations.get(target.split("/")[-1]) if target else None
    if integration is None or integration.integration_type != "AWS_PROXY":
        return _json(500, "Internal Server Error")
    stage_vars = dict(stage.stage_variables or {})
    function_arn = lambda_arn_from_uri(integration.integration_uri or "", stage_vars)
    if str(integration.payload_format_version or "2.0") == "1.0":
        event: dict[str, Any] = {
            "version": "1.0",
            "resource": route.route_key.partition(" ")[2] or route.route_key,
            "path": path,
            "httpMethod": method,
            "headers": headers or None,
            "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
            "queryStringParameters": query or None,
            "multiValueQueryStringParameters": {k: v.split(",") for k, v in query.items()} or None,
            "pathParameters": path_params or None,
            "stageVariables": stage_vars or None,
            "requestContext": {**request_context, "httpMethod": method, "path": raw_path},
            "body": body,
            "isBase64Encoded": is_b64,
        }
    else:
        event = {
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": raw_path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": request_context,
            "isBase64Encoded": is_b64,
        }
        if cookies:
            event["cookies"] = cookies
        if query:
            event["queryStringParameters"] = query
        if path_params:
            event["pathParameters"] = path_params
        if stage_vars:
            event["stageVariables"] = stage_vars
        if body is not None:
            event["body"] = body
    try:
        result = invoke_lambda_for_api(function_arn, event)
    except Exception:
        return _json(500, "Internal Server Error")
    return _result_response(result)
