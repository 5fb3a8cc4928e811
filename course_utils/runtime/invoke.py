"""The Lambda ``Invoke`` API on top of the in-process runtime: qualifiers, aliases, invocation types.

AWS:

* ``Qualifier`` (or ``name:qualifier`` / a qualified ARN) selects a version's code *and*
  configuration; an alias resolves to its version, and an alias with
  ``RoutingConfig.AdditionalVersionWeights`` sends that share of invocations to the other
  version. ``ExecutedVersion`` says which version ran.
* ``InvocationType``: ``RequestResponse`` waits for the result (HTTP 200), ``Event`` queues the
  event and returns HTTP 202 at once, ``DryRun`` only checks the call (HTTP 204).
* Throttled synchronous calls get ``TooManyRequestsException`` (HTTP 429).

Simulated: weighted routing draws from a :class:`random.Random` that :func:`seed` makes
repeatable (the sandbox reseeds it with 0 on every reset). ``Event`` invocations run inside the
call, synchronously, retries included (see :mod:`.async_invoke`), before the 202 is returned.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from . import lambda_runtime
from .lambda_runtime import InvokeResult, Throttled
from .moto_adapter import JsonRESTError
from .qualifiers import resolve, seed

__all__ = ["resolve", "invoke_sync", "seed", "TooManyRequestsException", "response_invoke", "response_invoke_async"]


class TooManyRequestsException(JsonRESTError):
    code = 429

    def __init__(self, reason: str = "ReservedFunctionConcurrentInvocationLimitExceeded") -> None:
        super().__init__("TooManyRequestsException", "Rate Exceeded.")
        self.description = json.dumps(
            {"__type": "TooManyRequestsException", "message": "Rate Exceeded.", "Reason": reason, "Type": "User"}
        )


class InvalidRequestContentException(JsonRESTError):
    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("InvalidRequestContentException", message)


def _event_from_body(body: Any) -> Any:
    if body in (None, b"", ""):
        return {}
    try:
        return json.loads(body)
    except ValueError as exc:
        raise InvalidRequestContentException(f"Could not parse request body into json: {exc}") from None


def invoke_sync(fn: Any, event: Any, invoked_arn: str | None = None) -> InvokeResult:
    """RequestResponse invocation of a resolved function; raises TooManyRequestsException."""
    try:
        return lambda_runtime.run(fn, event, invoked_arn=invoked_arn)
    except Throttled:
        raise TooManyRequestsException() from None


# --- replacements for moto's handlers (installed by patches.py) ---------------------------------


def response_invoke(self: Any) -> tuple[int, dict[str, str], str | bytes]:
    """Replacement for ``moto.awslambda.responses.LambdaResponse.invoke`` (POST .../invocations)."""
    from . import async_invoke

    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    inv_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
    fn, invoked_arn = resolve(self.backend, function_name, qualifier)
    headers: dict[str, str] = {"content-type": "application/json"}
    if inv_type == "DryRun":
        return 204, {**headers, "status": "204"}, ""
    event = _event_from_body(self.body)
    if inv_type == "Event":
        async_invoke.invoke_async(fn, event, invoked_arn)
        return 202, {**headers, "status": "202"}, ""
    result = invoke_sync(fn, event, invoked_arn)
    headers["X-Amz-Executed-Version"] = result.executed_version
    if result.function_error:
        headers["X-Amz-Function-Error"] = result.function_error
    if self.headers.get("X-Amz-Log-Type") == "Tail":
        headers["X-Amz-Log-Result"] = result.log_result
    return 200, headers, result.payload


def response_invoke_async(self: Any) -> tuple[int, dict[str, str], str | bytes]:
    """Replacement for ``LambdaResponse.invoke_async`` (the deprecated InvokeAsync API)."""
    from . import async_invoke

    index = -3 if self.path.endswith("/") else -2
    function_name = unquote(self.path.rsplit("/", 3)[index])
    fn, invoked_arn = resolve(self.backend, function_name, None)
    async_invoke.invoke_async(fn, _event_from_body(self.body), invoked_arn)
    return 202, {"status": "202"}, '{"Status": 202}'


def backend_invoke(
    self: Any, function_name: str, qualifier: str | None, body: Any, headers: Any, response_headers: Any
) -> bytes | None:
    """Replacement for ``LambdaBackend.invoke`` (moto services calling Lambda synchronously:
    Secrets Manager rotation, EventBridge targets)."""
    from . import async_invoke

    fn, invoked_arn = resolve(self, function_name, qualifier)
    event = _event_from_body(body)
    if (headers or {}).get("x-amz-invocation-type") == "Event":
        async_invoke.invoke_async(fn, event, invoked_arn)
        return b""
    try:
        result = lambda_runtime.run(fn, event, invoked_arn=invoked_arn)
    except Throttled:
        response_headers["x-amz-function-error"] = "Unhandled"
        return b'{"errorType": "TooManyRequestsException", "errorMessage": "Rate Exceeded."}'
    if result.function_error:
        response_headers["x-amz-function-error"] = result.function_error
    response_headers["Content-Length"] = str(len(result.payload))
    return result.payload


def function_invoke(self: Any, body: str, request_headers: Any, response_headers: Any) -> str | bytes:
    """Replacement for ``LambdaFunction.invoke`` (used by S3 notifications and CloudWatch Logs
    subscriptions, both asynchronous event sources on AWS): runs as an ``Event`` invocation."""
    from . import async_invoke

    event = _event_from_body(body)
    async_invoke.invoke_async(self, event, self.function_arn)
    return b""
