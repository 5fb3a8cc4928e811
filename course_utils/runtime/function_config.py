"""Function configuration moto 5.2.5 drops: ``DeadLetterConfig``.

AWS stores ``DeadLetterConfig`` (``CreateFunction`` / ``UpdateFunctionConfiguration``) and
returns it from ``GetFunctionConfiguration``; async invocations that fail for good are sent to
its ``TargetArn``. moto ignores it, so the runtime keeps it on moto's ``LambdaFunction`` object
(attribute ``dead_letter_config``) and adds it back to the configuration moto returns.
"""

from __future__ import annotations

from typing import Any, Callable

__all__ = ["wrap_init", "wrap_update_configuration", "wrap_get_configuration"]


def wrap_init(original: Callable[..., None]) -> Callable[..., None]:
    def __init__(self: Any, account_id: str, spec: dict[str, Any], region: str, version: Any = 1) -> None:
        original(self, account_id, spec, region, version)
        self.dead_letter_config = dict(spec.get("DeadLetterConfig") or {})

    __init__.__wrapped__ = original  # type: ignore[attr-defined]
    return __init__


def wrap_update_configuration(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        if "DeadLetterConfig" in config_updates:
            self.dead_letter_config = dict(config_updates["DeadLetterConfig"] or {})
            self.code_or_config_updated = True
        return original(self, config_updates)

    update_configuration.__wrapped__ = original  # type: ignore[attr-defined]
    return update_configuration


def wrap_get_configuration(original: Callable[..., dict[str, Any]]) -> Callable[..., dict[str, Any]]:
    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original(self, on_create)
        dlc = getattr(self, "dead_letter_config", None)
        if dlc and dlc.get("TargetArn"):
            config["DeadLetterConfig"] = {"TargetArn": dlc["TargetArn"]}
        return config

    get_configuration.__wrapped__ = original  # type: ignore[attr-defined]
    return get_configuration
