"""The X-Ray SDK for Python (and Powertools for AWS Lambda's ``Tracer``, built on it) inside sandbox handlers.

What AWS does (X-Ray SDK for Python guide, Lambda guide, Powertools ``Tracer`` docs):

* In a Lambda function the SDK cannot open a segment of its own: the function segment belongs to Lambda.
  It reads ``_X_AMZN_TRACE_ID`` (``Root``, ``Parent`` = the function segment's id, ``Sampled``) and hangs
  its subsegments under that segment. When ``Sampled=0`` it records nothing; in Lambda the SDK's
  *context missing* strategy (``AWS_XRAY_CONTEXT_MISSING``) does not apply (there is always a trace context).
* The SDK sends each finished subsegment as a JSON document over **UDP** to the daemon at
  ``AWS_XRAY_DAEMON_ADDRESS`` (default ``127.0.0.1:2000``); the daemon uploads them with ``PutTraceSegments``
  and X-Ray assembles each subsegment into its parent by ``parent_id``. Powertools sets the streaming
  threshold to 0, so every subsegment is sent as soon as it closes.
* ``Tracer`` patches the libraries the SDK supports (``patch_modules`` narrows that); its
  ``capture_lambda_handler`` opens ``## <handler name>`` with the annotations ``ColdStart`` and ``Service``
  and the handler's response as metadata under the service's namespace; ``capture_method`` opens
  ``## <method name>``. ``POWERTOOLS_TRACE_DISABLED=true`` (or ``AWS_XRAY_SDK_ENABLED=false``) turns it
  into a no-op. Every execution environment is its own process, so this state is per environment.

Simulated: the handler runs in the notebook's process (:mod:`.lambda_runtime`). :func:`configure_recorder`
gives the SDK's recorder a :class:`SandboxEmitter` (no UDP: each document goes to
:func:`course_utils.runtime.xray_tracing.accept_sdk_document`, which nests it into the invocation's
``AWS::Lambda::Function`` segment) and a Lambda context that keeps the SDK's Lambda behaviour inside a
handler and is inert outside one (the notebook itself is not an instrumented process: a function's patches
of botocore or requests record nothing and log nothing for the notebook's own calls). Subsegment times are
the sandbox clock (as in :mod:`.xray_tracing`), so they stay inside the function segment under ``freeze_time``.
The SDK's and Tracer's process-wide switches are saved and restored per execution environment, and in an
environment whose code does not use the SDK it stays off: on AWS another function's patch of botocore is in
another process. SDK calls the
X-Ray SDK records itself are not recorded a second time by :mod:`.xray_tracing` (:func:`sdk_call_parent`).
Nothing here imports the SDK: it acts only once a handler has imported it.
"""

from __future__ import annotations

import copy
import json
import os
import sys
import threading
import types
from typing import Any, Callable

from . import xray_tracing

__all__ = [
    "SandboxEmitter", "DEFAULT_DAEMON_ADDRESS", "configure_recorder", "sdk_call_parent", "reset_state",
    "wrap_enter", "wrap_leave", "wrap_initialise",
]

DEFAULT_DAEMON_ADDRESS = "127.0.0.1:2000"
_CORE = "aws_xray_sdk.core"
_TRACER = "aws_lambda_powertools.tracing.tracer"
_TASK_ROOT = "LAMBDA_TASK_ROOT"
_HEADER_ENV = "_X_AMZN_TRACE_ID"


def _in_handler() -> bool:
    """True while a Lambda invocation runs (the runtime sets LAMBDA_TASK_ROOT only then)."""
    return bool(os.environ.get(_TASK_ROOT))


class SandboxEmitter:
    """Stands in for the SDK's ``UDPEmitter`` and the daemon: same interface, no socket."""

    def __init__(self, daemon_address: str = DEFAULT_DAEMON_ADDRESS) -> None:
        self._ip, self._port = "127.0.0.1", 2000
        self.set_daemon_address(daemon_address)
        self.sent = 0
        self.dropped = 0

    def set_daemon_address(self, address: str | None) -> None:
        """``host:port`` or ``tcp:host:port udp:host:port``, as the SDK accepts it; only recorded."""
        if not address:
            return
        udp = next((p[4:] for p in address.split() if p.startswith("udp:")), address.split()[0])
        host, _, port = udp.rpartition(":")
        self._ip, self._port = host or self._ip, int(port) if port.isdigit() else self._port

    @property
    def ip(self) -> str:
        return self._ip

    @property
    def port(self) -> int:
        return self._port

    def send_entity(self, entity: Any) -> None:
        """What the daemon would upload: the entity's JSON document, kept for its invocation's trace."""
        try:
            doc = json.loads(entity.serialize())
        except Exception:  # the SDK's emitter logs and goes on; a broken entity must not fail the handler
            self.dropped += 1
            return
        if xray_tracing.accept_sdk_document(doc):
            self.sent += 1
        else:
            self.dropped += 1


