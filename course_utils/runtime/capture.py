"""Per-thread capture of ``print()`` and ``logging`` output for Lambda handlers.

AWS: everything a Python handler writes to stdout/stderr, and every record the root logger
emits through the runtime's handler, goes to the function's CloudWatch log stream, formatted
``[LEVEL]\\t<ISO time>Z\\t<request id>\\t<message>`` for ``logging``.

Simulated: from the first invocation on, ``sys.stdout``/``sys.stderr`` are a router that sends
writes made *by a handler's worker thread* to that invocation's buffer and everything else to the
stream it wraps; while at least one invocation runs, a ``logging.Handler`` on the root logger
does the same for log records.

The router is never taken out again, and every router made stays referenced: CPython's
``print()`` holds only a *borrowed* reference to ``sys.stdout`` while it writes, so putting the
original stream back from one thread (an asynchronous invocation ending) while another thread is
in ``print()`` freed the router under it: the kernel died with a segmentation fault.
"""

from __future__ import annotations

import logging
import sys
import threading
from datetime import datetime, timezone
from typing import Any, TextIO

__all__ = ["LogBuffer", "capturing"]


class LogBuffer:
    """The text one invocation wrote (prints and log records), in order."""

    def __init__(self, request_id: str) -> None:
        self.request_id = request_id
        self.parts: list[str] = []
        self._lock = threading.Lock()

    def write(self, text: str) -> None:
        with self._lock:
            self.parts.append(text)

    def text(self) -> str:
        with self._lock:
            return "".join(self.parts)


_lock = threading.RLock()
_buffers: dict[int, LogBuffer] = {}  # thread ident -> buffer
_depth = 0
_routers: list["_Router"] = []  # every router ever installed: never freed while print() may hold one


class _Router:
    """A stand-in for sys.stdout/sys.stderr that routes handler threads' writes to their buffer."""

    def __init__(self, original: TextIO) -> None:
        self._original = original

    def write(self, text: str) -> int:
        buf = _buffers.get(threading.get_ident())
        if buf is not None:
            buf.write(text)
            return len(text)
        return self._original.write(text)

    def flush(self) -> None:
        if threading.get_ident() not in _buffers:
            self._original.flush()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._original, name)


class _LambdaLogHandler(logging.Handler):
    """Formats records like the AWS Python runtime and routes them to the thread's buffer."""

    def emit(self, record: logging.LogRecord) -> None:
        buf = _buffers.get(record.thread or 0)
        if buf is None:
            return
        try:
            stamp = datetime.fromtimestamp(record.created, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3]
            message = record.getMessage()
            if record.exc_info:
                message += "\n" + logging.Formatter().formatException(record.exc_info)
            buf.write(f"[{record.levelname}]\t{stamp}Z\t{buf.request_id}\t{message}\n")
        except Exception:  # pragma: no cover - logging must never break the handler
            self.handleError(record)


_log_handler = _LambdaLogHandler()


class capturing:
    """Context manager active in the *caller* thread around an invocation (re-entrant)."""

    def __enter__(self) -> "capturing":
        global _depth
        with _lock:
            for name in ("stdout", "stderr"):
                stream = getattr(sys, name)
                if not isinstance(stream, _Router):  # first use, or someone replaced the stream since
                    router = _Router(stream)
                    _routers.append(router)
                    setattr(sys, name, router)  # the wrapped stream stays referenced by the router
            if _depth == 0:
                logging.getLogger().addHandler(_log_handler)
            _depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _depth
        with _lock:
            _depth -= 1
            if _depth == 0:
                logging.getLogger().removeHandler(_log_handler)


def register(buffer: LogBuffer) -> None:
    """Send this thread's output to ``buffer`` (called in the handler's worker thread)."""
    _buffers[threading.get_ident()] = buffer


def unregister() -> None:
    _buffers.pop(threading.get_ident(), None)
