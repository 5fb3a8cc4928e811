"""X-Ray active tracing in the sandbox: traced Lambda invocations and API Gateway stages send real segments.

What AWS does (Lambda and API Gateway developer guides, X-Ray developer guide):

* **Trace header** ``X-Amzn-Trace-Id: Root=1-{8 hex epoch}-{24 hex};Parent={16 hex};Sampled=1|0``. The
  service where a request enters makes the sampling decision and every service downstream follows it.
* **REST API stage** with ``tracingEnabled``: API Gateway samples the request (default rule: the first
  request each second, then 5 % of the rest) unless the incoming header already carries a decision, and
  records an ``AWS::ApiGateway::Stage`` segment named ``{api name}/{stage}``. It adds a trace header to a
  request that has none, even with tracing off, and passes it to the integration (a Lambda proxy event's
  ``headers`` show it).
* **Lambda** with ``TracingConfig.Mode = Active``: Lambda follows the upstream decision, or samples by
  itself (1 request per second, then 5 %) when there is none; a sampled invocation records an
  ``AWS::Lambda`` segment (the service) and an ``AWS::Lambda::Function`` segment (the handler, with its
  ``Initialization`` on a cold start and ``Invocation`` subsegments). The handler sees the header in the
  ``_X_AMZN_TRACE_ID`` environment variable. ``PassThrough`` functions record nothing of their own and
  only pass the trace id on (``Root=...``).
* **SDK calls** from an instrumented handler (X-Ray SDK ``patch_all()``, ADOT, Powertools Tracer) are
  subsegments with ``namespace: aws``, the operation, ``http.response.status`` and the flags ``error``
  (4xx), ``throttle`` (429, with ``error``) and ``fault`` (5xx); X-Ray infers the downstream node from them.
  The X-Ray SDK (and Powertools ``Tracer``) sends its subsegments (``## handler``, its SDK calls) to the
  daemon; X-Ray nests them under the function segment named by ``Parent`` in ``_X_AMZN_TRACE_ID``.

Simulated: the segments go straight into moto's X-Ray backend (what ``PutTraceSegments`` stores), so
``get_trace_summaries``/``batch_get_traces`` and :func:`course_utils.sim.xray_map.service_graph` read them.
Every SDK call a traced handler makes is recorded, as if the function were instrumented (on AWS the
code needs the X-Ray SDK or ADOT for that), except a call the handler's own X-Ray SDK records (Powertools
``Tracer``, ``patch_all``): that one is the SDK's subsegment, which :mod:`.xray_sdk_bridge` hands to
:func:`accept_sdk_document` instead of the daemon, so no call is recorded twice. Only the default
sampling rule applies (custom ``CreateSamplingRule`` rules are ignored); its 5 % draw is a hash of the trace id, so reruns at the same
(frozen) time give the same traces. Segment times are the sandbox clock at the start plus real elapsed
time, so they stay consistent under ``freeze_time``.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

__all__ = [
    "TraceHeader", "ENV_VAR", "HEADER", "wrap_run", "wrap_handle", "install_sdk_hooks",
    "before_call", "after_call", "after_call_error", "reset_state", "wrap_update_function_configuration",
    "accept_sdk_document", "connect_sdk_bridge",
]

ENV_VAR = "_X_AMZN_TRACE_ID"
HEADER = "X-Amzn-Trace-Id"
FIXED_RATE = 0.05  # default sampling rule: reservoir 1 request/second, then 5 %

_RESOURCE_TYPES = {"DynamoDB": "AWS::DynamoDB::Table", "SQS": "AWS::SQS::Queue", "S3": "AWS::S3::Bucket",
                   "SNS": "AWS::SNS::Topic", "Lambda": "AWS::Lambda"}


# --- the trace header --------------------------------------------------------------------------------


@dataclass(frozen=True)
class TraceHeader:
    """``Root=...;Parent=...;Sampled=...`` (Parent and Sampled optional)."""

    root: str
    parent: str | None = None
    sampled: bool | None = None

    @classmethod
    def parse(cls, text: str | None) -> "TraceHeader | None":
        if not text:
            return None
        parts = dict(p.strip().split("=", 1) for p in text.split(";") if "=" in p)
        root = parts.get("Root")
        if not root:
            return None
        sampled = {"1": True, "0": False}.get(parts.get("Sampled", ""))
        return cls(root, parts.get("Parent") or None, sampled)

    def __str__(self) -> str:
        out = f"Root={self.root}"
        if self.parent:
            out += f";Parent={self.parent}"
        if self.sampled is not None:
            out += f";Sampled={int(self.sampled)}"
        return out


def _real() -> float:
    """A clock freezegun leaves alone (POSIX), for durations under ``freeze_time``."""
    clock = getattr(time, "clock_gettime", None)
    return clock(time.CLOCK_MONOTONIC) if clock else time.perf_counter()


@dataclass
class _Clock:
    """Sandbox time at the start of a trace plus real elapsed time."""

    wall0: float = field(default_factory=lambda: time.time())
    real0: float = field(default_factory=_real)

    def now(self) -> float:
        return round(self.wall0 + (_real() - self.real0), 6)


class _Ids:
    """Deterministic ids: trace ids from (second, n-th new trace that second), segment ids from the trace."""

    def __init__(self) -> None:
        self.second = -1
        self.count = 0
        self.per_trace: dict[str, int] = {}
        self.lock = threading.Lock()

    def trace_id(self, epoch: float) -> str:
        """The n-th new trace of this second: the same (frozen) times give the same ids, so a rerun
        replaces its segments instead of adding to them."""
        with self.lock:
            second = int(epoch)
            if second != self.second:
                self.second, self.count = second, 0
            self.count += 1
            digest = hashlib.sha256(f"{second}/{self.count}".encode()).hexdigest()
            trace_id = f"1-{second:08x}-{digest[:24]}"
            self.per_trace[trace_id] = 0
        return trace_id

    def segment_id(self, trace_id: str) -> str:
        with self.lock:
            n = self.per_trace.get(trace_id, 0) + 1
            self.per_trace[trace_id] = n
            if len(self.per_trace) > 10_000:
                self.per_trace.clear()
                self.per_trace[trace_id] = n
        return hashlib.sha256(f"{trace_id}#{n}".encode()).hexdigest()[:16]


class _Sampler:
    """X-Ray's default rule per entry point: the first request of each second, then 5 % (hash of the trace id)."""

    def __init__(self) -> None:
        self.used: dict[str, int] = {}
        self.lock = threading.Lock()

    def decide(self, key: str, epoch: float, trace_id: str) -> bool:
        with self.lock:
            if self.used.get(key) != int(epoch):
                self.used[key] = int(epoch)
                return True
        draw = int(hashlib.sha256(trace_id.encode()).hexdigest()[:8], 16) / 0xFFFFFFFF
        return draw < FIXED_RATE


