"""The integration timeout of a REST API method (``PutIntegration``'s ``timeoutInMillis``), checked like AWS.

AWS: API Gateway waits at most ``timeoutInMillis`` for an integration to answer (else the caller
gets 504). The value must lie between 50 and 29,000 milliseconds; a value outside that range is
refused with HTTP 400 ``BadRequestException`` "Timeout should be between 50 ms and 29000 ms".
Left out, it is 29,000 ms, and ``PutIntegration``/``GetIntegration`` return that value. Since June
2024 the upper bound can be raised above 29 s for Regional and private REST APIs through a
Service Quotas request (which may lower the account's throttle quota); the error message then
names the raised bound.

Simulated: moto 5.2.5 accepts any value and returns no ``timeoutInMillis`` when none was given;
this module wraps moto's ``APIGatewayBackend.put_integration`` to refuse out-of-range values and
fill in the default. The account's quota is always the default 29,000 ms (a raised quota is not
modelled), and so is the bound of ``responseTransferMode=STREAM`` integrations, which moto does not
keep. The data plane does not stop an integration at its timeout.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

from .moto_adapter import JsonRESTError

__all__ = ["MIN_TIMEOUT_MS", "DEFAULT_TIMEOUT_MS", "BadRequestException", "check_timeout", "wrap_put_integration"]

MIN_TIMEOUT_MS = 50
DEFAULT_TIMEOUT_MS = 29_000  # also the default quota "Maximum integration timeout in milliseconds"


class BadRequestException(JsonRESTError):
    """API Gateway's 400 ``BadRequestException``."""

    code = 400

    def __init__(self, message: str) -> None:
        super().__init__("BadRequestException", message)


def check_timeout(value: Any, maximum_ms: int = DEFAULT_TIMEOUT_MS) -> int:
    """The integration timeout to store for ``value`` (``None``: the default), or AWS's 400 error."""
    if value is None or value == "":
        return DEFAULT_TIMEOUT_MS
    message = f"Timeout should be between {MIN_TIMEOUT_MS} ms and {maximum_ms} ms"
    try:
        millis = int(value)
    except (TypeError, ValueError):
        raise BadRequestException(message) from None
    if not MIN_TIMEOUT_MS <= millis <= maximum_ms:
        raise BadRequestException(message)
    return millis


def wrap_put_integration(original: Callable[..., Any]) -> Callable[..., Any]:
    """``APIGatewayBackend.put_integration``: check ``timeout_in_millis`` first, store the default if absent."""
    signature = inspect.signature(original)

    def put_integration(self: Any, *args: Any, **kwargs: Any) -> Any:
        call = signature.bind(self, *args, **kwargs)
        call.arguments["timeout_in_millis"] = check_timeout(call.arguments.get("timeout_in_millis"))
        return original(*call.args, **call.kwargs)

    put_integration.__wrapped__ = original  # type: ignore[attr-defined]
    return put_integration
