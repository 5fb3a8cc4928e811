"""The execute-api data plane's entry point in moto's ``responses`` mock.

AWS: ``https://{api_id}.execute-api.{region}.amazonaws.com/{stage}/{path}`` reaches a REST API
stage; ``https://{api_id}.execute-api.{region}.amazonaws.com/{path}`` reaches an HTTP API's
``$default`` stage (or ``/{stage}/...`` for a named one).

Simulated: one ``responses.CallbackResponse`` per HTTP method, matching every execute-api URL,
is registered with moto's ``responses`` mock. moto's registry prefers plain
``responses.CallbackResponse`` objects in registration order, and ours are registered right
after the mock starts (and again after each reset), so they win over moto's own per-stage
callbacks. Requests for an API id that exists in neither backend get AWS's 403
``{"message":"Forbidden"}``.
"""

from __future__ import annotations

import json
import re
from typing import Any

import responses

__all__ = ["ensure_registered", "reset_state", "URL_PATTERN"]

URL_PATTERN = re.compile(r"https?://(?P<api_id>[A-Za-z0-9]+)\.execute-api\.(?P<region>[a-z0-9-]+)\.amazonaws\.com(?P<path>/[^?#]*)?(?:\?(?P<query>[^#]*))?")
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")

_registered: list[Any] = []


def _callback(request: Any) -> tuple[int, dict[str, str], str | bytes]:
    match = URL_PATTERN.match(request.url)
    if match is None:  # pragma: no cover - the pattern is the registration pattern
        return 404, {}, "{}"
    api_id = match.group("api_id")
    region = match.group("region")
    from .moto_adapter import apigateway_backend, apigatewayv2_backend, default_account_id

    account = default_account_id()
    rest = apigateway_backend(account, region).apis
    for key, api in rest.items():
        if key.lower() == api_id.lower():
            from . import apigateway

            return apigateway.handle(api, request, match)
    v2 = apigatewayv2_backend(account, region).apis
    for key, api in v2.items():
        if key.lower() == api_id.lower():
            from . import apigatewayv2

            return apigatewayv2.handle(api, request, match)
    return 403, {"Content-Type": "application/json", "x-amzn-ErrorType": "ForbiddenException"}, json.dumps({"message": "Forbidden"})


def ensure_registered() -> None:
    """Register the callbacks with moto's responses mock unless they are there already."""
    from .moto_adapter import responses_mock

    mock = responses_mock()
    registered = mock.registered()
    if _registered and all(r in registered for r in _registered):
        return
    _registered.clear()
    pattern = re.compile(r"https?://[A-Za-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com(/.*)?(\?.*)?$")
    for method in METHODS:
        cb = responses.CallbackResponse(method=method, url=pattern, callback=_callback, content_type=None)
        mock.add(cb)
        _registered.append(cb)


def reset_state() -> None:
    """Forget usage-plan counters, cached JWKS, the stage cache and canary draws (the sandbox was wiped)."""
    from . import usage_plans, authorizers, stages

    usage_plans.reset_state()
    authorizers.reset_state()
    stages.reset_state()