_ids = _Ids()
_sampler = _Sampler()


@dataclass
class _Upstream:
    """The trace header a service passes to the Lambda invocation it is about to make (same thread)."""

    header: TraceHeader
    clock: _Clock
    used: bool = False


@dataclass
class _FunctionTrace:
    """The SDK subsegments of one traced invocation, collected while its handler runs."""

    trace_id: str
    clock: _Clock
    subsegments: list[dict[str, Any]] = field(default_factory=list)
    sdk_documents: list[dict[str, Any]] = field(default_factory=list)  # what the X-Ray SDK sent (xray_sdk_bridge)


_local = threading.local()
_open: dict[str, _FunctionTrace] = {}  # function segment id (the Parent in _X_AMZN_TRACE_ID) -> its trace
_open_lock = threading.Lock()


_sdk_call_parent: Callable[[Any], str | None] | None = None  # set by connect_sdk_bridge
_sdk_reset: Callable[[], None] | None = None


def connect_sdk_bridge(call_parent: Callable[[Any], str | None], reset: Callable[[], None]) -> None:
    """Called by :mod:`.xray_sdk_bridge` when its patches are installed: ``call_parent(model)`` names the X-Ray
    SDK subsegment of a call the handler's SDK records itself; ``reset`` forgets the bridge's state."""
    global _sdk_call_parent, _sdk_reset
    _sdk_call_parent, _sdk_reset = call_parent, reset


