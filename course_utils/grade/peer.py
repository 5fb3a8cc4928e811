"""One end of the grading channel: requests, nested callbacks and proxies.

Both ends are the same :class:`Peer`: ``request(op, ...)`` sends a request and reads until its
reply arrives, serving the other side's requests that come first (a student function calling a
callback the test passed it, or a judge proxy reading an attribute). Each side registers the
operations it serves; ``call`` and ``getattr`` on exported references are served by both.
A reference that comes back is the original object (see :class:`.wire.Encoder`).

Only the standard library is imported here.
"""

from __future__ import annotations

import socket
from typing import Any, Callable

from .wire import ChannelError, Encoder, recv, send

__all__ = ["Peer", "Remote"]

Handler = Callable[[dict[str, Any]], Any]


class Remote:
    """The other side's function or object: calls and attribute reads travel through the channel.

    It equals nothing but itself, has no length, no iteration and no numeric value: a test that
    compares it with an expected value fails, whatever the object on the other side claims.
    """

    __slots__ = ("_peer", "_ref", "_kind", "_name")

    def __init__(self, peer: "Peer", ref: int, info: dict[str, Any]) -> None:
        object.__setattr__(self, "_peer", peer)
        object.__setattr__(self, "_ref", ref)
        object.__setattr__(self, "_kind", str(info.get("kind", "object")))
        object.__setattr__(self, "_name", str(info.get("name", "?")))

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        enc = self._peer.encoder
        return self._peer.request("call", ref=self._ref, args=enc.encode(list(args)), kwargs=enc.encode(dict(kwargs)))

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self._peer.request("getattr", ref=self._ref, name=name)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"cannot set {name!r} on the {self._peer.other}'s {self._kind} {self._name}")

    def __repr__(self) -> str:
        return f"<{self._peer.other}'s {self._kind} {self._name}>"


class Peer:
    """A channel end for ``side`` (``"judge"`` or ``"student"``) on a connected Unix socket."""

    def __init__(self, sock: socket.socket, side: str, handlers: dict[str, Handler],
                 exception: Callable[[dict[str, Any]], BaseException]) -> None:
        self.sock = sock
        self.side = side
        self.other = "student" if side == "judge" else "judge"
        self.encoder = Encoder(side, lambda n, info: Remote(self, n, info), exception)
        self.handlers: dict[str, Handler] = {"call": self._call, "getattr": self._getattr, **handlers}
        self._count = 0

    # ------------------------------------------------------------------ asking
    def request(self, op: str, **fields: Any) -> Any:
        """Send ``op`` and return its decoded answer (or raise the decoded exception)."""
        self._count += 1
        mid = f"{self.side}-{self._count}"
        send(self.sock, {"id": mid, "op": op, **fields})
        while True:
            message = recv(self.sock)
            if "op" in message:
                self.serve(message)
                continue
            if message.get("reply") != mid:
                raise ChannelError(f"a reply to {message.get('reply')!r} while waiting for {mid!r}")
            if "raise" in message:
                raise self.encoder.decode(message["raise"])
            return self.encoder.decode(message.get("ok"))

    # ------------------------------------------------------------------ answering
    def serve(self, message: dict[str, Any]) -> None:
        """Answer one request from the other side (exceptions travel back as values)."""
        try:
            handler = self.handlers.get(str(message.get("op")))
            if handler is None:
                raise ChannelError(f"unknown operation {message.get('op')!r}")
            reply: dict[str, Any] = {"reply": message.get("id"), "ok": self.encoder.encode(handler(message))}
        except BaseException as exc:  # noqa: BLE001 - every outcome goes back, KeyboardInterrupt included
            reply = {"reply": message.get("id"), "raise": self.encoder.exception(exc)}
        send(self.sock, reply)

    def _target(self, message: dict[str, Any]) -> Any:
        n = int(message.get("ref", 0))
        if n not in self.encoder.exported:
            raise ChannelError(f"unknown reference {n}")
        return self.encoder.exported[n]

    def _call(self, message: dict[str, Any]) -> Any:
        args = self.encoder.decode(message.get("args", []))
        kwargs = self.encoder.decode(message.get("kwargs", {"$d": []}))
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ChannelError("malformed call")
        return self._target(message)(*args, **kwargs)

    def _getattr(self, message: dict[str, Any]) -> Any:
        name = str(message.get("name", ""))
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._target(message), name)