_context_class: type | None = None


def _sandbox_context_class() -> type:
    """A ``LambdaContext`` for handlers, inert outside them (built once the SDK is imported)."""
    global _context_class
    if _context_class is not None:
        return _context_class
    from aws_xray_sdk.core.context import Context
    from aws_xray_sdk.core.lambda_launcher import LambdaContext
    from aws_xray_sdk.core.models.dummy_entities import DummySegment

    def clock() -> Any:
        _, trace = xray_tracing._current()
        return trace.clock if trace is not None else None

    class SandboxLambdaContext(LambdaContext):  # type: ignore[misc, valid-type]
        """The SDK's Lambda context inside a handler; outside one, a plain context that records nothing
        unless the notebook itself opens a segment."""

        def __init__(self) -> None:
            super().__init__()
            self._outside = Context()
            self._idle = DummySegment()

        # -- outside a handler: the notebook is not instrumented --------------------------------------
        def _outside_open(self) -> bool:
            return bool(getattr(self._outside._local, "entities", None))

        def put_segment(self, segment: Any) -> None:
            if _in_handler():
                return super().put_segment(segment)
            return self._outside.put_segment(segment)

        def end_segment(self, end_time: float | None = None) -> None:
            if _in_handler():
                return super().end_segment(end_time)
            return self._outside.end_segment(end_time)

        def get_trace_entity(self) -> Any:
            if _in_handler():
                return super().get_trace_entity()
            return self._outside.get_trace_entity() if self._outside_open() else self._idle

        def set_trace_entity(self, trace_entity: Any) -> None:
            if _in_handler():
                return super().set_trace_entity(trace_entity)
            return self._outside.set_trace_entity(trace_entity)

        def clear_trace_entities(self) -> None:
            if _in_handler():
                return super().clear_trace_entities()
            return self._outside.clear_trace_entities()

        # -- subsegments: Lambda's rules, the sandbox clock -------------------------------------------
        def put_subsegment(self, subsegment: Any) -> None:
            if not _in_handler():
                if self._outside_open():
                    self._outside.put_subsegment(subsegment)
                return None
            if not os.environ.get(_HEADER_ENV):  # no trace context for this invocation: nothing to record
                return None
            current = super().get_trace_entity()
            if not self._is_subsegment(current) and isinstance(current, DummySegment):
                return None
            super().put_subsegment(subsegment)
            sandbox_clock = clock()
            if sandbox_clock is not None:
                subsegment.start_time = sandbox_clock.now()
            return None

        def end_subsegment(self, end_time: float | None = None) -> bool:
            if not _in_handler():
                return self._outside.end_subsegment(end_time) if self._outside_open() else False
            sandbox_clock = clock()
            return super().end_subsegment(sandbox_clock.now() if sandbox_clock is not None else end_time)

    _context_class = SandboxLambdaContext
    return _context_class


def configure_recorder() -> bool:
    """Point the SDK's global recorder at the sandbox (context, emitter, Lambda's streaming and local
    sampler), once the SDK has been imported; True when it is configured. Idempotent and cheap."""
    core = sys.modules.get(_CORE)
    recorder = getattr(core, "xray_recorder", None)
    if recorder is None:
        return False
    cls = _sandbox_context_class()
    if isinstance(recorder.context, cls) and isinstance(recorder.emitter, SandboxEmitter):
        return True
    from aws_xray_sdk.core.sampling.local.sampler import LocalSampler

    emitter = SandboxEmitter(os.environ.get("AWS_XRAY_DAEMON_ADDRESS") or DEFAULT_DAEMON_ADDRESS)
    recorder.configure(context=cls(), emitter=emitter, sampler=LocalSampler(), streaming_threshold=0)
    return True


def sdk_call_parent(model: Any) -> str | None:
    """The id of the subsegment the X-Ray SDK's botocore patch opened for this call, if it records it
    (a sampled ``aws`` subsegment named after the call's endpoint prefix); else None."""
    core = sys.modules.get(_CORE)
    if core is None or not _in_handler():
        return None
    botocore_client = sys.modules.get("botocore.client")
    if not getattr(botocore_client, "_xray_enabled", False):
        return None
    recorder = core.xray_recorder
    if not isinstance(recorder.context, _sandbox_context_class()):
        return None
    entity = recorder.context.get_trace_entity()
    if getattr(entity, "type", None) != "subsegment" or getattr(entity, "namespace", None) != "aws":
        return None
    if not getattr(entity, "sampled", False):
        return None
    prefix = getattr(getattr(model, "service_model", None), "endpoint_prefix", None)
    if prefix is not None and entity.name != prefix:
        return None
    return str(entity.id)


