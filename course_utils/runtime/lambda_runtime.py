"""Run a Lambda function's Python handler in-process, the way the AWS Python runtime would.

What AWS does, and what this module simulates:

* **Invoke** (``RequestResponse``): the handler gets ``(event, context)``; the result is JSON-encoded
  into the payload. An exception gives ``X-Amz-Function-Error: Unhandled`` and a payload
  ``{"errorMessage", "errorType", "requestId", "stackTrace"}``. Here the handler runs in a
  worker thread of the notebook's own Python process; its boto3 calls reach the same moto state.
* **Context**: ``aws_request_id``, ``function_name``, ``function_version``,
  ``invoked_function_arn``, ``memory_limit_in_mb``, ``log_group_name``, ``log_stream_name`` and
  ``get_remaining_time_in_millis()`` as on AWS.
* **Environment variables**: the function's variables plus the reserved ``AWS_LAMBDA_*`` ones are
  set in ``os.environ`` only while the invocation runs and restored afterwards. The sandbox's fake
  credentials stay (AWS would give the function its execution role's credentials).
* **Timeout**: AWS stops the environment. Python cannot kill a thread, so a handler that runs
  past its ``Timeout`` is *abandoned*: the caller gets AWS's ``Sandbox.Timedout`` error at once,
  the environment is discarded (the next invocation is a cold start), and the thread keeps
  running in the background until it returns on its own (its output is then dropped).
* **Logs**: START / END / REPORT lines like AWS (``Init Duration`` only on cold starts) go to
  CloudWatch Logs ``/aws/lambda/<name>``, one stream per execution environment.
  ``Max Memory Used`` is the process's peak RSS capped at ``MemorySize``: an approximation, not
  a per-function measurement. Billed Duration rounds up to the millisecond and, as AWS has done
  since August 2025, includes the init phase on cold starts.
* **Concurrency**: reserved concurrency 0 throttles every invocation (``TooManyRequestsException``,
  HTTP 429); a reserved value N throttles when N invocations of the function are in flight
  (only nested/concurrent invocations can overlap in one process).
"""

from __future__ import annotations

import base64
import json
import math
import os
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from . import capture
from .environments import EnvironmentPool, ExecutionEnvironment, HandlerNotFound, ImportModuleError


def _clock() -> float:
    """Seconds on a monotonic clock that time travel leaves alone: freezegun freezes ``time.monotonic``
    for the notebook's thread but not for the handler's worker thread, so timeouts measured with it
    fired at once inside ``freeze_time``."""
    return time.clock_gettime(time.CLOCK_MONOTONIC) if hasattr(time, "clock_gettime") else time.monotonic()


__all__ = [
    "InvokeResult",
    "InvocationRecord",
    "Throttled",
    "run",
    "invocations",
    "reset_state",
    "INIT_TIMEOUT_S",
]

INIT_TIMEOUT_S = 10.0  # AWS: the init phase may take up to 10 s
LOG_TAIL_BYTES = 4096


@dataclass
class InvocationRecord:
    """One invocation as the learner can inspect it with :func:`invocations`."""

    function_name: str
    version: str
    request_id: str
    cold: bool
    duration_ms: float
    init_duration_ms: float | None
    error_type: str | None
    invocation_type: str
    environment_id: str
    timestamp: datetime


@dataclass
class InvokeResult:
    """What one run of a handler produced."""

    payload: bytes
    function_error: str | None
    log_text: str
    executed_version: str
    request_id: str
    error_type: str | None = None
    response: Any = None  # the handler's return value (None on error)

    @property
    def log_result(self) -> str:
        """Base64 of the last 4 KB of the log, as ``LogType=Tail`` returns it."""
        raw = self.log_text.encode("utf-8")[-LOG_TAIL_BYTES:]
        return base64.b64encode(raw).decode("ascii")

    def payload_json(self) -> Any:
        try:
            return json.loads(self.payload or b"null")
        except ValueError:
            return None


class Throttled(Exception):
    """Raised instead of running the handler when concurrency is exhausted."""


class LambdaContext:
    """The ``context`` object the AWS Python runtime passes to handlers."""

    def __init__(self, fn: Any, env: ExecutionEnvironment, request_id: str, invoked_arn: str, deadline: float) -> None:
        self.function_name: str = fn.function_name
        self.function_version: str = str(fn.version)
        self.invoked_function_arn: str = invoked_arn
        self.memory_limit_in_mb: int = int(fn.memory_size)
        self.aws_request_id: str = request_id
        self.log_group_name: str = fn.logs_group_name
        self.log_stream_name: str = env.log_stream_name
        self.identity: Any = None
        self.client_context: Any = None
        self._deadline = deadline

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._deadline - _clock()) * 1000))

    def __repr__(self) -> str:
        return f"LambdaContext(function_name={self.function_name!r}, aws_request_id={self.aws_request_id!r})"


_pool = EnvironmentPool()
_records: list[InvocationRecord] = []
_records_lock = threading.Lock()
_in_flight: dict[str, int] = {}
_in_flight_lock = threading.Lock()
_log_streams: set[tuple[str, str]] = set()


