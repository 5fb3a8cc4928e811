"""Throttling injected into a real boto3 client; retry rules: :mod:`course_utils.rules.retry`."""

from __future__ import annotations

import json
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Iterator

from ..rules import retry as _engine
from ..rules.retry import *  # noqa: F401,F403 (re-export for the notebooks)

__all__ = [*_engine.__all__, "Injection", "inject"]


# --- real SDK retries with injected throttling ----------------------------------------------

@dataclass
class Injection:
    """What happened while :func:`inject` was active."""

    operation: str
    error_code: str
    failures: int
    calls: int = 0
    injected: int = 0
    delays: list[float] = field(default_factory=list)

    def summary(self) -> str:
        waits = ", ".join(f"{d:.3f}" for d in self.delays) or "none"
        return (f"{self.operation}: {self.calls} HTTP attempts, {self.injected} answered with {self.error_code}; "
                f"SDK back-off delays (s): {waits}")  # fmt: skip


_inject_lock = threading.Lock()


@contextmanager
def inject(
    client: Any,
    operation: str,
    failures: int,
    error_code: str = "ProvisionedThroughputExceededException",
    status: int = 400,
    message: str = "Rate of requests exceeds the allowed throughput (injected by course_utils.sim.retry)",
) -> Iterator[Injection]:
    """The first ``failures`` HTTP attempts of ``client.<operation>`` get ``error_code``.

    ``operation`` is the API name (``"GetItem"``). Later attempts reach the sandbox as usual.
    botocore's back-off sleeps are recorded in ``Injection.delays`` instead of slept.
    """
    from ..runtime.moto_adapter import canned_response, recording_botocore_sleeps

    if failures < 0:
        raise ValueError("failures must be >= 0")
    if (client.meta.config.retries or {}).get("mode") == "adaptive":
        raise ValueError("adaptive mode's client-side rate limiter waits in real time; use simulate_fleet to see it")
    try:
        client.meta.service_model.operation_model(operation)
    except Exception:
        raise ValueError(f"{operation!r} is not an operation of this {client.meta.service_model.service_name} client") from None
    service_id = client.meta.service_model.service_id.hyphenize()
    record = Injection(operation, error_code, failures)
    body = json.dumps({"__type": error_code, "message": message}).encode()

    def answer(request: Any, **_: Any) -> Any:
        record.calls += 1
        if record.injected >= failures:
            return None  # let moto answer
        record.injected += 1
        headers = {"x-amzn-ErrorType": error_code, "Content-Type": "application/x-amz-json-1.0"}
        return canned_response(request.url, status, headers, body)

    event = f"before-send.{service_id}.{operation}"
    with _inject_lock, recording_botocore_sleeps(record.delays):
        client.meta.events.register_first(event, answer, unique_id=f"course-inject-{id(record)}")
        try:
            yield record
        finally:
            client.meta.events.unregister(event, unique_id=f"course-inject-{id(record)}")
