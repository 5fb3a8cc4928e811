"""The narrow channel between the grading judge and the student's kernel: framing and values.

Messages are JSON objects, each sent as a 4-byte big-endian length and UTF-8 JSON, over a Unix
socket. Values cross as *data*, never as objects: ``None``, booleans, numbers, strings, lists and
dicts as themselves, and a few tagged forms (``{"$b": base64}`` bytes, ``{"$dec": "1.5"}``
Decimal, ``{"$t": [...]}`` tuple, ``{"$set": [...]}``, ``{"$dt": iso}`` datetime, ``{"$d": [[k, v],
...]}`` dict). So an object that claims to equal everything, a dict subclass with a forged
``__eq__`` or a string subclass arrive on the other side as plain built-in values, compared by
the receiver's own code. Anything else (a function, a client, an instance) crosses as a
reference ``{"$ref": n, "owner": side}``: the receiver gets a proxy whose calls travel back
through the channel. Exceptions cross as ``{"$exc": ...}`` with their type name, message and,
for botocore's ``ClientError``, the error response.

Only the standard library is imported here.
"""

from __future__ import annotations

import base64
import datetime as _dt
import decimal
import json
import math
import socket
import struct
import types
from typing import Any, Callable

__all__ = ["MAX_MESSAGE", "MAX_DEPTH", "ChannelClosed", "ChannelError", "send", "recv", "Encoder", "rebuild_builtin"]

MAX_MESSAGE = 64 * 1024 * 1024  # bytes: one value the judge will read (a student's answer)
MAX_DEPTH = 64  # nesting of lists/dicts in one value
_HEADER = struct.Struct("!I")


class ChannelClosed(ConnectionError):
    """The other side closed the channel (its kernel stopped)."""


class ChannelError(ValueError):
    """A message that breaks the protocol (too big, not JSON, too deep)."""


def send(sock: socket.socket, message: dict[str, Any]) -> None:
    data = json.dumps(message, separators=(",", ":"), allow_nan=False).encode("utf-8")
    if len(data) > MAX_MESSAGE:
        raise ChannelError(f"a value of {len(data):,} bytes is over the channel's limit of {MAX_MESSAGE:,}")
    sock.sendall(_HEADER.pack(len(data)) + data)


def _read_exactly(sock: socket.socket, n: int) -> bytes:
    chunks, left = [], n
    while left:
        chunk = sock.recv(min(left, 1 << 20))
        if not chunk:
            raise ChannelClosed("the other side of the grading channel closed it")
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)