# --- process-wide switches, per execution environment ----------------------------------------------

_State = tuple[Any, Any]  # (the SDK's enabled flag or None = read AWS_XRAY_SDK_ENABLED, Tracer._config or None)
_saved: dict[str, _State] = {}
_uninstrumented: set[str] = set()  # environments whose code does not use the SDK: the SDK stays off in them
_SDK_MODULES = ("aws_xray_sdk", "aws_lambda_powertools.tracing")
_local = threading.local()  # .stack: the callers' switches, per thread (enter and leave run in one thread)
_lock = threading.Lock()
_FRESH: _State = (None, None)


def _snapshot() -> _State:
    sdk = sys.modules.get("aws_xray_sdk.sdk_config")
    enabled = getattr(sdk.SDKConfig, "_SDKConfig__SDK_ENABLED", None) if sdk is not None else None
    tracer = sys.modules.get(_TRACER)
    config = copy.copy(tracer.Tracer._config) if tracer is not None else None
    return enabled, config


def _apply(state: _State) -> None:
    enabled, config = state
    sdk = sys.modules.get("aws_xray_sdk.sdk_config")
    if sdk is not None:
        sdk.SDKConfig._SDKConfig__SDK_ENABLED = enabled  # None: read AWS_XRAY_SDK_ENABLED again, as a new process
    tracer = sys.modules.get(_TRACER)
    if tracer is not None:
        tracer.Tracer._config = copy.copy(config if config is not None else tracer.Tracer._default_config)


def _uses_sdk(env: Any) -> bool:
    """Whether the function's own code (its task root and layers) holds anything of the X-Ray SDK or of
    Powertools' ``Tracer``: a module, a function, a class or an instance such as ``xray_recorder``."""
    roots = tuple(os.path.join(p, "") for p in (getattr(env, "paths", None) or [getattr(env, "task_root", "")]) if p)
    if not roots:
        return False
    for module in list(sys.modules.values()):
        if not (getattr(module, "__file__", None) or "").startswith(roots):
            continue
        for value in list(vars(module).values()):
            names = (getattr(value, "__name__", "") if isinstance(value, types.ModuleType) else "",
                     getattr(value, "__module__", None) or "", type(value).__module__)
            if any(isinstance(n, str) and n.startswith(_SDK_MODULES) for n in names):
                return True
    return False


def _sdk_off() -> None:
    """The SDK disabled for the environment now running (only once some function imported it)."""
    sdk = sys.modules.get("aws_xray_sdk.sdk_config")
    if sdk is not None:
        sdk.SDKConfig._SDKConfig__SDK_ENABLED = False


def _stack() -> list[_State]:
    stack = getattr(_local, "stack", None)
    if stack is None:
        stack = _local.stack = []
    return stack


def reset_state() -> None:
    """Forget every environment's saved switches (the sandbox was wiped)."""
    with _lock:
        _saved.clear()
        _uninstrumented.clear()


def wrap_enter(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``ExecutionEnvironment.enter`` (caller thread, the function's variables set): switch to this
    environment's SDK/Tracer switches (fresh ones for a new environment) and configure the recorder."""

    xray_tracing.connect_sdk_bridge(sdk_call_parent, reset_state)  # installed with the patches, not on import

    def enter(self: Any) -> Any:
        result = original(self)
        _stack().append(_snapshot())
        key = str(getattr(self, "id", id(self)))
        with _lock:
            state = _saved.get(key, _FRESH)
            plain = key in _uninstrumented
        _apply(state)
        if plain:  # another function's patches of botocore are process-wide here, not in this function's process
            _sdk_off()
        configure_recorder()
        return result

    enter.__wrapped__ = original  # type: ignore[attr-defined]
    return enter


def wrap_leave(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``ExecutionEnvironment.leave``: keep this environment's switches, give back the caller's."""

    def leave(self: Any) -> Any:
        with _lock:
            _saved[str(getattr(self, "id", id(self)))] = _snapshot()
        stack = _stack()
        previous = stack.pop() if stack else _FRESH
        _apply(previous)
        return original(self)

    leave.__wrapped__ = original  # type: ignore[attr-defined]
    return leave


def wrap_initialise(original: Callable[..., Any]) -> Callable[..., Any]:
    """Wrap ``ExecutionEnvironment.initialise`` (worker thread): once the handler module has imported the SDK
    (e.g. through ``Tracer``), configure the recorder before the first invocation runs."""

    def initialise(self: Any) -> Any:
        try:
            return original(self)
        finally:
            if getattr(self, "initialised", False) and not _uses_sdk(self):
                with _lock:
                    _uninstrumented.add(str(getattr(self, "id", id(self))))
                _sdk_off()
            configure_recorder()

    initialise.__wrapped__ = original  # type: ignore[attr-defined]
    return initialise