def reset_state() -> None:
    """Forget every environment, record and log stream (the sandbox was wiped)."""
    _pool.clear()
    with _records_lock:
        _records.clear()
    _in_flight.clear()
    _log_streams.clear()


def invocations(function_name: str | None = None) -> list[InvocationRecord]:
    """Invocation records (oldest first), optionally for one function."""
    with _records_lock:
        return [r for r in _records if function_name is None or r.function_name == function_name]


def _reserved_concurrency(fn: Any) -> int | None:
    from .moto_adapter import lambda_backend

    try:
        latest = lambda_backend(fn.account_id, fn.region).get_function(fn.function_name)
    except Exception:
        latest = fn
    value = latest.reserved_concurrency
    return None if value is None else int(value)


def _function_env(fn: Any, env: ExecutionEnvironment) -> dict[str, str]:
    # Lambda sets these for the X-Ray SDK (Lambda developer guide, "Using AWS X-Ray": the context-missing
    # strategy LOG_ERROR, the daemon's address as IP_ADDRESS:PORT); the function's own Environment overrides
    # them. The sandbox's "daemon" is the SDK's default address; no socket is opened (xray_sdk_bridge).
    variables = {"AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR", "AWS_XRAY_DAEMON_ADDRESS": "127.0.0.1:2000"}
    variables.update({str(k): str(v) for k, v in (fn.environment_vars or {}).items()})
    variables.update(
        {
            "AWS_LAMBDA_FUNCTION_NAME": fn.function_name,
            "AWS_LAMBDA_FUNCTION_VERSION": str(fn.version),
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(fn.memory_size),
            "AWS_LAMBDA_LOG_GROUP_NAME": fn.logs_group_name,
            "AWS_LAMBDA_LOG_STREAM_NAME": env.log_stream_name,
            "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{fn.run_time or 'python3.12'}",
            "LAMBDA_TASK_ROOT": env.task_root,
            "_HANDLER": fn.handler or "",
            "AWS_REGION": fn.region,
            "AWS_DEFAULT_REGION": fn.region,
        }
    )
    return variables


class _Environ:
    """Set variables in os.environ and restore exactly what was there before."""

    def __init__(self, variables: dict[str, str]) -> None:
        self._vars = variables
        self._saved: dict[str, str | None] = {}

    def __enter__(self) -> None:
        for k, v in self._vars.items():
            self._saved[k] = os.environ.get(k)
            os.environ[k] = v

    def __exit__(self, *exc: object) -> None:
        for k, old in self._saved.items():
            if old is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = old


def _max_memory_mb(limit: int) -> int:
    try:
        import resource

        peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return max(1, min(limit, int(peak_kb / 1024)))
    except Exception:  # pragma: no cover - non-POSIX
        return 1


def _error_payload(exc: BaseException, request_id: str, error_type: str | None = None) -> dict[str, Any]:
    frames = traceback.extract_tb(exc.__traceback__)
    frames = [f for f in frames if "course_utils" not in f.filename]
    return {
        "errorMessage": str(exc),
        "errorType": error_type or type(exc).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(frames),
    }


class _Outcome:
    def __init__(self) -> None:
        self.init_done = threading.Event()
        self.done = threading.Event()
        self.init_ms: float | None = None
        self.handler_start: float = 0.0
        self.result: Any = None
        self.error: BaseException | None = None
        self.error_type: str | None = None
        self.in_init = False


def _write_logs(fn: Any, env: ExecutionEnvironment, text: str) -> None:
    logs = fn.logs_backend
    group = fn.logs_group_name
    logs.ensure_log_group(group)
    key = (group, env.log_stream_name)
    if key not in _log_streams:
        try:
            logs.create_log_stream(group, env.log_stream_name)
        except Exception:
            pass
        _log_streams.add(key)
    now = int(time.time() * 1000)
    lines = [line for line in text.split("\n") if line != ""]
    # Python tracebacks are one CloudWatch event on AWS; here each line is an event but
    # multi-line blocks that start with "[ERROR]" are kept together.
    events: list[dict[str, Any]] = []
    for line in lines:
        if events and (line.startswith((" ", "\t", "Traceback")) and not line.startswith("\t")):
            events[-1]["message"] += "\n" + line
        else:
            events.append({"timestamp": now, "message": line})
    if events:
        logs.put_log_events(group, env.log_stream_name, events)


def run(
    fn: Any,
    event: Any,
    *,
    invoked_arn: str | None = None,
    invocation_type: str = "RequestResponse",
    check_throttle: bool = True,
    request_id: str | None = None,
) -> InvokeResult:
    """Run ``fn``'s handler once with ``event`` and return the result (never raises for handler
    errors). ``fn`` is moto's ``LambdaFunction`` for the version to execute. Raises
    :class:`Throttled` when concurrency is exhausted.
    """
    arn_key = f"{fn.account_id}:{fn.region}:{fn.function_name}"
    reserved = _reserved_concurrency(fn) if check_throttle else None
    with _in_flight_lock:
        running = _in_flight.get(arn_key, 0)
        if reserved is not None and running >= reserved:
            raise Throttled(fn.function_name)
        _in_flight[arn_key] = running + 1
    try:
        return _run(fn, event, invoked_arn or fn.function_arn, invocation_type, request_id or str(uuid.uuid4()))
    finally:
        with _in_flight_lock:
            _in_flight[arn_key] -= 1


