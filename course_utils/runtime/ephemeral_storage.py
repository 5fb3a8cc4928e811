"""Lambda ``EphemeralStorage`` (the size of ``/tmp``) on ``UpdateFunctionConfiguration``.

What AWS does: ``EphemeralStorage={"Size": n}`` sets ``/tmp`` to n MB, from 512 (the default) to
10,240; a value above 10,240 is rejected with ``ValidationException`` (below 512, boto3 itself
refuses the call before sending it). ``GetFunctionConfiguration`` returns the size in force.

What moto 5.2.5 does: checks and keeps it on ``CreateFunction`` only; ``UpdateFunctionConfiguration``
ignores it (the size stays 512 MB, and 20,000 MB is accepted).

What this module does: applies the size before the rest of the update, through moto's own
setter, which raises AWS's ``ValidationException`` (nothing is changed then).
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["wrap_update_function_configuration"]


def wrap_update_function_configuration(original: Callable[..., Any]) -> Callable[..., Any]:
    def update_function_configuration(self: Any, function_name: str, qualifier: str, body: dict[str, Any]) -> Any:
        size = (body.get("EphemeralStorage") or {}).get("Size")
        if size is not None:
            fn = self.get_function(function_name, qualifier)
            fn.ephemeral_storage = int(size)  # moto's setter: ValidationException above 10,240 MB
        return original(self, function_name, qualifier, body)

    update_function_configuration.__wrapped__ = original  # type: ignore[attr-defined]
    return update_function_configuration