def accept_sdk_document(doc: dict[str, Any]) -> bool:
    """Keep a (sub)segment document the X-Ray SDK sent from a handler (as the daemon would forward it), for the
    open invocation whose trace it belongs to; it is nested into that invocation's function segment when the
    invocation ends. False (dropped) when no sampled invocation of that trace is running."""
    header, trace = _current()
    if trace is None or doc.get("trace_id") != trace.trace_id:
        return False
    with _open_lock:
        trace.sdk_documents.append(doc)
    return True


def _nest_sdk_documents(function_id: str, docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The SDK's streamed subsegments as X-Ray stores them: each under its parent (by ``parent_id``), the top ones
    under the function segment (the ``Parent`` of ``_X_AMZN_TRACE_ID``), in start order."""
    items = []
    for doc in docs:
        item = {k: v for k, v in doc.items() if k not in ("type", "parent_id", "trace_id")}
        items.append((doc.get("parent_id"), item))
    by_id = {item["id"]: item for _, item in items}
    top: list[dict[str, Any]] = []
    for parent, item in items:
        holder = by_id.get(parent) if parent != function_id else None
        if holder is not None:
            holder.setdefault("subsegments", []).append(item)
        else:
            top.append(item)
    for item in by_id.values():
        if "subsegments" in item:
            item["subsegments"].sort(key=lambda d: d.get("start_time", 0))
    return sorted(top, key=lambda d: d.get("start_time", 0))


def reset_state() -> None:
    """Forget sampling reservoirs and id counters."""
    global _ids, _sampler
    _ids, _sampler = _Ids(), _Sampler()
    with _open_lock:
        _open.clear()
    if _sdk_reset is not None:
        _sdk_reset()


def _put(account_id: str, region: str, docs: list[dict[str, Any]]) -> None:
    from .moto_adapter import put_trace_segment

    for doc in docs:
        put_trace_segment(account_id, region, json.dumps(doc))


def _flags(status: int | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if status is None:
        return out
    if status >= 500:
        out["fault"] = True
    elif status == 429:
        out["error"] = out["throttle"] = True
    elif status >= 400:
        out["error"] = True
    return out


def _upstream() -> _Upstream | None:
    return getattr(_local, "upstream", None)


def _set_upstream(value: _Upstream | None) -> _Upstream | None:
    previous = _upstream()
    _local.upstream = value
    return previous


# --- Lambda ------------------------------------------------------------------------------------------


def _mode(fn: Any) -> str:
    config = fn.tracing_config or {}
    return str(config.get("Mode") or "PassThrough")


def _record(request_id: str) -> Any:
    from .lambda_runtime import invocations

    return next((r for r in reversed(invocations()) if r.request_id == request_id), None)


def wrap_run(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap :func:`course_utils.runtime.lambda_runtime.run`: trace Active functions, pass the trace id on."""

    def run(fn: Any, event: Any, *, invoked_arn: str | None = None, invocation_type: str = "RequestResponse",
            check_throttle: bool = True, request_id: str | None = None) -> Any:
        upstream = _upstream()
        mode = _mode(fn)
        kwargs = {"invoked_arn": invoked_arn, "invocation_type": invocation_type, "check_throttle": check_throttle}
        if mode != "Active" and upstream is None:
            return original(fn, event, request_id=request_id, **kwargs)
        if upstream is not None:
            upstream.used = True
        clock = upstream.clock if upstream is not None else _Clock()
        start = clock.now()
        header = upstream.header if upstream is not None else None
        trace_id = header.root if header is not None else _ids.trace_id(start)
        if mode != "Active":  # PassThrough: keep the trace id, record nothing
            return _with_env(original, str(TraceHeader(trace_id)), fn, event, request_id, kwargs)
        if header is not None and header.sampled is not None:
            sampled = header.sampled
        else:
            sampled = _sampler.decide(f"lambda:{fn.function_arn}", start, trace_id)
        if not sampled:
            return _with_env(original, str(TraceHeader(trace_id, _ids.segment_id(trace_id), False)), fn, event,
                             request_id, kwargs)
        request_id = request_id or str(uuid.uuid4())
        service_id, link_id, function_id = (_ids.segment_id(trace_id) for _ in range(3))
        trace = _FunctionTrace(trace_id, clock)
        with _open_lock:
            _open[function_id] = trace
        from .lambda_runtime import Throttled

        result, throttled = None, False
        try:
            result = _with_env(original, str(TraceHeader(trace_id, function_id, True)), fn, event, request_id, kwargs)
        except Throttled:
            throttled = True
            raise
        finally:
            with _open_lock:
                _open.pop(function_id, None)
            end = clock.now()
            docs = _lambda_segments(fn, invoked_arn or fn.function_arn, request_id, trace, header, start, end,
                                    service_id, link_id, function_id, result, throttled)
            _put(fn.account_id, fn.region, docs)
        return result

    run.__wrapped__ = original  # type: ignore[attr-defined]
    return run


def _with_env(original: Callable[..., Any], value: str, fn: Any, event: Any, request_id: str | None,
              kwargs: dict[str, Any]) -> Any:
    saved = os.environ.get(ENV_VAR)
    os.environ[ENV_VAR] = value
    try:
        return original(fn, event, request_id=request_id, **kwargs)
    finally:
        if saved is None:
            os.environ.pop(ENV_VAR, None)
        else:
            os.environ[ENV_VAR] = saved


def _lambda_segments(fn: Any, arn: str, request_id: str, trace: _FunctionTrace, header: TraceHeader | None,
                     start: float, end: float, service_id: str, link_id: str, function_id: str, result: Any,
                     throttled: bool) -> list[dict[str, Any]]:
    name = fn.function_name
    service: dict[str, Any] = {"name": name, "id": service_id, "trace_id": trace.trace_id, "start_time": start,
                               "end_time": end, "origin": "AWS::Lambda", "resource_arn": arn,
                               "aws": {"request_id": request_id}}
    if header is not None and header.parent:
        service["parent_id"] = header.parent
    if throttled:
        service.update(http={"response": {"status": 429}}, **_flags(429))
        return [service]
    error = getattr(result, "function_error", None)
    service["http"] = {"response": {"status": 200}}
    if error:
        service["fault"] = True  # the invocation failed: shown on the Lambda node too, as a 5xx
    record = _record(request_id)
    init_s = (record.init_duration_ms or 0.0) / 1000 if record is not None else 0.0
    init_s = min(init_s, end - start)
    subs: list[dict[str, Any]] = []
    if init_s:
        subs.append({"name": "Initialization", "id": _ids.segment_id(trace.trace_id), "start_time": start,
                     "end_time": round(start + init_s, 6)})
    invocation: dict[str, Any] = {"name": "Invocation", "id": _ids.segment_id(trace.trace_id),
                                  "start_time": round(start + init_s, 6), "end_time": end}
    if trace.subsegments:
        invocation["subsegments"] = trace.subsegments
    with _open_lock:
        sdk_subsegments = _nest_sdk_documents(function_id, trace.sdk_documents)
    function: dict[str, Any] = {"name": name, "id": function_id, "trace_id": trace.trace_id, "parent_id": link_id,
                                "start_time": start, "end_time": end, "origin": "AWS::Lambda::Function",
                                "resource_arn": arn, "subsegments": subs + [invocation] + sdk_subsegments}
    if error:
        info = result.payload_json() if hasattr(result, "payload_json") else None
        info = info if isinstance(info, dict) else {}
        cause = {"exceptions": [{"id": _ids.segment_id(trace.trace_id), "message": str(info.get("errorMessage", "")),
                                 "type": str(info.get("errorType", "Error"))}]}
        function.update(fault=True, cause=cause)
        invocation.update(fault=True, cause=cause)
    service["subsegments"] = [{"name": name, "id": link_id, "start_time": start, "end_time": end,
                               **({"fault": True} if error else {})}]
    return [service, function]


def wrap_update_function_configuration(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap moto's ``LambdaResponse.update_function_configuration``: apply ``TracingConfig`` (moto drops it)."""

    def update_function_configuration(self: Any) -> Any:
        try:
            mode = ((self.json_body or {}).get("TracingConfig") or {}).get("Mode")
        except ValueError:
            mode = None
        if mode in ("Active", "PassThrough"):
            from urllib.parse import unquote

            try:
                fn = self.backend.get_function(unquote(self.path.rsplit("/", 2)[-2]), None)
            except Exception:  # moto answers the missing function itself
                fn = None
            if fn is not None:
                fn.tracing_config = {"Mode": mode}
        return original(self)

    update_function_configuration.__wrapped__ = original  # type: ignore[attr-defined]
    return update_function_configuration


# --- API Gateway (REST) ------------------------------------------------------------------------------


def wrap_handle(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap :func:`course_utils.runtime.apigateway.handle`: add the trace header, trace stages with tracingEnabled."""

    def handle(api: Any, request: Any, match: Any) -> Any:
        segments = [s for s in (match.group("path") or "/").split("/") if s]
        stage = api.stages.get(segments[0]) if segments else None
        if stage is None:
            return original(api, request, match)
        clock = _Clock()
        start = clock.now()
        incoming = TraceHeader.parse(request.headers.get(HEADER))
        trace_id = incoming.root if incoming is not None else _ids.trace_id(start)
        traced = bool(stage.tracing_enabled)
        if incoming is not None and incoming.sampled is not None:
            sampled = incoming.sampled
        elif traced:
            sampled = _sampler.decide(f"apigw:{api.id}/{stage.name}", start, trace_id)
        else:
            sampled = None
        if not (traced and sampled):  # pass the trace through (a header is added when there is none)
            passed = incoming if incoming is not None else TraceHeader(trace_id)
            request.headers[HEADER] = str(passed)
            previous = _set_upstream(_Upstream(passed, clock))
            try:
                return original(api, request, match)
            finally:
                _set_upstream(previous)
        segment_id, link_id = _ids.segment_id(trace_id), _ids.segment_id(trace_id)
        downstream = _Upstream(TraceHeader(trace_id, link_id, True), clock)
        request.headers[HEADER] = str(TraceHeader(trace_id, segment_id, True))
        previous = _set_upstream(downstream)
        try:
            status, headers, body = original(api, request, match)
        finally:
            _set_upstream(previous)
        end = clock.now()
        request_id = next((v for k, v in headers.items() if k.lower() == "x-amzn-requestid"), None)
        segment: dict[str, Any] = {
            "name": f"{api.name}/{stage.name}", "id": segment_id, "trace_id": trace_id, "start_time": start,
            "end_time": end, "origin": "AWS::ApiGateway::Stage",
            "resource_arn": f"arn:aws:apigateway:{api.region_name}::/restapis/{api.id}/stages/{stage.name}",
            "http": {"request": {"method": str(request.method).upper(), "url": str(request.url)},
                     "response": {"status": int(status)}},
            "aws": {"api_gateway": {"account_id": api.account_id, "rest_api_id": api.id, "stage": stage.name,
                                    **({"request_id": request_id} if request_id else {})}},
            **_flags(int(status)),
        }
        if incoming is not None and incoming.parent:
            segment["parent_id"] = incoming.parent
        if downstream.used:
            segment["subsegments"] = [{"name": "Lambda", "id": link_id, "start_time": start, "end_time": end,
                                       **_flags(int(status))}]
        _put(api.account_id, api.region_name, [segment])
        return status, headers, body

    handle.__wrapped__ = original  # type: ignore[attr-defined]
    return handle


# --- SDK calls of a traced handler (botocore events) -------------------------------------------------


def _current() -> tuple[TraceHeader | None, _FunctionTrace | None]:
    header = TraceHeader.parse(os.environ.get(ENV_VAR))
    if header is None or header.parent is None:
        return header, None
    with _open_lock:
        return header, _open.get(header.parent)


def before_call(model: Any = None, params: Any = None, context: Any = None, **_: Any) -> None:
    """botocore ``before-call``: open a subsegment, put the trace header on the request, hand it downstream."""
    header, trace = _current()
    if header is None or context is None:
        return None
    if trace is None:  # not sampled, or PassThrough: pass the trace id on, record nothing
        outgoing = TraceHeader(header.root, header.parent, header.sampled) if header.parent else TraceHeader(header.root)
        context["_xray"] = (None, _set_upstream(_Upstream(outgoing, _Clock())), None)
    elif _sdk_call_parent is not None and (sdk_parent := _sdk_call_parent(model)) is not None:
        # the X-Ray SDK (e.g. Powertools Tracer's patched botocore) records this call itself: not twice
        outgoing = TraceHeader(trace.trace_id, sdk_parent, True)
        context["_xray"] = (None, _set_upstream(_Upstream(outgoing, trace.clock)), None)
    else:
        service = model.service_model.service_id
        sub: dict[str, Any] = {"name": str(service), "id": _ids.segment_id(trace.trace_id),
                               "start_time": trace.clock.now(), "namespace": "aws",
                               "aws": {"operation": model.name, "region": context.get("client_region")}}
        request = params or {}
        body = context.get("_xray_params") or {}
        if service == "DynamoDB" and isinstance(body, dict) and body.get("TableName"):
            sub["aws"]["table_name"] = body["TableName"]
        elif service in _RESOURCE_TYPES:
            sub["aws"]["resource_type"] = _RESOURCE_TYPES[service]
        if service == "SQS" and isinstance(body, dict) and body.get("QueueUrl"):
            sub["aws"]["queue_url"] = body["QueueUrl"]
        sub["http"] = {"request": {"method": request.get("method"), "url": request.get("url")}}
        outgoing = TraceHeader(trace.trace_id, sub["id"], True)
        context["_xray"] = (sub, _set_upstream(_Upstream(outgoing, trace.clock)), trace)
        trace.subsegments.append(sub)
    headers = (params or {}).get("headers")
    if isinstance(headers, dict):
        headers[HEADER] = str(outgoing)
    return None


def before_parameter_build(params: Any = None, context: Any = None, **_: Any) -> None:
    """botocore ``before-parameter-build``: keep the call's parameters (table name, queue URL) for the subsegment."""
    if context is not None and os.environ.get(ENV_VAR):
        context["_xray_params"] = params
    return None


def _close(context: Any, status: int | None, parsed: Any = None, exception: BaseException | None = None) -> None:
    if context is None or "_xray" not in context:
        return
    sub, previous, trace = context.pop("_xray")
    _set_upstream(previous)
    if sub is None:
        return
    sub["end_time"] = trace.clock.now()
    meta = (parsed or {}).get("ResponseMetadata", {}) if isinstance(parsed, dict) else {}
    if meta.get("RequestId"):
        sub["aws"]["request_id"] = meta["RequestId"]
    if meta.get("RetryAttempts"):
        sub["aws"]["retries"] = meta["RetryAttempts"]
    if status is not None:
        sub["http"]["response"] = {"status": status}
    sub.update(_flags(status))
    error = (parsed or {}).get("Error") if isinstance(parsed, dict) else None
    if status is not None and status >= 400 and error:
        sub["cause"] = {"exceptions": [{"id": _ids.segment_id(sub["id"]), "type": str(error.get("Code", "")),
                                        "message": str(error.get("Message", "")), "remote": True}]}
    elif exception is not None:
        sub["fault"] = True
        sub["cause"] = {"exceptions": [{"id": _ids.segment_id(sub["id"]), "type": type(exception).__name__,
                                        "message": str(exception)}]}


def after_call(http_response: Any = None, parsed: Any = None, context: Any = None, **_: Any) -> None:
    """botocore ``after-call``: close the subsegment with the response's status and flags."""
    _close(context, getattr(http_response, "status_code", None), parsed)


def after_call_error(exception: BaseException | None = None, context: Any = None, **_: Any) -> None:
    """botocore ``after-call-error``: the request never got a response (connection error): a fault."""
    _close(context, None, None, exception)


def install_sdk_hooks() -> None:
    """Register the hooks for every botocore session created from now on (idempotent)."""
    from .moto_adapter import add_builtin_handler

    add_builtin_handler("before-parameter-build", before_parameter_build)
    add_builtin_handler("before-call", before_call)
    add_builtin_handler("after-call", after_call)
    add_builtin_handler("after-call-error", after_call_error)


def wrap_run_and_hook(original: Callable[..., Any]) -> Callable[..., Any]:
    """The ``wrap`` provider for ``lambda_runtime.run`` (patches_xray.py): also registers the SDK hooks."""
    install_sdk_hooks()
    return wrap_run(original)