def _run(fn: Any, event: Any, invoked_arn: str, invocation_type: str, request_id: str) -> InvokeResult:
    env, cold = _pool.acquire(fn)
    env.prepare()
    version = str(fn.version)
    buffer = capture.LogBuffer(request_id)
    outcome = _Outcome()
    timeout = float(fn.timeout or 3)

    def work() -> None:
        capture.register(buffer)
        try:
            if not env.initialised:
                outcome.in_init = True
                t0 = time.perf_counter()
                try:
                    env.initialise()
                finally:
                    outcome.init_ms = (time.perf_counter() - t0) * 1000
                outcome.in_init = False
            outcome.handler_start = _clock()
            outcome.init_done.set()
            context = LambdaContext(fn, env, request_id, invoked_arn, outcome.handler_start + timeout)
            outcome.result = env.handler(event, context)  # type: ignore[misc]
        except ImportModuleError as exc:
            outcome.error, outcome.error_type = exc, "Runtime.ImportModuleError"
        except HandlerNotFound as exc:
            outcome.error, outcome.error_type = exc, "Runtime.HandlerNotFound"
        except BaseException as exc:  # noqa: BLE001 - a handler may raise anything
            outcome.error = exc
        finally:
            outcome.init_done.set()
            outcome.done.set()
            capture.unregister()

    started = time.perf_counter()
    timed_out = False
    with capture.capturing(), _Environ(_function_env(fn, env)):
        env.enter()
        try:
            worker = threading.Thread(target=work, name=f"lambda-{fn.function_name}-{request_id[:8]}", daemon=True)
            worker.start()
            outcome.init_done.wait(INIT_TIMEOUT_S)
            remaining = (outcome.handler_start + timeout - _clock()) if outcome.handler_start else 0.0
            if not outcome.done.wait(max(0.0, remaining)):
                timed_out = True
        finally:
            env.leave()
    total_ms = (time.perf_counter() - started) * 1000
    init_ms = outcome.init_ms if cold else None
    duration_ms = max(0.01, total_ms - (init_ms or 0.0))

    output = buffer.text()
    function_error: str | None = None
    error_type: str | None = None
    response: Any = None
    if timed_out:
        env.dead = True
        function_error, error_type = "Unhandled", "Sandbox.Timedout"
        duration_ms = timeout * 1000
        stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
        output += f"{stamp}Z {request_id} Task timed out after {timeout:.2f} seconds\n"
        body = {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {request_id} Error: Task timed out after {timeout:.2f} seconds",
        }
        payload = json.dumps(body).encode()
    elif outcome.error is not None:
        function_error = "Unhandled"
        if not env.initialised:
            env.dead = True
        body = _error_payload(outcome.error, request_id, outcome.error_type)
        error_type = body["errorType"]
        lines = "".join(body["stackTrace"])
        output += f"[ERROR] {error_type}: {body['errorMessage']}\nTraceback (most recent call last):\n{lines}"
        payload = json.dumps(body).encode()
    else:
        try:
            payload = json.dumps(outcome.result).encode()
            response = outcome.result
        except (TypeError, ValueError) as exc:
            function_error, error_type = "Unhandled", "Runtime.MarshalError"
            body = {
                "errorMessage": f"Unable to marshal response: {exc}",
                "errorType": "Runtime.MarshalError",
                "requestId": request_id,
                "stackTrace": [],
            }
            output += f"[ERROR] Runtime.MarshalError: {body['errorMessage']}\n"
            payload = json.dumps(body).encode()

    billed = math.ceil(duration_ms + (init_ms or 0.0))
    report = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
        f"Memory Size: {fn.memory_size} MB\tMax Memory Used: {_max_memory_mb(int(fn.memory_size))} MB"
    )
    if init_ms is not None:
        report += f"\tInit Duration: {init_ms:.2f} ms"
    if timed_out:
        report += "\tStatus: timeout"
    log_text = (
        f"START RequestId: {request_id} Version: {version}\n"
        + (output if output.endswith("\n") or not output else output + "\n")
        + f"END RequestId: {request_id}\n"
        + report
        + "\n"
    )
    _write_logs(fn, env, log_text)
    _pool.release(env)
    with _records_lock:
        _records.append(
            InvocationRecord(
                function_name=fn.function_name,
                version=version,
                request_id=request_id,
                cold=cold,
                duration_ms=round(duration_ms, 3),
                init_duration_ms=None if init_ms is None else round(init_ms, 3),
                error_type=error_type,
                invocation_type=invocation_type,
                environment_id=env.id,
                timestamp=datetime.now(timezone.utc),
            )
        )
    return InvokeResult(
        payload=payload,
        function_error=function_error,
        log_text=log_text,
        executed_version=version,
        request_id=request_id,
        error_type=error_type,
        response=response,
    )