def recv(sock: socket.socket) -> dict[str, Any]:
    (size,) = _HEADER.unpack(_read_exactly(sock, _HEADER.size))
    if size > MAX_MESSAGE:
        raise ChannelError(f"a message of {size:,} bytes is over the channel's limit of {MAX_MESSAGE:,}")
    try:
        message = json.loads(_read_exactly(sock, size).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ChannelError(f"not a channel message: {exc}") from None
    if not isinstance(message, dict):
        raise ChannelError("not a channel message: not a JSON object")
    return message


class Encoder:
    """Turns values into channel data and back, for one side (``"judge"`` or ``"student"``).

    ``export`` keeps this side's objects that crossed as references (so a reference that comes
    back is the object itself); ``proxy(ref)`` builds the receiver's stand-in for the other side's.
    """

    def __init__(self, side: str, proxy: Callable[[int, dict[str, Any]], Any],
                 exception: Callable[[dict[str, Any]], BaseException]) -> None:
        self.side = side
        self._proxy = proxy
        self._exception = exception
        self.exported: dict[int, Any] = {}
        self._ids: dict[int, int] = {}

    # ------------------------------------------------------------------ encode
    def ref(self, obj: Any) -> dict[str, Any]:
        key = id(obj)
        n = self._ids.get(key)
        if n is None or self.exported.get(n) is not obj:
            n = len(self.exported) + 1
            self.exported[n] = obj
            self._ids[key] = n
        kind = "function" if callable(obj) else "object"
        name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
        return {"$ref": n, "owner": self.side, "kind": kind, "name": str(name)[:200]}

    def encode(self, value: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ChannelError(f"a value nested deeper than {MAX_DEPTH} levels")
        t = type(value)
        if value is None or t is bool or t is str:
            return value
        if t is int:
            return value if abs(value) < 2**63 else {"$int": str(value)}
        if t is float:
            return value if math.isfinite(value) else {"$f": repr(value)}
        if t in (bytes, bytearray, memoryview):
            return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
        if t is decimal.Decimal:
            return {"$dec": str(value)}
        if t is list:
            return [self.encode(v, depth + 1) for v in value]
        if t is tuple:
            return {"$t": [self.encode(v, depth + 1) for v in value]}
        if t in (set, frozenset):
            return {"$set": [self.encode(v, depth + 1) for v in value]}
        if t is dict:
            return {"$d": [[self.encode(k, depth + 1), self.encode(v, depth + 1)] for k, v in value.items()]}
        if t is _dt.datetime:
            return {"$dt": value.isoformat()}
        if t is _dt.date:
            return {"$date": value.isoformat()}
        if isinstance(value, BaseException):
            return self.exception(value)
        if t is types.ModuleType:
            return {"$module": value.__name__}
        # A subclass of built-in data (a namedtuple, an OrderedDict, a dict whose __eq__ lies) crosses
        # as its base type's content, read with the base type's own methods: the receiver compares
        # plain values and never runs the sender's __eq__, __iter__ or __str__.
        base = _builtin_content(value)
        if base is not _NOT_DATA:
            return self.encode(base, depth)
        return self.ref(value)

    def exception(self, exc: BaseException) -> dict[str, Any]:
        info: dict[str, Any] = {"$exc": type(exc).__name__, "module": type(exc).__module__,
                                "message": _safe_str(exc)[:4000], "base": not isinstance(exc, Exception)}
        response = getattr(exc, "response", None)
        operation = getattr(exc, "operation_name", None)
        if type(exc).__module__.startswith("botocore") and isinstance(response, dict):
            try:
                info["client_error"] = {"response": self.encode(response), "operation": str(operation)}
            except ChannelError:
                pass
        return info

    # ------------------------------------------------------------------ decode
    def decode(self, data: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise ChannelError(f"a value nested deeper than {MAX_DEPTH} levels")
        if data is None or isinstance(data, (bool, int, float, str)):
            return data
        if isinstance(data, list):
            return [self.decode(v, depth + 1) for v in data]
        if not isinstance(data, dict) or len(data) < 1:
            raise ChannelError(f"unexpected channel value {str(data)[:80]}")
        if "$d" in data:
            return {_hashable(self.decode(k, depth + 1)): self.decode(v, depth + 1) for k, v in data["$d"]}
        if "$b" in data:
            return base64.b64decode(data["$b"])
        if "$dec" in data:
            return decimal.Decimal(data["$dec"])
        if "$int" in data:
            return int(data["$int"])
        if "$f" in data:
            return float(data["$f"])
        if "$t" in data:
            return tuple(self.decode(v, depth + 1) for v in data["$t"])
        if "$set" in data:
            return {_hashable(self.decode(v, depth + 1)) for v in data["$set"]}
        if "$dt" in data:
            return _dt.datetime.fromisoformat(data["$dt"])
        if "$date" in data:
            return _dt.date.fromisoformat(data["$date"])
        if "$module" in data:
            import importlib

            return importlib.import_module(str(data["$module"]))
        if "$exc" in data:
            return self._exception(data)
        if "$ref" in data:
            n = int(data["$ref"])
            if data.get("owner") == self.side:
                if n not in self.exported:
                    raise ChannelError(f"unknown reference {n}")
                return self.exported[n]
            return self._proxy(n, data)
        raise ChannelError(f"unexpected channel value {str(data)[:80]}")


_NOT_DATA = object()


def _builtin_content(value: Any) -> Any:
    """The plain built-in value inside an instance of a subclass of a built-in type."""
    if isinstance(value, bool):
        return bool(int.__int__(value))
    if isinstance(value, int):
        return int.__int__(value)
    if isinstance(value, float):
        return float.__float__(value)
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, bytes):
        return bytes.__getitem__(value, slice(None))
    if isinstance(value, tuple):
        return tuple(tuple.__iter__(value))
    if isinstance(value, list):
        return list(list.__iter__(value))
    if isinstance(value, dict):
        return dict(dict.items(value))
    if isinstance(value, (set, frozenset)):
        return set(frozenset.__iter__(value)) if isinstance(value, frozenset) else set(set.__iter__(value))
    return _NOT_DATA


def rebuild_builtin(info: dict[str, Any]) -> BaseException | None:
    """The built-in exception (``ValueError``...) an ``{"$exc": ...}`` names, or ``None``."""
    import builtins

    cls = getattr(builtins, str(info.get("$exc", "")), None)
    if info.get("module") == "builtins" and isinstance(cls, type) and issubclass(cls, Exception):
        try:
            return cls(str(info.get("message", "")))
        except Exception:
            return None
    return None


def _hashable(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_hashable(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _hashable(v)) for k, v in value.items()))
    if isinstance(value, set):
        return frozenset(value)
    return value


def _safe_str(exc: BaseException) -> str:
    try:
        return str(exc)
    except Exception:  # a student's __str__ that raises
        return f"<{type(exc).__name__} whose message could not be read>"
