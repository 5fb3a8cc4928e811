"""REST API non-proxy integrations: ``AWS`` (Lambda or a service action), ``HTTP``, ``HTTP_PROXY``, ``MOCK``.

AWS, for a *custom* (non-proxy) integration:

1. **Request mapping**: the template for the request's ``Content-Type`` (default
   ``application/json``) turns the request into the integration request body (VTL, see
   :mod:`.vtl`). Without a matching template the ``passthroughBehavior`` decides:
   ``WHEN_NO_MATCH`` passes the body through unchanged, ``WHEN_NO_TEMPLATES`` passes it only if
   the integration has no template at all, ``NEVER`` refuses; a refusal is 415
   ``{"message":"Unsupported Media Type"}``.
2. **Backend**: ``AWS`` with a ``lambda:path/2015-03-31/functions/{arn}/invocations`` URI invokes
   the function synchronously with the mapped body as the event; ``AWS`` with
   ``{service}:action/{Action}`` calls that service API with the mapped body as its parameters;
   ``HTTP`` sends the mapped body to the URI; ``MOCK`` calls nothing: the request template's
   ``statusCode`` is the integration's status.
3. **Integration response**: for Lambda, each integration response's ``selectionPattern`` (a
   regular expression) is matched against the function's ``errorMessage``; for HTTP, AWS
   service and MOCK integrations against the status code. No match (and every successful Lambda
   call) uses the *default* response, the one without a pattern. So an unmapped Lambda error is
   returned with the default response's status, usually **200**. Its response template (or the
   backend's body unchanged) is the body; ``responseParameters`` set headers from static values
   (``'text'``) or backend headers (``integration.response.header.X``).

``HTTP_PROXY`` passes the request (method, path parameters, query string, headers, body) to the
URI and returns the backend's response unchanged.

Simulated: the AWS service call is made with boto3 in this process (the integration's
``credentials`` role is not assumed). Service actions need the ``action/`` URI form.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlencode

from . import vtl

__all__ = ["run", "select_response", "request_params"]

JSON = {"Content-Type": "application/json"}
HOP_HEADERS = {"host", "content-length", "connection", "accept-encoding", "transfer-encoding"}


def _error(status: int, message: str, error_type: str) -> tuple[int, dict[str, str], str]:
    return status, {**JSON, "x-amzn-ErrorType": error_type}, json.dumps({"message": message})


def request_params(event: dict[str, Any]) -> dict[str, dict[str, str]]:
    """``$input.params()`` of a proxy-shaped event."""
    return {
        "path": dict(event.get("pathParameters") or {}),
        "querystring": dict(event.get("queryStringParameters") or {}),
        "header": dict(event.get("headers") or {}),
    }


def _vtl_context(event: dict[str, Any], body: str | None) -> dict[str, Any]:
    return {
        "input": vtl.InputVariable(body, request_params(event)),
        "context": event.get("requestContext") or {},
        "stageVariables": dict(event.get("stageVariables") or {}),
    }


def _content_type(event: dict[str, Any]) -> str:
    for k, v in (event.get("headers") or {}).items():
        if k.lower() == "content-type" and v:
            return v.split(";")[0].strip().lower()
    return "application/json"


def _map_request(integration: Any, event: dict[str, Any]) -> tuple[str | None, tuple[int, dict[str, str], str] | None]:
    """The integration request body, or the 415 response."""
    templates = integration.request_templates or {}
    ctype = _content_type(event)
    body = event.get("body")
    if ctype in templates:
        template = templates[ctype]
        if not template:
            return body, None
        return vtl.render(template, _vtl_context(event, body)), None
    behaviour = (integration.passthrough_behaviour or "WHEN_NO_MATCH").upper()
    if behaviour == "WHEN_NO_MATCH" or (behaviour == "WHEN_NO_TEMPLATES" and not templates):
        return body, None
    return None, _error(415, "Unsupported Media Type", "UnsupportedMediaTypeException")


def select_response(responses: dict[str, Any], subject: str, status: str | None) -> Any | None:
    """The integration response for ``subject`` (Lambda errorMessage, or a status code)."""
    ordered = sorted(responses.values(), key=lambda r: str(r.status_code))
    if subject:
        for r in ordered:
            pattern = r.selection_pattern
            if pattern and re.fullmatch(pattern, subject, re.DOTALL):
                return r
    if status is not None and status in responses and not responses[status].selection_pattern:
        return responses[status]  # a response keyed by the exact status code (no pattern)
    defaults = [r for r in ordered if not r.selection_pattern]
    if not defaults:
        return None
    return next((r for r in defaults if str(r.status_code) == "200"), defaults[0])


def _map_response(
    integration: Any, event: dict[str, Any], subject: str, status: str | None, body: str, backend_headers: dict[str, str]
) -> tuple[int, dict[str, str], str]:
    chosen = select_response(integration.integration_responses or {}, subject, status)
    if chosen is None:
        return _error(500, "Internal server error", "InternalServerErrorException")
    headers = dict(JSON)
    for name, value in (chosen.response_parameters or {}).items():
        if not name.startswith("method.response.header.") or not isinstance(value, str):
            continue
        header = name.split(".", 3)[3]
        if value.startswith("'") and value.endswith("'"):
            headers[header] = value[1:-1]
        elif value.startswith("integration.response.header."):
            wanted = value.split(".", 3)[3].lower()
            found = next((v for k, v in backend_headers.items() if k.lower() == wanted), None)
            if found is not None:
                headers[header] = found
    templates = chosen.response_templates or {}
    template = templates.get("application/json") if "application/json" in templates else next(iter(templates.values()), None)
    if template:
        ctx = _vtl_context(event, body)
        out = vtl.render(template, ctx)
    else:
        out = body
    return int(chosen.status_code), headers, out


def _lambda_backend(integration: Any, event: dict[str, Any], body: str | None) -> tuple[str, str | None, str, dict[str, str]]:
    from .lambda_target import invoke_lambda_for_api, lambda_arn_from_uri

    function_arn = lambda_arn_from_uri(integration.uri or "", dict(event.get("stageVariables") or {}))
    try:
        payload = json.loads(body) if body not in (None, "") else {}
    except ValueError as exc:
        raise _BadRequest(f"the mapped request is not JSON: {exc}") from None
    result = invoke_lambda_for_api(function_arn, payload)
    text = result.payload.decode("utf-8") if isinstance(result.payload, bytes) else str(result.payload)
    if result.function_error:
        info = result.payload_json() or {}
        return str(info.get("errorMessage", "")) if isinstance(info, dict) else "", "200", text, {}
    return "", "200", text, {}


def _service_backend(uri: str, body: str | None) -> tuple[str, str | None, str, dict[str, str]]:
    import boto3
    from botocore.exceptions import ClientError

    m = re.match(r"arn:aws:apigateway:([a-z0-9-]+):([a-z0-9-]+):action/([A-Za-z0-9]+)", uri)
    if m is None:
        raise _BadRequest(f"unsupported AWS integration URI {uri!r} (use {{service}}:action/{{Action}})")
    region, service, action = m.groups()
    client = boto3.client(service, region_name=region)
    method = {v: k for k, v in client.meta.method_to_api_mapping.items()}.get(action)
    if method is None:
        raise _BadRequest(f"{service} has no action {action}")
    try:
        params = json.loads(body) if body not in (None, "") else {}
    except ValueError as exc:
        raise _BadRequest(f"the mapped request is not JSON: {exc}") from None
    try:
        answer = getattr(client, method)(**params)
    except ClientError as exc:
        status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 400))
        error = exc.response.get("Error", {})
        return "", status, json.dumps({"__type": error.get("Code"), "message": error.get("Message")}), {}
    except Exception as exc:  # botocore ParamValidationError and friends: a bad mapped request
        return "", "400", json.dumps({"__type": type(exc).__name__, "message": str(exc)}), {}
    answer.pop("ResponseMetadata", None)
    return "", "200", json.dumps(answer, default=str), {}


def _fill_uri(uri: str, event: dict[str, Any]) -> str:
    params = dict(event.get("pathParameters") or {})
    uri = re.sub(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}", lambda m: (event.get("stageVariables") or {}).get(m.group(1), ""), uri)
    return re.sub(r"\{([A-Za-z0-9_]+)\+?\}", lambda m: params.get(m.group(1), m.group(0)), uri)


def _http_backend(integration: Any, event: dict[str, Any], body: str | None, proxy: bool) -> tuple[int, dict[str, str], str]:
    import requests

    url = _fill_uri(integration.uri or "", event)
    method = event["httpMethod"] if proxy or not integration.http_method else integration.http_method
    if method == "ANY":
        method = event["httpMethod"]
    headers = {}
    if proxy:
        headers = {k: v for k, v in (event.get("headers") or {}).items() if k.lower() not in HOP_HEADERS}
        query = event.get("multiValueQueryStringParameters") or {}
        if query:
            url += ("&" if "?" in url else "?") + urlencode([(k, v) for k, vs in query.items() for v in vs])
    else:
        headers = {"Content-Type": "application/json"}
    resp = requests.request(method, url, data=body.encode() if isinstance(body, str) else body, headers=headers, timeout=29)
    return resp.status_code, dict(resp.headers), resp.text


class _BadRequest(Exception):
    pass


def run(integration: Any, event: dict[str, Any]) -> tuple[int, dict[str, str], str]:
    """Serve a REST API request through a non-proxy integration (or ``HTTP_PROXY``)."""
    itype = integration.integration_type
    if itype == "HTTP_PROXY":
        try:
            status, headers, text = _http_backend(integration, event, event.get("body"), proxy=True)
        except Exception:
            return _error(502, "Internal server error", "InternalServerErrorException")
        keep = {k: v for k, v in headers.items() if k.lower() not in HOP_HEADERS | {"content-encoding"}}
        return status, keep, text
    body, refused = _map_request(integration, event)
    if refused is not None:
        return refused
    try:
        if itype == "MOCK":
            status = "200"
            if body:
                try:
                    status = str(json.loads(body).get("statusCode", 200))
                except (ValueError, AttributeError):
                    m = re.search(r'"statusCode"\s*:\s*(\d{3})', body)
                    status = m.group(1) if m else "200"
            return _map_response(integration, event, status, status, "", {})
        if itype == "AWS":
            uri = integration.uri or ""
            if ":lambda:path/" in uri:
                subject, status, text, headers = _lambda_backend(integration, event, body)
                return _map_response(integration, event, subject, None, text, headers)
            subject, status, text, headers = _service_backend(uri, body)
            return _map_response(integration, event, status or "200", status, text, headers)
        if itype == "HTTP":
            code, headers, text = _http_backend(integration, event, body, proxy=False)
            return _map_response(integration, event, str(code), str(code), text, headers)
    except vtl.VtlError:
        return _error(500, "Internal server error", "InternalServerErrorException")
    except _BadRequest:
        return _error(500, "Internal server error", "InternalServerErrorException")
    return _error(500, "Internal server error", "InternalServerErrorException")
