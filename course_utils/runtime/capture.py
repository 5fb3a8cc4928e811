"""Per-thread capture of ``print()`` and ``logging`` output for Lambda handlers.

AWS: everything a Python handler writes to stdout/stderr, and every record the root logger
emits through the runtime's handler, goes to the function's CloudWatch log stream, formatted
``[LEVEL]\\t<ISO time>Z\\t<request id>\\t<message>`` for ``logging``.

Simulated: while at least one invocation runs, ``sys.stdout``/``sys.stderr`` are replaced by a
router that sends writes made *by a handler's worker thread* to that invocation's buffer and
everything else to the original stream; a ``logging.Handler`` on the root logger does the same
for log records. The original streams come back when the last invocation ends.
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
_saved: tuple[TextIO, TextIO] | None = None


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
        global _depth, _saved
        with _lock:
            if _depth == 0:
                _saved = (sys.stdout, sys.stderr)
                sys.stdout = _Router(sys.stdout)  # type: ignore[assignment]
                sys.stderr = _Router(sys.stderr)  # type: ignore[assignment]
                logging.getLogger().addHandler(_log_handler)
            _depth += 1
        return self

    def __exit__(self, *exc: object) -> None:
        global _depth, _saved
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                sys.stdout, sys.stderr = _saved
                _saved = None
                logging.getLogger().removeHandler(_log_handler)


def register(buffer: LogBuffer) -> None:
    """Send this thread's output to ``buffer`` (called in the handler's worker thread)."""
    _buffers[threading.get_ident()] = buffer


def unregister() -> None:
    _buffers.pop(threading.get_ident(), None)
